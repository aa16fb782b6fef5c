"""What capture's use cases need from the outside world, as Protocols and the values they carry.

The adapters implement them (PostgreSQL, Kafka, the secret box, Prometheus, the provider connectors);
the unit tests implement them in memory. One module per concern:

- `connector`: what a provider connector implements (`ProviderConnector`) and is handed
  (`SyncContext`, `RequestGate`, `KnownItems`), and where webhooks hand notifications
  (`NotificationSink`).
- `publisher`: `ActivityPublisher`, where captured activities go (acknowledged by the broker).
- `sync_store`: `SyncStore`, the engine's persistent state (cursors, published items, status,
  subscriptions).
- `admin_store`: connections, mailboxes, capture policies and rep exclusions for the admin use cases.
- `secrets`: `SecretSealer`, how a credential is sealed before it is stored.
- `sync_control`: `SyncControl`, what the admin use cases ask of the running engine.
- `metrics`: `MailboxMetrics`, what a mailbox's worker measures.
- `errors`: `PublishFailed`, `StoreUnavailable`, `SecretsUnavailable`: failures in the ports' own
  words, so no use case imports a driver to recognise them.
"""

from services.capture.ports.admin_store import (
    AdminStore,
    ConnectionStore,
    MailboxAssignment,
    MailboxStore,
    NewConnection,
    PolicyStore,
    StoredConnection,
    StoredRepExclusions,
    StoredTenantPolicy,
)
from services.capture.ports.connector import (
    ConnectionInfo,
    KnownItems,
    LifecycleEvent,
    MailboxPaused,
    MailboxRef,
    NotificationSink,
    Page,
    ProviderConnector,
    RequestGate,
    StoredSubscription,
    StreamPlan,
    SubscriptionGone,
    SubscriptionGrant,
    SyncContext,
)
from services.capture.ports.errors import PublishFailed, SecretsUnavailable, StoreUnavailable
from services.capture.ports.metrics import MailboxMetrics, MailboxMetricsFactory
from services.capture.ports.publisher import ActivityPublisher
from services.capture.ports.secrets import SecretSealer
from services.capture.ports.sync_control import SyncControl
from services.capture.ports.sync_store import StoredCursor, SyncStore, SyncTarget

__all__ = [
    "ActivityPublisher",
    "AdminStore",
    "ConnectionInfo",
    "ConnectionStore",
    "KnownItems",
    "LifecycleEvent",
    "MailboxAssignment",
    "MailboxMetrics",
    "MailboxMetricsFactory",
    "MailboxPaused",
    "MailboxRef",
    "MailboxStore",
    "NewConnection",
    "NotificationSink",
    "Page",
    "PolicyStore",
    "ProviderConnector",
    "PublishFailed",
    "RequestGate",
    "SecretSealer",
    "SecretsUnavailable",
    "StoreUnavailable",
    "StoredConnection",
    "StoredCursor",
    "StoredRepExclusions",
    "StoredSubscription",
    "StoredTenantPolicy",
    "StreamPlan",
    "SubscriptionGone",
    "SubscriptionGrant",
    "SyncContext",
    "SyncControl",
    "SyncStore",
    "SyncTarget",
]
