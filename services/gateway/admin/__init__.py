"""`python -m services.gateway admin ...`: the operator's commands, straight on the gateway's database.

`commands.py` is the command tree (create-tenant, list-tenants, issue-key, list-keys, revoke-key);
`keys.py` the same use cases for code that holds a pool (the commands, make run's sandbox, tests).
Everything an admin key can do goes through the API instead (`groundtruth`, docs/cli.md).
"""
