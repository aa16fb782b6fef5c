-- Leadership signals per kind (issue 19): what each person opened or submitted in the CRM per UTC day,
-- as the CRM plugin reports it (crm_viewed: report, dashboard, pipeline_review, forecast; and
-- forecast_submitted events). "All pipeline reviews conducted in the CRM" and "forecasts pulled
-- directly from CRM" are read from here for managers and executives. Each event is counted once
-- (the CRM event dedupe keys), in the same transaction as the rest of its batch.
CREATE TABLE crm_view_days (
    tenant_id text    NOT NULL,
    rep_id    text    NOT NULL,
    day       date    NOT NULL,
    kind      text    NOT NULL,  -- report, dashboard, pipeline_review, forecast, forecast_submitted
    views     integer NOT NULL,
    PRIMARY KEY (tenant_id, rep_id, day, kind)
);
CREATE INDEX crm_view_days_by_day ON crm_view_days (tenant_id, day);
