"""The connector's settings (environment prefix `GT_TRYTON_`), read once in `__main__`."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GT_TRYTON_", frozen=True, extra="ignore")

    url: str = "http://127.0.0.1:8000"  # the Tryton server (trytond's web listener)
    database: str
    user: str = "groundtruth"  # a Tryton user in the "Groundtruth Integration" group
    password: SecretStr
    gateway_target: str = "127.0.0.1:50051"  # Groundtruth's gRPC API
    api_key: SecretStr  # a plugin key of the tenant
    subscription: str = "tryton"  # the write-back feed's subscription name
    poll_interval_sec: float = 2.0  # between passes when there was nothing to do
    scores_interval_sec: float = 30.0
    directory_ttl_sec: float = 10.0  # how long the employee → rep id table is reused
    page_size: int = 200  # Tryton rows per stream and page
    feed_page_size: int = 100
    overlap_sec: float = 60.0  # each pass re-reads this much before the watermarks
    max_backoff_sec: float = 30.0  # retries after an outage, growing up to this
    host: str = "127.0.0.1"
    http_port: int = 0  # /healthz and /status (0: none)
