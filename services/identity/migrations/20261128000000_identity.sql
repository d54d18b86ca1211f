-- Identity's read model: everything here is rebuilt from the IDENTITY stream.

CREATE TABLE tenants (
    id           TEXT        PRIMARY KEY,
    display_name TEXT        NOT NULL,
    time_zone    TEXT        NOT NULL,
    locale       TEXT        NOT NULL,
    create_time  TIMESTAMPTZ NOT NULL
);

CREATE TABLE stores (
    tenant       TEXT        NOT NULL,
    id           TEXT        NOT NULL,
    display_name TEXT        NOT NULL,
    store_code   TEXT        NOT NULL,
    region       TEXT        NOT NULL,
    time_zone    TEXT        NOT NULL,
    closed       BOOLEAN     NOT NULL DEFAULT FALSE,
    -- [{"id": "fresh", "name": "Fresh produce"}, ...] in the order they were added.
    departments  JSONB       NOT NULL DEFAULT '[]',
    create_time  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, id)
);
-- ListStores pages by store code.
CREATE INDEX stores_by_code ON stores (tenant, store_code, id);

CREATE TABLE users (
    tenant             TEXT        NOT NULL,
    id                 TEXT        NOT NULL,
    display_name       TEXT        NOT NULL,
    email              TEXT        NOT NULL DEFAULT '',
    phone              TEXT        NOT NULL DEFAULT '',
    -- invited | active | deactivated
    state              TEXT        NOT NULL,
    -- SHA-256 of the pending invite code; NULL once used or void.
    invite_code_hash   BYTEA,
    invite_expire_time TIMESTAMPTZ,
    create_time        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, id)
);
-- ListUsers pages by display name.
CREATE INDEX users_by_name ON users (tenant, display_name, id);
-- ActivateUser finds the user by the code's hash.
CREATE INDEX users_by_invite ON users (tenant, invite_code_hash) WHERE invite_code_hash IS NOT NULL;

CREATE TABLE memberships (
    tenant        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    -- '' for the chain-wide hq_admin role.
    store_id      TEXT NOT NULL,
    -- '' for the whole store.
    department_id TEXT NOT NULL,
    -- employee | team_lead | store_manager | hq_admin
    role          TEXT NOT NULL,
    PRIMARY KEY (tenant, user_id, store_id, department_id, role)
);
-- ListUsers filtered by store and role.
CREATE INDEX memberships_by_store ON memberships (tenant, store_id, role, user_id);

CREATE TABLE sessions (
    tenant         TEXT        NOT NULL,
    user_id        TEXT        NOT NULL,
    id             TEXT        NOT NULL,
    device_class   INTEGER     NOT NULL,
    client_version TEXT        NOT NULL,
    create_time    TIMESTAMPTZ NOT NULL,
    last_use_time  TIMESTAMPTZ NOT NULL,
    expire_time    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, user_id, id)
);

CREATE TABLE service_accounts (
    tenant       TEXT        NOT NULL,
    id           TEXT        NOT NULL,
    display_name TEXT        NOT NULL,
    create_time  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE signing_keys (
    kid        TEXT        PRIMARY KEY,
    public_key BYTEA       NOT NULL,
    not_before TIMESTAMPTZ NOT NULL,
    not_after  TIMESTAMPTZ NOT NULL
);
