"""A small typed Python client of the public gRPC API, for CRM plugins.

    from services.client import GroundtruthClient

    async with GroundtruthClient("gateway.example:50051", api_key, secure=True) as gt:
        await gt.ingest(events)
        async for page in gt.stream_feed(subscription="salesforce"):
            ...  # write page.activities into the CRM
            await gt.ack(page.cursor, subscription="salesforce")

Write matched activities into the CRM keyed by `external_id(activity)` (Message-ID, iCalendar UID), so
a re-capture never duplicates them. See `services/client/example_plugin.py`, docs/api.md and
docs/plugins.md. Admin tools use the REST API through `services.client.rest.RestClient` (what the
`groundtruth` CLI is built on; docs/cli.md).
"""

from services.client.external_ids import external_id
from services.client.grpc_client import GroundtruthClient, RetryPolicy
from services.client.leadership import crm_viewed

__all__ = ["GroundtruthClient", "RetryPolicy", "crm_viewed", "external_id"]
