"""The demo organisation `make run` shows: who works where, what each rep does, and when.

Pure modules (`organisation`, `story`, `live`) describe the demo; `adapters/` put it into the provider
emulators and push it through the gateway; `runner` wires them (`python -m services.sandbox.demo`).
"""
