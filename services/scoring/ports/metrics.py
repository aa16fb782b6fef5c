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


class NoMetrics:
    """Collects nothing (the default of operations built outside the service, such as in tests)."""

    def relayed(self, topic: str, records: int) -> None:
        pass

    def rescored(self, kind: str, reps: int, seconds: float) -> None:
        pass
