-- +goose Up

-- Verification (domain/verification.go): each period a share of every
-- agency's new placements is drawn and checked, by the person, a verifier's
-- call, an inspector's visit. placements.verification is the state; the
-- queues and the audit trail are below.

ALTER TABLE user_roles DROP CONSTRAINT user_roles_role_check;
ALTER TABLE user_roles ADD CONSTRAINT user_roles_role_check
    CHECK (role IN ('admin', 'manager', 'liaison', 'vendor', 'verifier', 'inspector'));

-- Nothing ever set the old states; they map onto the new ones.
ALTER TABLE placements DROP CONSTRAINT placements_verification_check;
UPDATE placements SET verification = CASE verification
    WHEN 'verified' THEN 'confirmed' WHEN 'failed' THEN 'rejected' ELSE 'not_sampled' END;
ALTER TABLE placements ALTER COLUMN verification SET DEFAULT 'not_sampled';
ALTER TABLE placements ADD CONSTRAINT placements_verification_check
    CHECK (verification IN ('not_sampled', 'waiting', 'confirmed', 'rejected', 'unreachable'));
-- The warning of one mobile on many placements counts the year up to a
-- day: with created_at in the index it needs no visit to the table. (The
-- draw reads a period's registrations by 00004's placements_created_active_idx.)
CREATE INDEX placements_mobile_idx ON placements (program_year, mobile) INCLUDE (created_at)
    WHERE mobile IS NOT NULL AND withdrawn_at IS NULL;

-- A draw keeps its seed, share and candidates, so an auditor can redo it
-- (domain.DrawSample) and find the same sample. One draw per period: two
-- replicas drawing at once, the second finds the first's.
CREATE TABLE verify_draws (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_from timestamptz NOT NULL,
    period_to   timestamptz NOT NULL,
    seed        bigint NOT NULL,
    share       double precision NOT NULL CHECK (share >= 0 AND share <= 1),
    candidates  bigint[] NOT NULL, -- placement ids, in the order of agencies
    agencies    bigint[] NOT NULL, -- each candidate's agency
    sample      bigint[] NOT NULL,
    drawn_at    timestamptz NOT NULL,
    drawn_by    bigint, -- NULL: the weekly job
    UNIQUE (period_from, period_to),
    CHECK (cardinality(candidates) = cardinality(agencies))
);

-- A sampled placement's place in the queues. held_by/held_until: the
-- verifier or inspector who has it in hand; two never hold one record, and
-- a record left open returns once held_until passes.
CREATE TABLE verify_checks (
    placement_id bigint PRIMARY KEY REFERENCES placements (id),
    draw_id      bigint REFERENCES verify_draws (id), -- NULL: added by an admin, or by the person's own answer
    stage        text NOT NULL CHECK (stage IN ('call', 'field', 'review', 'done')),
    attempts     int NOT NULL DEFAULT 0,
    next_at      timestamptz NOT NULL,
    held_by      bigint,
    held_until   timestamptz,
    last_outcome text NOT NULL DEFAULT '',
    asked_at     timestamptz, -- the person was sent one message (Safir)
    told_at      timestamptz, -- the liaison was told of a rejection
    created_at   timestamptz NOT NULL
);
CREATE INDEX verify_checks_queue_idx ON verify_checks (stage, next_at) WHERE stage IN ('call', 'field');

-- The audit trail: every step, who (NULL: the system), when, at which
-- stage, with what. key makes a step recorded twice (a retried press) one.
CREATE TABLE verify_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    placement_id bigint NOT NULL REFERENCES placements (id),
    at           timestamptz NOT NULL,
    by           bigint,
    stage        text NOT NULL,
    outcome      text NOT NULL,
    note         text NOT NULL DEFAULT '',
    location     text NOT NULL DEFAULT '',
    photo        text NOT NULL DEFAULT '',
    key          text
);
CREATE INDEX verify_events_placement_idx ON verify_events (placement_id, at);
CREATE UNIQUE INDEX verify_events_key ON verify_events (key) WHERE key IS NOT NULL;

-- +goose Down
DROP TABLE verify_events;
DROP TABLE verify_checks;
DROP TABLE verify_draws;
DROP INDEX placements_mobile_idx;
ALTER TABLE placements DROP CONSTRAINT placements_verification_check;
UPDATE placements SET verification = CASE verification
    WHEN 'confirmed' THEN 'verified' WHEN 'rejected' THEN 'failed' ELSE 'pending' END;
ALTER TABLE placements ALTER COLUMN verification SET DEFAULT 'pending';
ALTER TABLE placements ADD CONSTRAINT placements_verification_check
    CHECK (verification IN ('pending', 'verified', 'failed'));
ALTER TABLE user_roles DROP CONSTRAINT user_roles_role_check;
ALTER TABLE user_roles ADD CONSTRAINT user_roles_role_check
    CHECK (role IN ('admin', 'manager', 'liaison', 'vendor'));
