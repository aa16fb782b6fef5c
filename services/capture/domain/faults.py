"""How a provider connector tells the sync engine what went wrong, independent of the provider.

Connectors translate their wire errors into exactly one of these; the engine decides what to do:

| fault            | engine reaction                                                               |
|------------------|-------------------------------------------------------------------------------|
| `Throttled`      | pause this mailbox for `retry_after_sec` (or back off), then retry the request |
| `Unavailable`    | back off exponentially and retry a bounded number of times                   |
| `CursorExpired`  | drop that stream's cursor and resync it once; twice in a row: error state     |
| `AccessRevoked`  | error state for the mailbox; retried only slowly or after an admin change    |
| `ProviderRejected` | error state: the request can never succeed as is (bad mailbox, bad config)  |

Anything else a connector raises is a bug; the engine treats it like `ProviderRejected`.
"""

from __future__ import annotations


class SyncFault(Exception):
    """Base of every classified provider failure. `str(fault)` is safe to show an admin (no secrets)."""


class Throttled(SyncFault):
    """The provider asked us to slow down (HTTP 429, rate-limit reasons)."""

    def __init__(self, message: str, *, retry_after_sec: float | None) -> None:
        super().__init__(message)
        self.retry_after_sec = retry_after_sec


class Unavailable(SyncFault):
    """A failure that goes away by waiting: 5xx, timeouts, connection errors."""

    def __init__(self, message: str, *, retry_after_sec: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_sec = retry_after_sec


class CursorExpired(SyncFault):
    """The stored cursor (delta link, history id, sync token) is no longer valid: resync the stream."""


class AccessRevoked(SyncFault):
    """Credentials were revoked or are invalid, or access to this mailbox is denied."""


class CredentialRevoked(AccessRevoked):
    """The authority refuses the app's own credential (`invalid_client`, `unauthorized_client`...):
    every mailbox of the connection is cut off until an admin registers a working credential. Distinct
    from an access token or a mailbox's grant that was revoked or expired."""


class ChainStalled(SyncFault):
    """A chain that makes no progress (endless empty pages, more pages than a pass may read) or a pass
    that outlived its deadline (a hanging provider): cut, and retried later with backoff."""


class ProviderRejected(SyncFault):
    """The provider refuses the request for a reason retrying will not fix (e.g. unknown mailbox)."""
