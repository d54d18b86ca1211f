-- Scheduling's read model, rebuilt from the SCHEDULING stream and identity's stream.

-- What scheduling knows of identity: stores, users and memberships.
CREATE TABLE directory_stores (
    tenant      TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    store_code  TEXT    NOT NULL,
    time_zone   TEXT    NOT NULL,
    closed      BOOLEAN NOT NULL DEFAULT FALSE,
    departments TEXT[]  NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant, id)
);
CREATE INDEX directory_stores_by_code ON directory_stores (tenant, upper(store_code));

CREATE TABLE directory_users (
    tenant TEXT NOT NULL,
    id     TEXT NOT NULL,
    email  TEXT NOT NULL DEFAULT '',
    -- invited | active | deactivated
    state  TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX directory_users_by_email ON directory_users (tenant, email);

CREATE TABLE directory_memberships (
    tenant        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    store_id      TEXT NOT NULL,
    department_id TEXT NOT NULL,
    role          TEXT NOT NULL,
    PRIMARY KEY (tenant, user_id, store_id, department_id, role)
);
-- Who works in a store (planning, imports).
CREATE INDEX directory_memberships_by_store ON directory_memberships (tenant, store_id, user_id);

-- Every shift, draft or published; removed shifts are deleted.
CREATE TABLE shifts (
    tenant               TEXT        NOT NULL,
    id                   TEXT        NOT NULL,
    store_id             TEXT        NOT NULL,
    week                 TEXT        NOT NULL,
    employee_id          TEXT        NOT NULL,
    start_local          TEXT        NOT NULL,
    end_local            TEXT        NOT NULL,
    start_time           TIMESTAMPTZ NOT NULL,
    end_time             TIMESTAMPTZ NOT NULL,
    department_id        TEXT        NOT NULL,
    position             TEXT        NOT NULL,
    unpaid_break_minutes INTEGER     NOT NULL,
    note                 TEXT        NOT NULL,
    external_id          TEXT        NOT NULL,
    revision             BIGINT      NOT NULL,
    published            BOOLEAN     NOT NULL,
    PRIMARY KEY (tenant, id)
);
-- ListMyShifts and the overlap rule: an employee's shifts by time.
CREATE INDEX shifts_by_employee ON shifts (tenant, employee_id, start_time);
-- ListStoreShifts and ListOpenShifts.
CREATE INDEX shifts_by_store ON shifts (tenant, store_id, start_time);

-- Per employee, the published shifts their calendar shows, with cancellations kept so
-- that subscribed calendars remove them.
CREATE TABLE feed_entries (
    tenant      TEXT        NOT NULL,
    employee_id TEXT        NOT NULL,
    shift_id    TEXT        NOT NULL,
    store_id    TEXT        NOT NULL,
    start_time  TIMESTAMPTZ NOT NULL,
    end_time    TIMESTAMPTZ NOT NULL,
    position    TEXT        NOT NULL,
    note        TEXT        NOT NULL,
    sequence    BIGINT      NOT NULL,
    cancelled   BOOLEAN     NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, employee_id, shift_id)
);

CREATE TABLE calendar_feeds (
    tenant     TEXT        NOT NULL,
    user_id    TEXT        NOT NULL,
    token_hash BYTEA       NOT NULL UNIQUE,
    create_time TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, user_id)
);

-- Change notices each employee got (publication or amendment), to acknowledge.
CREATE TABLE change_notices (
    tenant           TEXT        NOT NULL,
    employee_id      TEXT        NOT NULL,
    notice_id        TEXT        NOT NULL,
    roster_id        TEXT        NOT NULL,
    -- The employee's EmployeeChanges message (protobuf).
    changes          BYTEA       NOT NULL,
    create_time      TIMESTAMPTZ NOT NULL,
    acknowledge_time TIMESTAMPTZ,
    PRIMARY KEY (tenant, employee_id, notice_id)
);

CREATE TABLE time_off_requests (
    tenant      TEXT        NOT NULL,
    id          TEXT        NOT NULL,
    employee_id TEXT        NOT NULL,
    store_id    TEXT        NOT NULL,
    start_date  TEXT        NOT NULL,
    end_date    TEXT        NOT NULL,
    reason      TEXT        NOT NULL,
    -- pending | approved | rejected
    state       TEXT        NOT NULL,
    conflicting TEXT[]      NOT NULL DEFAULT '{}',
    create_time TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX time_off_by_store ON time_off_requests (tenant, store_id, create_time);
CREATE INDEX time_off_by_employee ON time_off_requests (tenant, employee_id, create_time);
