"""Forecast accuracy: what a rep committed for a period against what they closed and won in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class ForecastAccuracy:
    rep_id: str
    period: str
    committed_amount: float
    closed_won_amount: float
    error_ratio: float  # |closed won - committed| / committed
    within_target: bool
    period_closed: bool


def forecast_accuracy(
    *,
    rep_id: str,
    period: str,
    period_end: date,
    committed: float,
    closed_won: float,
    as_of: date,
    target: float,
) -> ForecastAccuracy:
    """A zero commit is exact when nothing closed, and 100 % off when something did."""
    nothing_closed_error = 0.0 if closed_won == 0 else 1.0
    error = abs(closed_won - committed) / committed if committed > 0 else nothing_closed_error
    return ForecastAccuracy(
        rep_id=rep_id,
        period=period,
        committed_amount=committed,
        closed_won_amount=closed_won,
        error_ratio=round(error, 4),
        within_target=error <= target,
        period_closed=as_of > period_end,
    )
