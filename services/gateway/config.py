"""Gateway settings (environment prefix GT_GATEWAY_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GT_GATEWAY_", frozen=True, extra="ignore")

    host: str = "0.0.0.0"
    http_port: int = 8080
    grpc_port: int = 50051
    scoring_target: str = "127.0.0.1:50052"
    capture_target: str = "127.0.0.1:50053"
    upstream_timeout_sec: float = 5.0
