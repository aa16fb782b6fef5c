-- What a connector needs later to renew or stop a push subscription besides its id (e.g. the
-- resourceId of a Google Calendar channel, which channels.stop requires).
ALTER TABLE subscriptions ADD COLUMN provider_data text NOT NULL DEFAULT '';

-- The series an occurrence belongs to, so that deleting a whole series retracts every published
-- occurrence (a provider may report only the series itself as deleted).
ALTER TABLE items ADD COLUMN series_id text NOT NULL DEFAULT '';
CREATE INDEX items_by_series ON items (mailbox_id, series_id) WHERE series_id <> '';
