"""Rules more than one service enforces, stated once.

The gateway accepts input only when every consumer downstream (capture over gRPC, scoring through
Kafka and PostgreSQL) will accept it too; anything else is refused at the edge (REST 422/400, gRPC
INVALID_ARGUMENT) instead of being dead-lettered later. So the shapes of identifiers (`identifiers`),
what text may contain (`text`) and what a tenant configuration may say (`tenant_config`) live here,
and the gateway, capture and scoring all read them from here. Pure: no I/O, standard library only.
"""
