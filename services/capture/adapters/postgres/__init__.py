"""PostgreSQL adapters for schema `capture`: sync state (engine) and administration (gRPC)."""
