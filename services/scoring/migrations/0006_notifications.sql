-- Feedback loops (issue 19): the weekly data-quality digest and threshold alerts, kept as an outbox
-- and delivered at least once to each target (a tenant webhook, the data stewards' e-mail).
-- A note's id is stable (kind, team, subject, period): creating it again changes nothing.
CREATE TABLE notifications (
    tenant_id  text        NOT NULL,
    id         text        NOT NULL,
    team_id    text        NOT NULL,
    kind       text        NOT NULL,
    created_at timestamptz NOT NULL,
    payload    bytea       NOT NULL,  -- the Notification message (without delivery counts)
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX notifications_newest ON notifications (tenant_id, created_at DESC);

-- One row per note and target. `target` is "email" or "webhook:<sha256 of the url, 16 hex>": never an
-- address or a url, so nothing personal or secret is kept here or logged from it.
CREATE TABLE notification_deliveries (
    tenant_id       text        NOT NULL,
    notification_id text        NOT NULL,
    target          text        NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    delivered_at    timestamptz,
    failed_at       timestamptz,  -- given up after the last retry
    last_error      text        NOT NULL DEFAULT '',  -- a status code or an error class, never a body
    PRIMARY KEY (tenant_id, notification_id, target),
    FOREIGN KEY (tenant_id, notification_id) REFERENCES notifications (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
