-- +goose Up

-- Markets are keyed by code for imports; id is what requests point at.
-- weekdays are Go's (and PostgreSQL's EXTRACT(DOW)) day numbers, Sunday = 0,
-- in the order given. Season dates are for park bazaars only.
CREATE TABLE markets (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code           text NOT NULL UNIQUE CHECK (code <> ''),
    name_fa        text NOT NULL CHECK (name_fa <> ''),
    name_en        text NOT NULL DEFAULT '',
    kind           text NOT NULL CHECK (kind IN ('day', 'park', 'fixed')),
    county         text NOT NULL CHECK (county <> ''),
    district       smallint CHECK (district BETWEEN 1 AND 22),
    weekdays       smallint[] NOT NULL CHECK (cardinality(weekdays) > 0
                                              AND weekdays <@ ARRAY[0, 1, 2, 3, 4, 5, 6]::smallint[]),
    capacity       int NOT NULL CHECK (capacity BETWEEN 0 AND 10000),
    reserved_share numeric(4, 3) NOT NULL DEFAULT 0.2 CHECK (reserved_share BETWEEN 0 AND 1),
    season_start   date,
    season_end     date,
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT markets_season CHECK ((season_start IS NULL) = (season_end IS NULL) AND season_end >= season_start)
);

-- One row per stall request. A request holds a stall (market_id, stall) and
-- the offer's times exactly while it is offered or allocated; a declined,
-- expired or cancelled request holds nothing.
-- telegram_id is the applicant's Telegram id: offers go there.
CREATE TABLE stall_requests (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_year int NOT NULL CHECK (program_year > 0),
    telegram_id  bigint NOT NULL,
    national_id  text NOT NULL CHECK (national_id ~ '^[0-9]{10}$'),
    full_name    text NOT NULL CHECK (full_name <> ''),
    phone        text NOT NULL CHECK (phone ~ '^\+989[0-9]{9}$'),
    gender       text NOT NULL CHECK (gender IN ('female', 'male')),
    female_head  boolean NOT NULL DEFAULT false,
    category     text NOT NULL CHECK (category IN ('food', 'clothing', 'handicrafts', 'household', 'produce', 'other')),
    vendor_kind  text NOT NULL CHECK (vendor_kind IN ('street', 'home')),
    state        text NOT NULL DEFAULT 'waiting'
                 CHECK (state IN ('waiting', 'offered', 'allocated', 'declined', 'expired', 'cancelled')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    market_id    bigint REFERENCES markets (id),
    stall        int CHECK (stall >= 1),
    offered_at   timestamptz,
    deadline     timestamptz,

    CONSTRAINT stall_requests_female_head CHECK (NOT female_head OR gender = 'female'),
    CONSTRAINT stall_requests_held CHECK (
        (state IN ('offered', 'allocated')) = (market_id IS NOT NULL)
        AND (market_id IS NULL) = (stall IS NULL)
        AND (stall IS NULL) = (offered_at IS NULL)
        AND (offered_at IS NULL) = (deadline IS NULL))
);
-- A person holds at most one open request per program year. Inserts rely on
-- this index (ON CONFLICT ... DO NOTHING) to refuse a second one race-free,
-- so its definition is matched in Go.
CREATE UNIQUE INDEX one_open_request ON stall_requests (national_id, program_year)
    WHERE state IN ('waiting', 'offered', 'allocated');
-- No stall is ever held twice, whoever allocates it and however many at once.
-- Stalls are given for a program year: last year's holders do not hold this year's.
CREATE UNIQUE INDEX one_holder_per_stall ON stall_requests (market_id, program_year, stall)
    WHERE state IN ('offered', 'allocated');
-- Offers that lapse.
CREATE INDEX stall_requests_deadline_idx ON stall_requests (deadline) WHERE state = 'offered';
-- A user's requests (/status), newest first.
CREATE INDEX stall_requests_user_idx ON stall_requests (telegram_id, program_year, created_at DESC);
-- The line: waiting requests in order of request.
CREATE INDEX stall_requests_waiting_idx ON stall_requests (program_year, created_at, id) WHERE state = 'waiting';

-- The markets a request names, 1 = first choice.
CREATE TABLE stall_request_markets (
    request_id bigint NOT NULL REFERENCES stall_requests (id) ON DELETE CASCADE,
    market_id  bigint NOT NULL REFERENCES markets (id),
    rank       smallint NOT NULL CHECK (rank BETWEEN 1 AND 3),
    PRIMARY KEY (request_id, rank),
    CONSTRAINT stall_request_markets_once UNIQUE (request_id, market_id)
);
CREATE INDEX stall_request_markets_market_idx ON stall_request_markets (market_id);

-- +goose Down
DROP TABLE stall_request_markets;
DROP TABLE stall_requests;
DROP TABLE markets;
