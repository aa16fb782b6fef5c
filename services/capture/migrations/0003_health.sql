-- Issue 16: quarantined items are counted per mailbox, with the last reason (never the content),
-- in the same transaction as the cursor that skipped them.
ALTER TABLE sync_status
    ADD COLUMN items_rejected     bigint      NOT NULL DEFAULT 0,
    ADD COLUMN last_reject_reason text        NOT NULL DEFAULT '',
    ADD COLUMN last_reject_at     timestamptz;
