"""Capture's use cases: what the service does, written against `ports` and `domain` only.

- `connections.py`, `mailboxes.py`, `policy.py`, `status.py`: the CaptureAdmin use cases (validate,
  store through the admin store port, then keep the sync engine in step). `context.py` bundles the
  ports they use; `errors.py` says what they raise besides `domain.validation.Invalid`.
- `sync/`: the sync engine, also use-case code (see its docstring).

Nothing here imports grpc, asyncpg, aiokafka, plumbing's database or Kafka modules, or an adapter:
the gRPC servicer (`adapters/grpc_admin.py`) turns protos into these calls and their results and
errors back into protos and status codes; `wiring.py` decides which adapter stands behind which port.
"""
