"""What the gateway does, once for both surfaces: REST routes and gRPC methods are thin wrappers.

Each use case is declared with the capability it needs (`@scoped(Operation.X)`, scope.py) and runs
inside a `TenantScope`: the caller's role has been checked and every port it can reach is bound to
the caller's tenant. Operations depend only on `ports` and `domain`; errors are
`services.gateway.errors` exceptions, which each edge maps to its own status.

- reads.py, me.py: what scoring knows, for reps, managers, admins and plugins
- crm_ingest.py, feed.py: the plugins' way in (CRM events) and out (the write-back feed)
- configuration.py, capture.py, erasure.py, keys.py: the tenant admin's
- auth.py: tokens and sessions for the web pages
- tenants.py: the operator's (`python -m services.gateway admin`), outside any tenant scope
"""
