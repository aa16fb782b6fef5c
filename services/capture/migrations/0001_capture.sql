-- Capture's own state: connections (secrets encrypted), mailboxes, cursors, what was published,
-- sync status, the tenant's capture policy, reps' exclusions, and push subscriptions.

CREATE TABLE connections (
    connection_id         text PRIMARY KEY,
    tenant_id             text        NOT NULL,
    provider              smallint    NOT NULL,  -- groundtruth.activity.v1.Provider
    directory_tenant_id   text        NOT NULL DEFAULT '',
    client_id             text        NOT NULL DEFAULT '',
    workspace_domain      text        NOT NULL DEFAULT '',
    service_account_email text        NOT NULL DEFAULT '',
    credential            bytea       NOT NULL,  -- Fernet token of the credential JSON; never in clear
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connections_by_tenant ON connections (tenant_id);

CREATE TABLE mailboxes (
    mailbox_id    bigserial PRIMARY KEY,
    tenant_id     text        NOT NULL,
    connection_id text        NOT NULL REFERENCES connections ON DELETE CASCADE,
    address       text        NOT NULL,  -- lower-cased UPN / e-mail address (or Graph user id)
    rep_id        text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, address)
);
CREATE INDEX mailboxes_by_rep ON mailboxes (tenant_id, rep_id);

-- One row per mailbox and stream (e.g. mail:inbox, calendar). The cursor is written only after
-- every record it covers was acknowledged by the broker.
CREATE TABLE cursors (
    mailbox_id           bigint      NOT NULL REFERENCES mailboxes ON DELETE CASCADE,
    stream               text        NOT NULL,
    cursor               text,                  -- NULL: start the next round from scratch
    scope                text        NOT NULL DEFAULT '',
    complete             boolean     NOT NULL DEFAULT false,  -- cursor is an end-of-round checkpoint
    full_round           boolean     NOT NULL DEFAULT true,   -- the current round started from scratch
    generation           integer     NOT NULL DEFAULT 1,      -- bumped by every round from scratch
    consecutive_expiries integer     NOT NULL DEFAULT 0,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mailbox_id, stream)
);

-- Items capture published and has not retracted: to merge partial updates, skip unchanged
-- re-deliveries and retract deletions. Nothing is kept of items that were never published.
CREATE TABLE items (
    mailbox_id   bigint      NOT NULL REFERENCES mailboxes ON DELETE CASCADE,
    item_id      text        NOT NULL,
    stream       text        NOT NULL,
    kind         text        NOT NULL,
    direction    text,
    occurred_at  timestamptz NOT NULL,
    modified_at  timestamptz NOT NULL,
    content_hash text        NOT NULL,
    generation   integer     NOT NULL,
    snapshot     bytea       NOT NULL,  -- the last full view (JSON of items.item_to_json)
    PRIMARY KEY (mailbox_id, item_id)
);
CREATE INDEX items_by_stream ON items (mailbox_id, stream, generation);

CREATE TABLE sync_status (
    mailbox_id      bigint PRIMARY KEY REFERENCES mailboxes ON DELETE CASCADE,
    state           text        NOT NULL DEFAULT 'pending',
    last_success_at timestamptz,
    last_error      text        NOT NULL DEFAULT '',
    last_error_at   timestamptz,
    items_captured  bigint      NOT NULL DEFAULT 0,
    resyncs         bigint      NOT NULL DEFAULT 0,
    throttles       bigint      NOT NULL DEFAULT 0,
    errors          bigint      NOT NULL DEFAULT 0,
    caught_up_at    timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE capture_policies (
    tenant_id          text PRIMARY KEY,
    capture_level      text        NOT NULL DEFAULT 'metadata',
    internal_domains   text[]      NOT NULL DEFAULT '{}',
    excluded_addresses text[]      NOT NULL DEFAULT '{}',
    excluded_domains   text[]      NOT NULL DEFAULT '{}',
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rep_exclusions (
    tenant_id          text        NOT NULL,
    rep_id             text        NOT NULL,
    excluded_addresses text[]      NOT NULL DEFAULT '{}',
    excluded_domains   text[]      NOT NULL DEFAULT '{}',
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, rep_id)
);

CREATE TABLE subscriptions (
    mailbox_id   bigint      NOT NULL REFERENCES mailboxes ON DELETE CASCADE,
    resource     text        NOT NULL,
    provider_id  text        NOT NULL UNIQUE,
    client_state bytea       NOT NULL,  -- Fernet token: the shared secret notifications must carry
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (mailbox_id, resource)
);
