"""The Tryton plugin: Tryton's parties, opportunities and logins in; matched activity and scores out.

Two parts (docs/plugins.md says why both):
- `plugins.tryton.module`: the `groundtruth` Tryton module, installed into the Tryton server. It adds
  what Tryton cannot give from outside: an activity model shown on the party and the opportunity,
  each employee's scores, a log of deletions and logins, and the connector's watermarks.
- `plugins.tryton.connector`: the external process between Tryton (JSON-RPC) and Groundtruth (the
  plugin client): `python -m plugins.tryton.connector`.
"""
