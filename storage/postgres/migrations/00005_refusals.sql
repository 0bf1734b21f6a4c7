-- +goose Up
-- Actions refused to someone without the role (an admin's button pressed by
-- a liaison, another agency's record), kept for operators to review.
CREATE TABLE refusals (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    telegram_id bigint NOT NULL,
    action      text NOT NULL CHECK (action <> ''),
    at          timestamptz NOT NULL
);
CREATE INDEX refusals_at_idx ON refusals (at);

-- +goose Down
DROP TABLE refusals;
