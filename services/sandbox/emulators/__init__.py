"""Local stand-ins for the providers' APIs, speaking their wire protocols, for tests, benchmarks and
`make run`'s demo.

Each provider emulator is an `Emulator` (see `registry.py`): it serves the provider's HTTPS surface
on one port and a plain-HTTP control API (fault injection, item changes, ground truth) on another.
`python -m services.sandbox.emulators` runs every registered emulator in one process.
"""
