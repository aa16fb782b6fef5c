"""Scoring settings (environment prefix GT_SCORING_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GT_SCORING_", frozen=True, extra="ignore")

    host: str = "0.0.0.0"
    grpc_port: int = 50052
    http_port: int = 8082
    consumer_group: str = "scoring"
    max_batch_size: int = 2000
    max_batch_time_ms: int = 200
    db_pool_size: int = 10
