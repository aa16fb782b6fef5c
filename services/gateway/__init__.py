"""Gateway: the public REST and gRPC API in front of scoring and capture."""
