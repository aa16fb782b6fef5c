"""The write-back feed's positions.

A position is the `feed_sequence` of the last item a page delivered. Reading after a position
never repeats it; acknowledging one stores it as the subscription's resume point. Acks only move
forward, so a late or repeated ack never rewinds a subscription. Positions reach clients only as
signed cursors (`domain/cursors.py`).
"""

from __future__ import annotations

START = 0


def next_position(after: int, last_sequence: int, item_sequences: list[int]) -> int:
    """Where the next page starts: never behind `after`, past every delivered item."""
    return max([after, last_sequence, *item_sequences])
