"""The demo runner's settings (environment prefix GT_DEMO_); `make run` sets them."""

from __future__ import annotations

from datetime import date

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SEED = 7  # the story `make run` tells


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GT_DEMO_", frozen=True, extra="ignore")

    gateway_url: str = "http://127.0.0.1:8080"  # REST (admin API)
    gateway_grpc_target: str = "127.0.0.1:50051"  # gRPC (the CRM plugin's client)
    admin_key: SecretStr  # the demo tenant's admin key
    emulators_control_url: str = "http://127.0.0.1:8090"
    capture_url: str = ""  # capture's HTTP base, for the Google emulator's Gmail push (empty: none)
    scoring_target: str = ""  # scoring's gRPC, for one full rescore once the history is in (empty: none)
    # The demo's identity in the mesh, to call scoring's internal gRPC (mutual TLS, plumbing/tls.py).
    tls_ca_file: str = Field(default="", validation_alias="GT_TLS_CA_FILE")
    tls_cert_file: str = Field(default="", validation_alias="GT_TLS_CERT_FILE")
    tls_key_file: str = Field(default="", validation_alias="GT_TLS_KEY_FILE")
    seed: int = DEMO_SEED
    today: date | None = None  # the story's today (None: the current UTC date)
    tick_interval_sec: float = 5.0  # 0: no live activity
    backfill_timeout_sec: float = 120.0
    host: str = "127.0.0.1"
    http_port: int = 8091  # /healthz and /status (what the demo has done so far)
    # "tryton": the demo's CRM records live in Tryton (`make run CRM=tryton`, plugins/tryton/sandbox):
    # the runner creates them there and the Tryton connector reports them; empty: pushed directly.
    crm: str = ""
    tryton_url: str = ""
    tryton_database: str = ""
    tryton_admin_password: SecretStr = SecretStr("")
