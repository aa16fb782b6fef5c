"""A local stand-in for Google Workspace: OAuth token endpoint (JWT bearer), Gmail v1 and Calendar v3
as google-api-python-client calls them, push delivery, and a control API for tests and the demo."""

from services.sandbox.emulators.google.seed import DOMAIN, SeedShape, seed_organisation
from services.sandbox.emulators.google.server import GoogleEmulator, running_google_emulator
from services.sandbox.emulators.google.world import READ_SCOPES, GoogleWorld

__all__ = [
    "DOMAIN",
    "READ_SCOPES",
    "GoogleEmulator",
    "GoogleWorld",
    "SeedShape",
    "running_google_emulator",
    "seed_organisation",
]
