"""PostgreSQL plumbing: the asyncpg pool, per-service migrations, error classification."""
