"""Capture's edges: Kafka, PostgreSQL, provider clients, gRPC and HTTP."""
