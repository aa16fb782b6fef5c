"""Failures a port reports, in the port's own words rather than its library's.

The adapters translate their library's exceptions into these (the Kafka publisher, the PostgreSQL
stores, the secret box), so the use cases never import aiokafka, asyncpg or cryptography to find out
what went wrong. Each message is safe to log: it never carries a secret.
"""

from __future__ import annotations


class PublishFailed(Exception):
    """The broker did not acknowledge every record of a `publish` call (it is down, unreachable or
    timed out). Nothing may be committed as delivered; publishing the same records again is safe."""


class StoreUnavailable(Exception):
    """Capture's database failed in a way that goes away by waiting (a restart, a dropped connection,
    a serialization failure, a timeout). The operation did not happen, or its transaction rolled back;
    retrying it later can succeed."""


class SecretsUnavailable(Exception):
    """No key is configured (GT_CAPTURE_SECRET_KEYS), or a stored secret was sealed with another key.

    Waiting does not help: an administrator must configure the key."""
