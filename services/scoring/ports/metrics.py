"""What the operations report about their work, for whoever collects metrics (Prometheus in the
service, nothing in unit tests). Calls never block and never raise."""

from __future__ import annotations

from typing import Protocol


class ScoringMetrics(Protocol):
    def relayed(self, topic: str, records: int) -> None:
        """`records` were published to `topic` ("scores" or "matched")."""
        ...

    def rescored(self, kind: str, reps: int, seconds: float) -> None:
        """A tenant rescore of `kind` ("full" or "changed") recomputed `reps` in `seconds`."""
        ...

    def relay_lag(self, topic: str, positions: int) -> None:
        """After a relay pass: `positions` committed but not yet published to `topic` ("matched")."""
        ...

    def relay_leader(self, leading: bool) -> None:
        """Whether this process is the relay publisher now."""
        ...


class NoMetrics:
    """Collects nothing (the default of operations built outside the service, such as in tests)."""

    def relayed(self, topic: str, records: int) -> None:
        pass

    def rescored(self, kind: str, reps: int, seconds: float) -> None:
        pass

    def relay_lag(self, topic: str, positions: int) -> None:
        pass

    def relay_leader(self, leading: bool) -> None:
        pass
