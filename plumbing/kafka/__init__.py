"""Kafka plumbing: topic catalogue, producer factory, record conventions, the batch consumer loop."""
