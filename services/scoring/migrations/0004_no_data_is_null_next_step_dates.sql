-- "No data" is null, never zero: a rep who keeps no CRM records of their own has no data-quality
-- score, and weeks without a snapshot have none either.
ALTER TABLE rep_scores ALTER COLUMN data_quality DROP NOT NULL;
ALTER TABLE rep_score_weeks ALTER COLUMN data_quality DROP NOT NULL;
-- When an opportunity's next step is due: a deal is review-ready only with a next step due today or
-- later (a recently edited deal with last month's next step is not current). Null: undated.
ALTER TABLE crm_records ADD COLUMN next_step_date date;
