-- Issue 16: capture's own word on each mailbox (gt.capture.health.v1, compacted), latest per mailbox.
-- Scoring's capture health and diagnostics read it before the flow of activity. No address: the
-- mailbox is named by capture's key (a hash). `silence_noted`: the rep was marked for rescoring once
-- the report grew older than the bound (capture stopped reporting); a fresh report clears it.
CREATE TABLE mailbox_health (
    tenant_id       text        NOT NULL,
    mailbox_key     text        NOT NULL,
    rep_id          text        NOT NULL,
    provider        text        NOT NULL DEFAULT '',
    state           text        NOT NULL,
    reason          text        NOT NULL DEFAULT '',
    since           timestamptz NOT NULL,
    last_success_at timestamptz,
    items_rejected  bigint      NOT NULL DEFAULT 0,
    reported_at     timestamptz NOT NULL,
    silence_noted   boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, mailbox_key)
);
CREATE INDEX mailbox_health_by_rep ON mailbox_health (tenant_id, rep_id);
CREATE INDEX mailbox_health_by_report ON mailbox_health (reported_at) WHERE NOT silence_noted;
