-- +goose Up

-- A user the bot has never spoken with (made by a role grant: ADMIN_IDS,
-- rasad admin grant) has not chosen a language: NULL, so the bot speaks
-- its DEFAULT_LANGUAGE to them rather than Persian whatever it is.
ALTER TABLE users ALTER COLUMN language DROP NOT NULL, ALTER COLUMN language DROP DEFAULT;

-- +goose Down

UPDATE users SET language = 'fa' WHERE language IS NULL;
ALTER TABLE users ALTER COLUMN language SET DEFAULT 'fa', ALTER COLUMN language SET NOT NULL;
