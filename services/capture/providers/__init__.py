"""Provider connectors: the wire-level clients and parsers for each mail and calendar provider."""
