-- Tenants and their API keys. Keys are stored as an HMAC of their secret part (domain/api_keys.py).
CREATE TABLE tenants (
    tenant_id  text PRIMARY KEY,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    key_id       text PRIMARY KEY,                 -- public half of the key, shown in listings
    tenant_id    text        NOT NULL REFERENCES tenants (tenant_id),
    name         text        NOT NULL,
    role         text        NOT NULL CHECK (role IN ('admin', 'manager', 'rep', 'plugin')),
    rep_id       text,
    secret_hash  bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text        NOT NULL,             -- key id of the admin, or 'cli'
    revoked_at   timestamptz,
    last_used_at timestamptz,
    -- rep and manager keys act for one rep; admin and plugin keys act for the tenant.
    CHECK ((role IN ('rep', 'manager')) = (rep_id IS NOT NULL))
);

CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at);
CREATE INDEX api_keys_by_rep ON api_keys (tenant_id, rep_id) WHERE rep_id IS NOT NULL;

-- Every version of a tenant's configuration the gateway published (the gateway is its only writer).
CREATE TABLE tenant_configs (
    tenant_id  text        NOT NULL REFERENCES tenants (tenant_id),
    version    bigint      NOT NULL,
    config     bytea       NOT NULL,               -- groundtruth.crm.v1.TenantConfig
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text        NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

-- Where each write-back subscription of a tenant has acknowledged the feed up to (inclusive).
CREATE TABLE feed_acks (
    tenant_id      text        NOT NULL REFERENCES tenants (tenant_id),
    subscription   text        NOT NULL,
    acked_sequence bigint      NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, subscription)
);

-- Answers to requests carrying an Idempotency-Key. A row without a status is a request in flight.
CREATE TABLE idempotency_keys (
    tenant_id       text        NOT NULL,
    operation       text        NOT NULL,
    idempotency_key text        NOT NULL,
    fingerprint     bytea       NOT NULL,          -- sha256 of the canonical request
    status_code     integer,
    response        jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, operation, idempotency_key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
