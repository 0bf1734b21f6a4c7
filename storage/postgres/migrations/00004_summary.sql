-- +goose Up

-- Each agency's yearly job commitment, per sector. year is the program
-- (Solar Hijri) year.
CREATE TABLE targets (
    year       int NOT NULL CHECK (year > 0),
    agency_id  bigint NOT NULL REFERENCES agencies (id),
    sector     text NOT NULL CHECK (sector IN ('services', 'industry', 'agriculture')),
    jobs       int NOT NULL CHECK (jobs >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (year, agency_id, sector)
);

-- The sent-log of the daily summary: one row per manager and Tehran day.
-- Senders claim a row before sending (state 'sending', claimed_by and
-- claimed_at say who and when) and mark it 'sent' or 'failed' after. The
-- primary key makes the claim race-free across processes: of two claimers,
-- one inserts and the other finds the row. attempts counts failed sends
-- (and claims abandoned past their lease); a failed row is claimed again
-- until it has 5. sent_at is set exactly when the row is sent.
CREATE TABLE summary_sends (
    day         date NOT NULL,
    telegram_id bigint NOT NULL,
    state       text NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
    attempts    int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    claimed_by  text NOT NULL,
    claimed_at  timestamptz NOT NULL,
    sent_at     timestamptz,
    failed_at   timestamptz,
    last_error  text,
    PRIMARY KEY (day, telegram_id),
    CONSTRAINT summary_sends_sent CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);

-- A manager may stop the daily message and still ask for a summary.
ALTER TABLE users ADD COLUMN summary_muted boolean NOT NULL DEFAULT false;

-- The daily summary. 00002's two indexes for it are replaced: both
-- covered withdrawn rows, so every row counted had to be fetched from the
-- table to test withdrawn_at (and created_at).
DROP INDEX placements_year_created_idx;
DROP INDEX placements_year_agency_sector_idx;
-- The year's active placements by agency and sector, counted from the
-- index alone (an index-only scan, in group order, with program_year as a
-- condition on its entries). With few distinct keys the entries
-- deduplicate: a million placements take some 10 MB. program_year comes
-- last so that no lookup of a national code (national_id, program_year)
-- is ever planned on this small index instead of placements_one_per_year,
-- as it was with program_year first: in a year the statistics have not
-- seen yet both look like one row, and the small index won.
CREATE INDEX placements_agency_sector_year_idx ON placements (agency_id, sector, program_year)
    WHERE withdrawn_at IS NULL;
-- Active placements by time of registration: those of a day, and those
-- registered after a day (subtracted from the year's to count the year up
-- to that day), both from the index alone.
CREATE INDEX placements_created_active_idx ON placements (created_at) INCLUDE (program_year, agency_id, sector)
    WHERE withdrawn_at IS NULL;
-- Index-only scans skip the table only for pages the visibility map marks
-- all-visible, which vacuum sets. By default inserts bring a vacuum only
-- after a fifth of the table is new; keep it nearer 2%.
ALTER TABLE placements SET (autovacuum_vacuum_insert_scale_factor = 0.02);
-- Stall requests made on a day, and the stalls held this year.
CREATE INDEX stall_requests_created_idx ON stall_requests (created_at);
CREATE INDEX stall_requests_held_idx ON stall_requests (program_year, female_head)
    WHERE state IN ('offered', 'allocated');

-- +goose Down
ALTER TABLE placements RESET (autovacuum_vacuum_insert_scale_factor);
DROP INDEX stall_requests_held_idx;
DROP INDEX stall_requests_created_idx;
DROP INDEX placements_created_active_idx;
DROP INDEX placements_agency_sector_year_idx;
CREATE INDEX placements_year_agency_sector_idx ON placements (program_year, agency_id, sector);
CREATE INDEX placements_year_created_idx ON placements (program_year, created_at);
ALTER TABLE users DROP COLUMN summary_muted;
DROP TABLE summary_sends;
DROP TABLE targets;
