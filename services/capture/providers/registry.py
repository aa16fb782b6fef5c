"""Which provider connectors this build runs. A new provider adds its builder to `BUILDERS`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from starlette.routing import BaseRoute

from groundtruth.activity.v1 import activity_pb2
from services.capture.config import Settings
from services.capture.ports import NotificationSink, ProviderConnector
from services.capture.providers.google.client import GoogleApiSettings
from services.capture.providers.google.connector import GoogleConnector, GoogleTuning
from services.capture.providers.microsoft.auth import MsalTokens
from services.capture.providers.microsoft.connector import MicrosoftConnector
from services.capture.providers.microsoft.graph import GraphClient


class ProviderAdapter(ProviderConnector, Protocol):
    """A provider's connector (what the sync engine reads through) plus the HTTP side of its push
    notifications. Kept out of `ports` because the routes are an inbound HTTP edge the engine never
    sees: `app.py` serves them on capture's HTTP port."""

    def webhook_routes(self, sink: NotificationSink) -> Sequence[BaseRoute]:
        """HTTP routes (notifications, lifecycle events) that hand what they receive to `sink`."""
        ...


def build_microsoft(settings: Settings) -> ProviderAdapter:
    tokens = MsalTokens(
        authority_base=settings.microsoft_authority_base,
        ca_bundle=settings.microsoft_ca_bundle,
        timeout_sec=settings.microsoft_timeout_sec,
    )
    graph = GraphClient(
        base_url=settings.microsoft_graph_base_url,
        tokens=tokens,
        ca_bundle=settings.microsoft_ca_bundle,
        timeout_sec=settings.microsoft_timeout_sec,
        max_connections=settings.backfill_concurrency + settings.incremental_concurrency + 16,
    )
    return MicrosoftConnector(
        tokens=tokens,
        graph=graph,
        page_size=settings.microsoft_page_size,
        days_back=settings.calendar_days_back,
        days_ahead=settings.calendar_days_ahead,
        window_step_days=settings.calendar_window_step_days,
        public_base_url=settings.public_base_url,
    )


def build_google(settings: Settings) -> ProviderAdapter:
    api = GoogleApiSettings(
        token_uri=settings.google_token_uri or None,
        gmail_endpoint=settings.google_gmail_endpoint or None,
        calendar_endpoint=settings.google_calendar_endpoint or None,
        max_workers=settings.google_api_threads,
        per_user_concurrency=settings.max_requests_per_mailbox,
        http_timeout_sec=settings.google_timeout_sec,
    )
    token = settings.google_pubsub_token
    return GoogleConnector(
        api=api,
        tuning=GoogleTuning(
            gmail_page_size=settings.google_gmail_page_size,
            calendar_page_size=settings.google_calendar_page_size,
            mail_backfill_days=settings.google_mail_backfill_days,
            public_base_url=settings.public_base_url,
            pubsub_topic=settings.google_pubsub_topic,
            pubsub_token=token.get_secret_value() if token else None,
        ),
    )


BUILDERS: dict[activity_pb2.Provider.ValueType, Callable[[Settings], ProviderAdapter]] = {
    activity_pb2.PROVIDER_MICROSOFT: build_microsoft,
    activity_pb2.PROVIDER_GOOGLE: build_google,
}


def build_connectors(settings: Settings) -> dict[activity_pb2.Provider.ValueType, ProviderAdapter]:
    return {provider: build(settings) for provider, build in BUILDERS.items()}
