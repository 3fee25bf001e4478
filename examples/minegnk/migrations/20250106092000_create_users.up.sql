-- User accounts: local (email + password) or OAuth (Google, GitHub).

CREATE TYPE users_role_enum AS ENUM ('user', 'admin');
CREATE TYPE users_provider_enum AS ENUM ('local', 'google', 'github');

CREATE TABLE users (
    id          uuid                NOT NULL DEFAULT gen_random_uuid(),
    email       varchar(255)        NOT NULL,
    password    varchar(255),                      -- bcrypt hash; NULL for OAuth-only accounts
    name        varchar(255),
    provider    users_provider_enum NOT NULL DEFAULT 'local',
    google_id   varchar(255),
    github_id   varchar(255),
    role        users_role_enum     NOT NULL DEFAULT 'user',
    is_active   boolean             NOT NULL DEFAULT true,
    created_at  timestamptz         NOT NULL DEFAULT now(),
    updated_at  timestamptz         NOT NULL DEFAULT now(),
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT uq_users_email UNIQUE (email),
    CONSTRAINT uq_users_google_id UNIQUE (google_id),
    CONSTRAINT uq_users_github_id UNIQUE (github_id),
    CONSTRAINT chk_users_local_password CHECK (provider <> 'local' OR password IS NOT NULL)
);

CREATE INDEX idx_users_role ON users (role);
-- Most queries only look at active accounts.
CREATE INDEX idx_users_is_active ON users (created_at) WHERE is_active;

CREATE TRIGGER trg_users_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
