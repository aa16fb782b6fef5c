"""Gateway: the public REST and gRPC API in front of scoring and capture.

Read it in this order:
- `config.py`: the settings, resolved once;
- `domain/`: pure rules (who may do what, keys and tokens, CRM event and configuration validity);
- `ports.py`: every outbound dependency as a Protocol, tenant data only through `for_tenant`;
- `operations/`: the use cases, each declared with its capability and run in a tenant scope
  (`operations/scope.py`: the one place access and tenancy are decided);
- `adapters/`: the ports' implementations (scoring and capture clients, PostgreSQL, Kafka, caches);
- `http/` and `grpc/`: the two edges, which parse, call an operation and render;
- `app.py` (wiring) and `__main__.py` (`run`, and `admin`: the operator's commands in `admin/`).
`errors.py` holds the errors operations raise, which each edge maps to its own status.
"""
