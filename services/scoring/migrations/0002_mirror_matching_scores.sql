-- The CRM mirror, matching, per-day counters, the write-back feed and scores.
-- Every table is keyed by tenant first: no query ever needs to cross tenants.

-- Activities: the version tiebreak, what counts, the match and the feed position.
ALTER TABLE activities
    ADD COLUMN event_id           text     NOT NULL DEFAULT '',
    ADD COLUMN counts_as_meeting  boolean  NOT NULL DEFAULT false,
    ADD COLUMN is_external        boolean  NOT NULL DEFAULT false,
    ADD COLUMN addresses          text[]   NOT NULL DEFAULT '{}',
    ADD COLUMN contact_crm_ids    text[]   NOT NULL DEFAULT '{}',
    ADD COLUMN account_crm_id     text     NOT NULL DEFAULT '',
    ADD COLUMN opportunity_crm_id text     NOT NULL DEFAULT '',
    ADD COLUMN match_links        text     NOT NULL DEFAULT '',  -- see domain/matching.py encode_links
    ADD COLUMN feed_sequence      bigint   NOT NULL DEFAULT 0;  -- 0: never in the feed

-- Listing a rep's activities needs only (rep, time); the id is a tie-breaker sorted after the scan.
DROP INDEX activities_by_rep_and_time;
CREATE INDEX activities_by_rep_and_time ON activities (tenant_id, rep_id, occurred_at);

-- The write-back feed: positions are unique per tenant and assigned under the tenant's lock.
CREATE UNIQUE INDEX activities_feed ON activities (tenant_id, feed_sequence) WHERE feed_sequence > 0;
-- Re-matching when an account or one of its deals changes, the agenda's last interactions.
CREATE INDEX activities_by_account ON activities (tenant_id, account_crm_id, occurred_at)
    WHERE account_crm_id <> '';

-- Every external address of every activity, reversed ("elpmaxe.reyub@enaj") so that one index
-- answers both "this address" and "any address at this domain" (a prefix).
CREATE TABLE activity_addresses (
    tenant_id   text        NOT NULL,
    address_key text        COLLATE "C" NOT NULL,
    activity_id text        NOT NULL,
    rep_id      text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, address_key, activity_id)
);

-- Opportunities, contacts and accounts, latest version winning; deleted ones stay as tombstones.
CREATE TABLE crm_records (
    tenant_id      text        NOT NULL,
    object_type    text        NOT NULL,  -- opportunity, contact, account
    crm_id         text        NOT NULL,
    version_us     bigint      NOT NULL,
    version_event  text        NOT NULL,
    deleted        boolean     NOT NULL,
    owner_rep_id   text        NOT NULL,
    name           text        NOT NULL,
    fields         jsonb       NOT NULL,
    modified_at    timestamptz NOT NULL,
    created_at     timestamptz,
    domains        text[]      NOT NULL,
    email          text        NOT NULL,
    account_crm_id text        NOT NULL,
    stage          text        NOT NULL,
    amount         double precision NOT NULL,
    currency       text        NOT NULL,
    close_date     date,
    is_closed      boolean     NOT NULL,
    is_won         boolean     NOT NULL,
    next_step      text        NOT NULL,
    contact_roles  jsonb       NOT NULL,
    name_key       text        NOT NULL,  -- see domain/duplicates.py: probable duplicates share it
    PRIMARY KEY (tenant_id, object_type, crm_id)
);
CREATE INDEX crm_contacts_by_email ON crm_records (tenant_id, email)
    WHERE object_type = 'contact' AND NOT deleted;
CREATE INDEX crm_opportunities_by_account ON crm_records (tenant_id, account_crm_id)
    WHERE object_type = 'opportunity' AND NOT deleted;
CREATE INDEX crm_records_by_owner ON crm_records (tenant_id, owner_rep_id, object_type) WHERE NOT deleted;

CREATE TABLE account_domains (
    tenant_id      text NOT NULL,
    domain         text NOT NULL,
    account_crm_id text NOT NULL,
    PRIMARY KEY (tenant_id, domain, account_crm_id)
);

-- The stages each opportunity was ever seen in: stages reps skip or pile into.
CREATE TABLE opportunity_stages (
    tenant_id          text NOT NULL,
    opportunity_crm_id text NOT NULL,
    stage              text NOT NULL,
    PRIMARY KEY (tenant_id, opportunity_crm_id, stage)
);

CREATE TABLE tenant_configs (
    tenant_id     text        PRIMARY KEY,
    version       bigint      NOT NULL,
    version_event text        NOT NULL,
    config        bytea       NOT NULL,  -- groundtruth.crm.v1.TenantConfig
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- An erased rep: events about them observed up to erased_at are never applied again.
CREATE TABLE erasures (
    tenant_id text        NOT NULL,
    rep_id    text        NOT NULL,
    erased_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, rep_id)
);

-- Dedupe keys of CRM events, written in the transaction that applies them.
CREATE TABLE processed_events (
    tenant_id    text        NOT NULL,
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX processed_events_by_age ON processed_events (processed_at);

CREATE TABLE manual_logs (
    tenant_id           text        NOT NULL,
    crm_activity_id     text        NOT NULL,
    rep_id              text        NOT NULL,
    version_us          bigint      NOT NULL,
    version_event       text        NOT NULL,
    kind                smallint    NOT NULL,
    occurred_at         timestamptz NOT NULL,
    logged_at           timestamptz NOT NULL,
    related_crm_id      text        NOT NULL,
    related_object_type text        NOT NULL,
    source_activity_id  text        NOT NULL,
    PRIMARY KEY (tenant_id, crm_activity_id)
);
CREATE INDEX manual_logs_by_rep ON manual_logs (tenant_id, rep_id, logged_at);
CREATE INDEX manual_logs_by_record ON manual_logs (tenant_id, related_crm_id);

CREATE TABLE forecasts (
    tenant_id        text        NOT NULL,
    rep_id           text        NOT NULL,
    period           text        NOT NULL,
    version_us       bigint      NOT NULL,
    version_event    text        NOT NULL,
    period_start     date        NOT NULL,
    period_end       date        NOT NULL,
    committed_amount double precision NOT NULL,
    currency         text        NOT NULL,
    submitted_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, rep_id, period)
);

-- Per rep and UTC day counters (see services/scoring/domain/aggregates.py for each column).
CREATE TABLE rep_days (
    tenant_id        text    NOT NULL,
    rep_id           text    NOT NULL,
    day              date    NOT NULL,
    items_synced     integer NOT NULL DEFAULT 0,
    emails_sent      integer NOT NULL DEFAULT 0,
    emails_received  integer NOT NULL DEFAULT 0,
    meetings         integer NOT NULL DEFAULT 0,
    external_matched integer NOT NULL DEFAULT 0,
    logins           integer NOT NULL DEFAULT 0,
    crm_writes       integer NOT NULL DEFAULT 0,
    logs_entered     integer NOT NULL DEFAULT 0,
    logs_within_24h  integer NOT NULL DEFAULT 0,
    logs_late_48h    integer NOT NULL DEFAULT 0,
    logs_catch_up    integer NOT NULL DEFAULT 0,
    logged_meetings  integer NOT NULL DEFAULT 0,
    written_back     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, rep_id, day)
);

CREATE TABLE opportunity_days (
    tenant_id          text    NOT NULL,
    opportunity_crm_id text    NOT NULL,
    rep_id             text    NOT NULL,
    day                date    NOT NULL,
    activities         integer NOT NULL,
    PRIMARY KEY (tenant_id, opportunity_crm_id, rep_id, day)
);
CREATE INDEX opportunity_days_by_rep ON opportunity_days (tenant_id, rep_id, day);

-- The last feed position handed out per tenant. Its row lock is taken under the tenant lock, so
-- positions are committed in order and a rolled-back batch leaves no gap.
CREATE TABLE feed_positions (
    tenant_id     text   PRIMARY KEY,
    last_sequence bigint NOT NULL
);

-- Every rep scoring has seen, with the first day they were seen (for "too new to judge").
CREATE TABLE reps (
    tenant_id      text NOT NULL,
    rep_id         text NOT NULL,
    first_seen_day date NOT NULL,
    PRIMARY KEY (tenant_id, rep_id)
);

-- Reps whose inputs changed since their last score, and tenants to rescore entirely. Each change
-- takes a new mark; a rescore deletes only the marks it read, so a change committed while it ran
-- keeps its mark and is scored by the next pass.
CREATE SEQUENCE dirty_marks;
CREATE TABLE dirty_reps (
    tenant_id text   NOT NULL,
    rep_id    text   NOT NULL,
    mark      bigint NOT NULL,
    PRIMARY KEY (tenant_id, rep_id)
);
CREATE TABLE rescore_requests (
    tenant_id    text        PRIMARY KEY,
    requested_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE tenant_rescores (
    tenant_id      text        PRIMARY KEY,
    last_full_day  date        NOT NULL,
    last_full_at   timestamptz NOT NULL
);

-- The latest score per rep. published_hash lags content_hash until gt.scores.v1 has it.
CREATE TABLE rep_scores (
    tenant_id      text             NOT NULL,
    rep_id         text             NOT NULL,
    team_id        text             NOT NULL,
    adoption       double precision NOT NULL,
    data_quality   double precision NOT NULL,
    classification smallint         NOT NULL,
    content_hash   bytea            NOT NULL,
    published_hash bytea,
    payload        bytea            NOT NULL,  -- groundtruth.scoring.v1.RepScore
    computed_at    timestamptz      NOT NULL,
    PRIMARY KEY (tenant_id, rep_id)
);
CREATE INDEX rep_scores_by_team ON rep_scores (tenant_id, team_id, rep_id);
CREATE INDEX rep_scores_unpublished ON rep_scores (tenant_id)
    WHERE published_hash IS DISTINCT FROM content_hash;

-- Tombstones still to publish on gt.scores.v1 for erased reps.
CREATE TABLE score_tombstones (
    tenant_id text        NOT NULL,
    rep_id    text        NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, rep_id)
);

-- Weekly snapshots for trends: data quality cannot be rebuilt for past weeks from counters.
CREATE TABLE rep_score_weeks (
    tenant_id    text             NOT NULL,
    rep_id       text             NOT NULL,
    week_start   date             NOT NULL,
    adoption     double precision NOT NULL,
    data_quality double precision NOT NULL,
    PRIMARY KEY (tenant_id, rep_id, week_start)
);

CREATE TABLE team_health_snapshots (
    tenant_id text  NOT NULL,
    team_id   text  NOT NULL,  -- '' for the whole tenant
    day       date  NOT NULL,
    payload   bytea NOT NULL,  -- groundtruth.scoring.v1.TeamHealth (metrics only)
    PRIMARY KEY (tenant_id, team_id, day)
);

CREATE TABLE diagnostics (
    tenant_id     text        NOT NULL,
    diagnostic_id text        NOT NULL,
    team_id       text        NOT NULL,
    rep_id        text        NOT NULL,
    kind          text        NOT NULL,
    payload       bytea       NOT NULL,  -- groundtruth.scoring.v1.Diagnostic
    computed_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, diagnostic_id)
);

-- How far each tenant's feed has been relayed to gt.activity.matched.v1.
CREATE TABLE feed_relay_positions (
    tenant_id          text   PRIMARY KEY,
    published_through  bigint NOT NULL
);
