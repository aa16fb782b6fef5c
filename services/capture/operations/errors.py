"""What the admin operations raise besides `domain.validation.Invalid` (bad input) and the ports'
errors (`StoreUnavailable`, `SecretsUnavailable`). The gRPC servicer maps each to a status code.

Every message is safe to show to the caller: it names what was asked for, never what another tenant
has. Another tenant's object is `NotFound`, never "permission denied", which would confirm it exists.
"""

from __future__ import annotations


class NotFound(Exception):
    """Nothing by that id or address in the caller's tenant (gRPC NOT_FOUND)."""


class AlreadyExists(Exception):
    """The id is held by another tenant or another provider (gRPC ALREADY_EXISTS)."""
