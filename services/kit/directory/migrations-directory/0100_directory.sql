-- The kit's replica of identity's directory: every service but identity keeps one, built
-- by the same projection (`kit::directory`) from identity's events, and decides
-- authorization from it. Services read these tables; only the kit writes them.

CREATE TABLE IF NOT EXISTS kit_directory_tenants (
    tenant       TEXT NOT NULL PRIMARY KEY,
    display_name TEXT NOT NULL,
    -- Default IANA zone and BCP 47 locale of the chain.
    time_zone    TEXT NOT NULL,
    locale       TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS kit_directory_stores (
    tenant       TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    store_code   TEXT    NOT NULL,
    region       TEXT    NOT NULL,
    time_zone    TEXT    NOT NULL,
    closed       BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS kit_directory_stores_by_code
    ON kit_directory_stores (tenant, upper(store_code));

CREATE TABLE IF NOT EXISTS kit_directory_departments (
    tenant        TEXT NOT NULL,
    store_id      TEXT NOT NULL,
    department_id TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    PRIMARY KEY (tenant, store_id, department_id)
);

CREATE TABLE IF NOT EXISTS kit_directory_users (
    tenant       TEXT NOT NULL,
    id           TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email        TEXT NOT NULL,
    phone        TEXT NOT NULL,
    -- invited | active | deactivated
    state        TEXT NOT NULL,
    -- When identity recorded the invitation, activation and offboarding.
    invite_time     TIMESTAMPTZ NOT NULL,
    activate_time   TIMESTAMPTZ,
    deactivate_time TIMESTAMPTZ,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS kit_directory_users_by_email
    ON kit_directory_users (tenant, lower(email));

CREATE TABLE IF NOT EXISTS kit_directory_memberships (
    tenant        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    -- Empty for the chain-wide hq_admin.
    store_id      TEXT NOT NULL,
    -- Empty for the whole store.
    department_id TEXT NOT NULL,
    -- employee | team_lead | store_manager | hq_admin
    role          TEXT NOT NULL,
    PRIMARY KEY (tenant, user_id, store_id, department_id, role)
);
-- Who works in a store (planning, groups, audiences).
CREATE INDEX IF NOT EXISTS kit_directory_memberships_by_store
    ON kit_directory_memberships (tenant, store_id, user_id);

-- Service accounts that were deleted: their tokens are refused at once, not only when
-- they expire.
CREATE TABLE IF NOT EXISTS kit_directory_service_accounts (
    tenant  TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (tenant, id)
);
