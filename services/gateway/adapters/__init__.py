"""Gateway's edges: clients of scoring and capture, the public gRPC service."""
