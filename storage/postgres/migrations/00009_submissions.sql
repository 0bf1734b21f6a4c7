-- +goose Up

-- A liaison presses Confirm and the process may be killed at any instant:
-- before the save, or after it but before the reply went out. The update is
-- then delivered again to the next process, which submits the same form
-- again. So that this repeat finds what the first attempt saved instead of
-- being refused ("already registered by your own agency", "already
-- pending"), every record a conversation creates carries the key the bot
-- chose for that submission (the chat and session, or the button press), and
-- a submit under a key already stored returns the stored record. NULL is no
-- key: bulk imports and the command line, which behave as before.

-- One record per key: the unique indexes also settle two deliveries of the
-- same submit handled at once, the second finding the first's row.
ALTER TABLE placements ADD COLUMN submission text;
CREATE UNIQUE INDEX placements_submission ON placements (submission) WHERE submission IS NOT NULL;

ALTER TABLE liaison_requests ADD COLUMN submission text;
CREATE UNIQUE INDEX liaison_requests_submission ON liaison_requests (submission) WHERE submission IS NOT NULL;

ALTER TABLE stall_requests ADD COLUMN submission text;
CREATE UNIQUE INDEX stall_requests_submission ON stall_requests (submission) WHERE submission IS NOT NULL;

-- A correction writes one audit row per field changed, all under its key, so
-- this index is not unique. A withdrawal's "withdrawn" row carries its key
-- too. Rows written before this migration, or by the command line, have none.
ALTER TABLE placement_changes ADD COLUMN submission text;
CREATE INDEX placement_changes_submission ON placement_changes (submission) WHERE submission IS NOT NULL;

-- The key of the button press that answered an offer (accepted, declined, or
-- found lapsed), so that the same press delivered again gets the same answer
-- rather than "not offered" — while a second, different press still does.
-- A declined or lapsed request gives its stall back, and the columns that
-- named it are cleared; the answered_ columns keep which offer the press
-- answered, so a repeated decline can still pass that stall on. No foreign
-- key: a copy for the record, it takes no lock on the market.
ALTER TABLE stall_requests
    ADD COLUMN answer_key        text,
    ADD COLUMN answered_market   bigint,
    ADD COLUMN answered_stall    int,
    ADD COLUMN answered_deadline timestamptz;

-- +goose Down

-- Dropping a column drops its indexes.
ALTER TABLE stall_requests
    DROP COLUMN answered_deadline,
    DROP COLUMN answered_stall,
    DROP COLUMN answered_market,
    DROP COLUMN answer_key,
    DROP COLUMN submission;
ALTER TABLE placement_changes DROP COLUMN submission;
ALTER TABLE liaison_requests DROP COLUMN submission;
ALTER TABLE placements DROP COLUMN submission;
