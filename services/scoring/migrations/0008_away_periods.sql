-- Out of office (issue 16): the away periods capture publishes (ACTIVITY_KIND_AWAY, from Graph
-- `showAs: oof` and Google `eventType: outOfOffice` entries), latest version per activity id, and the
-- days they make a rep away. Nobody is judged on a day they were away.
CREATE TABLE rep_away_periods (
    tenant_id     text        NOT NULL,
    id            text        NOT NULL,  -- the activity id capture gave the calendar entry
    rep_id        text        NOT NULL,
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    removed       boolean     NOT NULL,  -- deleted or cancelled entry, or no longer out of office
    version_us    bigint      NOT NULL,  -- source_modified_at; later versions win
    version_event text        NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX rep_away_periods_by_rep ON rep_away_periods (tenant_id, rep_id, starts_at) WHERE NOT removed;

-- A UTC day is an away day when a live period covers at least half of it (12 hours): an all-day or a
-- multi-day entry counts in any time zone, an afternoon off does not. The one place this rule lives.
CREATE VIEW rep_away_days AS
SELECT DISTINCT p.tenant_id, p.rep_id, d.day::date AS day
FROM rep_away_periods p
CROSS JOIN LATERAL generate_series(
    (p.starts_at AT TIME ZONE 'UTC')::date::timestamp,
    (p.ends_at AT TIME ZONE 'UTC')::date::timestamp,
    interval '1 day'
) AS d(day)
WHERE NOT p.removed
  AND least(p.ends_at, (d.day + interval '1 day') AT TIME ZONE 'UTC')
      - greatest(p.starts_at, d.day AT TIME ZONE 'UTC') >= interval '12 hours';
