"""The adoption playbook: from a rep's class and a team's state to what to do, with whom, by when.

`adkar` turns each non-adopter into an ADKAR stage and an intervention with its concrete handle;
`timeline` recommends what the field does at 30, 45 and 90 days and after a leadership finding.
Both are pure and recomputed with every full rescore, so a recommendation appears on the day it
applies and is gone on the day it expires. Sources: docs/scoring.md, "From diagnosis to action".
"""
