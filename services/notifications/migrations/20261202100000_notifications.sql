-- Notifications' read models and its delivery outbox.

-- Devices (projected from the `device` aggregates).
CREATE TABLE devices (
    tenant        text        NOT NULL,
    id            text        NOT NULL,
    user_id       text        NOT NULL,
    endpoint      text        NOT NULL,
    p256dh        bytea       NOT NULL,
    auth          bytea       NOT NULL,
    display_name  text        NOT NULL,
    registered_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX devices_by_user ON devices (tenant, user_id, registered_at, id);

-- Preferences (projected from the `preferences` aggregates); no row = the defaults.
CREATE TABLE preferences (
    tenant             text        NOT NULL,
    user_id            text        NOT NULL,
    push_off           int[]       NOT NULL,
    email_off          int[]       NOT NULL,
    quiet_enabled      boolean     NOT NULL,
    quiet_start_minute int         NOT NULL,
    quiet_end_minute   int         NOT NULL,
    off_shift_quiet    boolean     NOT NULL,
    digest_minute      int         NOT NULL,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant, user_id)
);

-- The inbox: one row per (source event, recipient), whatever the redeliveries (the
-- unique key), written by the routing projection in its checkpointed transaction.
CREATE TABLE notifications (
    id         uuid        PRIMARY KEY,
    tenant     text        NOT NULL,
    user_id    text        NOT NULL,
    source_key text        NOT NULL,
    kind       int         NOT NULL,
    category   int         NOT NULL,
    urgent     boolean     NOT NULL,
    -- What acknowledging clears it: a post id or a change notice id; empty for none.
    subject    text        NOT NULL,
    fields     jsonb       NOT NULL,
    -- Digests are pushes only, not inbox items.
    in_inbox   boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    read_at    timestamptz,
    UNIQUE (tenant, source_key, user_id)
);
CREATE INDEX notifications_inbox ON notifications (tenant, user_id, created_at DESC, id DESC)
    WHERE in_inbox;
CREATE INDEX notifications_unread ON notifications (tenant, user_id) WHERE in_inbox AND read_at IS NULL;
CREATE INDEX notifications_subject ON notifications (tenant, user_id, subject) WHERE subject <> '';

-- The outbox: one row per (notification, device). States: pending (due at
-- next_attempt_at), held (quiet hours / off shift: released at next_attempt_at as a
-- digest), sending (claimed until lease_until), sent, dead (given up), gone (the
-- device was removed), dropped (read or acknowledged before it went out), digested.
CREATE TABLE deliveries (
    id              uuid        PRIMARY KEY,
    tenant          text        NOT NULL,
    notification_id uuid        NOT NULL REFERENCES notifications (id),
    user_id         text        NOT NULL,
    device_id       text        NOT NULL,
    state           text        NOT NULL,
    -- Comments on one post collapse into one pending push.
    collapse_key    text,
    collapsed       int         NOT NULL DEFAULT 1,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    attempts        int         NOT NULL DEFAULT 0,
    last_status     int         NOT NULL DEFAULT 0,
    last_error      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    UNIQUE (notification_id, device_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX deliveries_held ON deliveries (next_attempt_at) WHERE state = 'held';
CREATE INDEX deliveries_by_notification ON deliveries (notification_id);
CREATE INDEX deliveries_by_device ON deliveries (tenant, device_id) WHERE state IN ('pending', 'held');
CREATE INDEX deliveries_collapse ON deliveries (tenant, user_id, device_id, collapse_key)
    WHERE state = 'pending' AND collapse_key IS NOT NULL;
CREATE INDEX deliveries_dead ON deliveries (tenant, finished_at DESC, id) WHERE state = 'dead';

-- What routing needs to remember from the source streams (rebuilt with it).
CREATE TABLE route_posts (
    tenant        text    NOT NULL,
    post_id       text    NOT NULL,
    author_id     text    NOT NULL,
    title         text    NOT NULL,
    announcement  boolean NOT NULL,
    urgent        boolean NOT NULL,
    requires_ack  boolean NOT NULL,
    PRIMARY KEY (tenant, post_id)
);
CREATE TABLE route_requests (
    tenant      text NOT NULL,
    -- `swap:<id>`, `claim:<id>`, `time_off:<id>`.
    key         text NOT NULL,
    requester   text NOT NULL,
    detail      jsonb NOT NULL,
    PRIMARY KEY (tenant, key)
);
-- Published shifts (open ones with an empty employee), for open-shift routing and for
-- off-shift quiet.
CREATE TABLE route_shifts (
    tenant        text        NOT NULL,
    shift_id      text        NOT NULL,
    store_id      text        NOT NULL,
    employee_id   text        NOT NULL,
    department_id text        NOT NULL,
    start_time    timestamptz NOT NULL,
    end_time      timestamptz NOT NULL,
    PRIMARY KEY (tenant, shift_id)
);
CREATE INDEX route_shifts_by_employee ON route_shifts (tenant, employee_id, start_time);
