"""What the public API does, once for both surfaces: REST routes and gRPC methods are thin wrappers.

Every operation takes the authenticated `Principal`, checks its role and scope
(`domain.access`), validates identifiers, and calls scoring, capture, Kafka or the gateway's own
schema with the caller's tenant only. Errors are `services.gateway.errors` exceptions.
"""
