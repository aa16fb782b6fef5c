"""Capture settings (environment prefix GT_CAPTURE_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GT_CAPTURE_", frozen=True, extra="ignore")

    host: str = "0.0.0.0"
    grpc_port: int = 50053
    http_port: int = 8081
