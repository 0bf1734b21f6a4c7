-- +goose Up

-- One row per job registered. Withdrawn rows are kept (they count for
-- nothing and hold no national code) so the audit trail stays whole.
-- liaison_id and withdrawn_by are Telegram ids, NULL for the command line.
CREATE TABLE placements (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_year    int NOT NULL CHECK (program_year > 0),

    national_id     text NOT NULL CHECK (national_id ~ '^[0-9]{10}$'),
    full_name       text NOT NULL CHECK (full_name <> ''),
    gender          text NOT NULL CHECK (gender IN ('female', 'male')),
    birth_year      int NOT NULL,
    mobile          text CHECK (mobile ~ '^\+989[0-9]{9}$'),

    sector          text NOT NULL CHECK (sector IN ('services', 'industry', 'agriculture')),
    activity        text NOT NULL CHECK (activity <> ''),
    employer        text NOT NULL CHECK (employer <> ''),
    kind            text NOT NULL CHECK (kind IN ('new_job', 'home_business', 'knowledge_based', 'rural',
                                                  'tourism', 'market_stall', 'other')),
    support         text NOT NULL CHECK (support IN ('information', 'identification', 'counselling', 'training',
                                                     'financing', 'technology', 'infrastructure', 'permits',
                                                     'promotion')),
    funding         text NOT NULL CHECK (funding IN ('none', 'qard_hasan', 'rural_credit', 'bank', 'other')),
    funding_amount  bigint NOT NULL DEFAULT 0 CHECK (funding_amount >= 0),
    county          text NOT NULL CHECK (county <> ''),
    district        smallint CHECK (district BETWEEN 1 AND 22),
    area            text NOT NULL CHECK (area IN ('urban', 'rural')),
    start_date      date NOT NULL,

    agency_id       bigint NOT NULL REFERENCES agencies (id),
    liaison_id      bigint,
    verification    text NOT NULL DEFAULT 'pending' CHECK (verification IN ('pending', 'verified', 'failed')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    withdrawn_at    timestamptz,
    withdrawn_by    bigint,
    withdraw_reason text,

    -- Every project names its money: an amount exactly when it is funded.
    CONSTRAINT placements_funding_amount CHECK ((funding = 'none') = (funding_amount = 0)),
    CONSTRAINT placements_withdrawn CHECK (withdrawn_at IS NOT NULL OR (withdrawn_by IS NULL AND withdraw_reason IS NULL))
);
-- One placement per national code per program year, across all agencies.
-- Inserts rely on this index (ON CONFLICT ... DO NOTHING) to refuse
-- duplicates race-free, so its definition is matched in Go.
CREATE UNIQUE INDEX placements_one_per_year ON placements (national_id, program_year) WHERE withdrawn_at IS NULL;
-- An agency's records, newest first.
CREATE INDEX placements_agency_idx ON placements (agency_id, created_at DESC, id DESC);
-- The daily summary: today and this year, by agency and sector.
CREATE INDEX placements_year_created_idx ON placements (program_year, created_at);
CREATE INDEX placements_year_agency_sector_idx ON placements (program_year, agency_id, sector);
CREATE INDEX placements_start_date_idx ON placements (start_date);

-- Registrations refused because another agency holds the code, kept for the
-- summaries. agency_id is the agency that tried.
CREATE TABLE duplicate_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    national_id  text NOT NULL,
    program_year int NOT NULL,
    agency_id    bigint NOT NULL REFERENCES agencies (id),
    liaison_id   bigint,
    holder_id    bigint NOT NULL REFERENCES placements (id),
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX duplicate_attempts_at_idx ON duplicate_attempts (at);
CREATE INDEX duplicate_attempts_agency_idx ON duplicate_attempts (agency_id, at);

-- The audit trail: one row per field corrected, plus "created" and
-- "withdrawn" rows. Values are text; '' for none.
CREATE TABLE placement_changes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    placement_id bigint NOT NULL REFERENCES placements (id),
    field        text NOT NULL CHECK (field <> ''),
    old_value    text NOT NULL DEFAULT '',
    new_value    text NOT NULL DEFAULT '',
    changed_by   bigint,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    reason       text
);
CREATE INDEX placement_changes_placement_idx ON placement_changes (placement_id);

-- +goose Down
DROP TABLE placement_changes;
DROP TABLE duplicate_attempts;
DROP TABLE placements;
