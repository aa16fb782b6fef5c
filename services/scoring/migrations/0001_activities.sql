-- Captured activities: the latest version of each, keyed by capture's deterministic id.
CREATE TABLE activities (
    id                 text PRIMARY KEY,
    tenant_id          text        NOT NULL,
    rep_id             text        NOT NULL,
    kind               smallint    NOT NULL,
    provider           smallint    NOT NULL,
    occurred_at        timestamptz NOT NULL,
    source_modified_at timestamptz NOT NULL,
    is_cancelled       boolean     NOT NULL,
    is_deletion        boolean     NOT NULL,
    payload            bytea       NOT NULL,  -- the groundtruth.activity.v1.Activity as last seen
    stored_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX activities_by_rep_and_time ON activities (tenant_id, rep_id, occurred_at DESC, id DESC);
