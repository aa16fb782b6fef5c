"""Scoring's edges: Kafka consumer, PostgreSQL store, gRPC query service."""
