"""What an operation raises when the caller asked for something that is not there. The gRPC edge
maps it to a status code; the message is written for the caller."""

from __future__ import annotations


class NotFound(LookupError):
    """A single named thing (a rep's score, a team, a snapshot) does not exist."""
