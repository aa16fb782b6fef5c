"""Capture against the provider emulators, the real broker and PostgreSQL."""
