"""Pure capture logic: identities, normalization, privacy. No I/O here."""
