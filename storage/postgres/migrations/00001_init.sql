-- +goose Up

-- Agencies are keyed by code for imports; id is what other rows point at, so
-- a code can be corrected without touching them.
CREATE TABLE agencies (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code <> ''),
    name_fa    text NOT NULL CHECK (name_fa <> ''),
    name_en    text NOT NULL DEFAULT '',
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- users are keyed by Telegram user id, which is also the private chat id.
-- phone is NULL until the user shares it (stored as +989xxxxxxxxx).
CREATE TABLE users (
    telegram_id bigint PRIMARY KEY,
    full_name   text NOT NULL DEFAULT '',
    phone       text,
    language    text NOT NULL DEFAULT 'fa',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per role held. Only a liaison is tied to an agency, and always is.
-- granted_by is NULL when the role was granted from the command line.
CREATE TABLE user_roles (
    telegram_id bigint NOT NULL REFERENCES users (telegram_id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('admin', 'manager', 'liaison', 'vendor')),
    agency_id   bigint REFERENCES agencies (id),
    granted_by  bigint,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (telegram_id, role),
    CONSTRAINT user_roles_liaison_agency CHECK ((role = 'liaison') = (agency_id IS NOT NULL))
);
CREATE INDEX user_roles_role_idx ON user_roles (role);
CREATE INDEX user_roles_agency_idx ON user_roles (agency_id) WHERE agency_id IS NOT NULL;

-- Invites come before requests, which name the invite they were made with.
-- created_by is NULL for invites made on the command line.
CREATE TABLE invites (
    code       text PRIMARY KEY,
    agency_id  bigint NOT NULL REFERENCES agencies (id),
    created_by bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_by    bigint,
    used_at    timestamptz,
    CONSTRAINT invites_used CHECK ((used_by IS NULL) = (used_at IS NULL))
);

CREATE TABLE liaison_requests (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    telegram_id bigint NOT NULL REFERENCES users (telegram_id) ON DELETE CASCADE,
    agency_id   bigint NOT NULL REFERENCES agencies (id),
    full_name   text NOT NULL,
    position    text NOT NULL,
    phone       text NOT NULL,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    invite_code text REFERENCES invites (code),
    decided_by  bigint,
    decided_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT liaison_requests_decided CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- At most one pending request per user. Inserts rely on this index to
-- report "already pending" race-free, so its name is matched in Go.
CREATE UNIQUE INDEX liaison_requests_one_pending ON liaison_requests (telegram_id) WHERE status = 'pending';
-- An invite signs up one liaison.
CREATE UNIQUE INDEX liaison_requests_invite ON liaison_requests (invite_code) WHERE invite_code IS NOT NULL;
-- The admins' queue.
CREATE INDEX liaison_requests_pending_idx ON liaison_requests (created_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE liaison_requests;
DROP TABLE invites;
DROP TABLE user_roles;
DROP TABLE users;
DROP TABLE agencies;
