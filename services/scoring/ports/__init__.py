"""What scoring's operations need from the outside world, as Protocols. The PostgreSQL and Kafka
adapters implement them; the unit tests implement them in memory.

- `ingest`: the store one batch of events is applied to, in one transaction.
- `settings`: each tenant's stored configuration.
- `scores`: the inputs, scores and dirty marks a rescore reads and writes.
- `tenant_views`: the facts team health, diagnostics and reports read, and where the first two go.
- `queries`: the read models behind the ScoringQuery RPCs.
- `admin`: erasure, and the outbox the relays publish to Kafka.
"""

from services.scoring.ports.admin import (
    ErasureCounts,
    ErasureStore,
    FeedBehind,
    FeedPage,
    QueuedTombstone,
    RelayPublisher,
    RelayStore,
    UnpublishedScore,
)
from services.scoring.ports.ingest import AccountRecords, IngestStore, IngestTransaction, WritePlan
from services.scoring.ports.queries import (
    ActivityPageCursor,
    CrmReads,
    ForecastOutcome,
    OpportunityQuery,
    ReadinessCounts,
    ScoreReads,
    StoredActivity,
)
from services.scoring.ports.scores import DirtyMarks, RescoreClaims, ScoreStore, ScoreTransaction
from services.scoring.ports.settings import ConfigStore
from services.scoring.ports.tenant_views import (
    DuplicateGroup,
    FieldGap,
    StageHistory,
    TeamHealthSnapshot,
    TenantFacts,
    TenantViewWriter,
)

__all__ = [
    "AccountRecords",
    "ActivityPageCursor",
    "ConfigStore",
    "CrmReads",
    "DirtyMarks",
    "DuplicateGroup",
    "ErasureCounts",
    "ErasureStore",
    "FeedBehind",
    "FeedPage",
    "FieldGap",
    "ForecastOutcome",
    "IngestStore",
    "IngestTransaction",
    "OpportunityQuery",
    "QueuedTombstone",
    "ReadinessCounts",
    "RelayPublisher",
    "RelayStore",
    "RescoreClaims",
    "ScoreReads",
    "ScoreStore",
    "ScoreTransaction",
    "StageHistory",
    "StoredActivity",
    "TeamHealthSnapshot",
    "TenantFacts",
    "TenantViewWriter",
    "UnpublishedScore",
    "WritePlan",
]
