"""The gateway's pure logic: who may do what, API keys, request validation. No I/O here."""
