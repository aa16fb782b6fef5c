"""Pure scoring logic: validation, matching, aggregates, scores. No I/O here."""
