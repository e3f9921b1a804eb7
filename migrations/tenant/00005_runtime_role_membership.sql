-- Membership of the migrating role in minutes_app (tenant set).
--
-- On Azure Database for PostgreSQL with Microsoft Entra authentication the app's managed
-- identity is the only login: it runs these migrations, and at run time it connects with
-- options='-c role=minutes_app' (DATABASE_URL in infra/), so every statement still runs as the
-- RLS-bound runtime role. Switching role at connection start needs membership, and from
-- PostgreSQL 16 creating a role only gives its creator ADMIN OPTION on it, not membership.
-- So the role running the migrations is granted minutes_app. Where it may not grant (the role
-- was created by someone else without giving it ADMIN OPTION) the migration says so and goes
-- on: installs whose runtime logs in as minutes_app itself do not need the membership. A
-- superuser is a member of every role already. The same statement is in the control-plane
-- set (migrations/control/00008); a BYOI database receives only this one.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF current_user <> 'minutes_app' AND NOT pg_has_role(current_user, 'minutes_app', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT minutes_app TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE '% may not grant itself minutes_app: a runtime logging in as % with -c role=minutes_app will be refused; grant it as an admin (GRANT minutes_app TO %I)', current_user, current_user, current_user;
        END;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- The membership is left in place: a running app may be logging in through it.
