-- Issue 16: what capture last published on gt.capture.health.v1 per mailbox, so a restart keeps
-- each mailbox's `since` and a removed mailbox still gets its tombstone. No address: the mailbox is
-- named by its key (a hash), as on the topic.
CREATE TABLE health_reports (
    tenant_id   text        NOT NULL,
    mailbox_key text        NOT NULL,
    rep_id      text        NOT NULL,
    state       text        NOT NULL,
    reason      text        NOT NULL DEFAULT '',
    since       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, mailbox_key)
);
