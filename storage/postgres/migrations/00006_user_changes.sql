-- +goose Up
-- Every change to a user or their roles is announced on the channel
-- user_changed with the Telegram id, so each running bot drops its cached
-- copy of that user whoever made the change (another replica, `rasad
-- admin`, an operator's SQL). Postgres sends notifications at commit.
-- +goose StatementBegin
CREATE FUNCTION notify_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('user_changed', OLD.telegram_id::text);
    ELSE
        PERFORM pg_notify('user_changed', NEW.telegram_id::text);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_user_changed();
CREATE TRIGGER user_roles_changed AFTER INSERT OR UPDATE OR DELETE ON user_roles
    FOR EACH ROW EXECUTE FUNCTION notify_user_changed();

-- +goose Down
DROP TRIGGER user_roles_changed ON user_roles;
DROP TRIGGER users_changed ON users;
DROP FUNCTION notify_user_changed();
