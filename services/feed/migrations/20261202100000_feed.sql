-- Feed's read model, written only by its projection (`projection/`), except the read
-- markers, which MarkTimelineRead also moves at once (the events are coalesced).
-- Identity's directory is the kit's replica (`kit_directory_*`), joined, never written.

-- Groups. Members of store and department groups are identity's memberships (joined);
-- `group_members` holds custom groups' members and the help group's helpers.
CREATE TABLE IF NOT EXISTS groups (
    tenant         TEXT        NOT NULL,
    id             TEXT        NOT NULL,
    -- store | department | news | help | custom
    kind           TEXT        NOT NULL,
    display_name   TEXT        NOT NULL,
    description    TEXT        NOT NULL DEFAULT '',
    store_id       TEXT        NOT NULL DEFAULT '',
    department_id  TEXT        NOT NULL DEFAULT '',
    -- feed.v1.PostingPolicy value
    posting_policy INT         NOT NULL,
    create_time    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS groups_by_store ON groups (tenant, store_id);

CREATE TABLE IF NOT EXISTS group_members (
    tenant   TEXT    NOT NULL,
    group_id TEXT    NOT NULL,
    user_id  TEXT    NOT NULL,
    admin    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (tenant, group_id, user_id)
);
CREATE INDEX IF NOT EXISTS group_members_by_user ON group_members (tenant, user_id);

-- Posts, announcements and cards: one row each, whatever the group's size (fan-out on
-- read). Group cards have a group; personal cards a recipient and no group.
CREATE TABLE IF NOT EXISTS posts (
    tenant          TEXT        NOT NULL,
    id              TEXT        NOT NULL,
    group_id        TEXT        NOT NULL DEFAULT '',
    recipient_id    TEXT        NOT NULL DEFAULT '',
    -- post | announcement | card
    kind            TEXT        NOT NULL,
    author_id       TEXT        NOT NULL DEFAULT '',
    title           TEXT        NOT NULL DEFAULT '',
    body            TEXT        NOT NULL DEFAULT '',
    -- feed.v1 messages, protobuf-encoded: attachments (a Post with only them set),
    -- the announcement, the card.
    attachments     BYTEA,
    mention_ids     TEXT[]      NOT NULL DEFAULT '{}',
    announcement    BYTEA,
    card            BYTEA,
    -- An announcement with an audience: only its readers (obligations), its author and
    -- the group's admins see it.
    targeted        BOOLEAN     NOT NULL DEFAULT FALSE,
    requires_ack    BOOLEAN     NOT NULL DEFAULT FALSE,
    revision        BIGINT      NOT NULL DEFAULT 1,
    ack_revision    BIGINT      NOT NULL DEFAULT 1,
    pinned          BOOLEAN     NOT NULL DEFAULT FALSE,
    hidden          BOOLEAN     NOT NULL DEFAULT FALSE,
    deleted         BOOLEAN     NOT NULL DEFAULT FALSE,
    comment_count   BIGINT      NOT NULL DEFAULT 0,
    -- Reactions per feed.v1.ReactionKind (index = kind value, 1-based like the array).
    reaction_counts BIGINT[]    NOT NULL DEFAULT '{0,0,0,0,0,0}',
    create_time     TIMESTAMPTZ NOT NULL,
    update_time     TIMESTAMPTZ,
    PRIMARY KEY (tenant, id)
);
-- The timeline reads each of the caller's groups newest first through this index
-- (one short range per group, merged), and personal cards through the next one.
CREATE INDEX IF NOT EXISTS posts_visible_by_group
    ON posts (tenant, group_id, create_time DESC, id DESC) WHERE NOT deleted AND NOT hidden;
CREATE INDEX IF NOT EXISTS posts_by_recipient
    ON posts (tenant, recipient_id, create_time DESC, id DESC)
    WHERE recipient_id <> '' AND NOT deleted;

-- The history of edits.
CREATE TABLE IF NOT EXISTS post_revisions (
    tenant      TEXT        NOT NULL,
    post_id     TEXT        NOT NULL,
    revision    BIGINT      NOT NULL,
    title       TEXT        NOT NULL,
    body        TEXT        NOT NULL,
    edit_time   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, post_id, revision)
);

-- One obligation per reader of an announcement (the snapshotted audience), with the
-- reader's store, role and name as the directory had them when the chunk was projected
-- (their first membership by store, then role), so the roll-up of 60,000 readers reads
-- one table.
CREATE TABLE IF NOT EXISTS obligations (
    tenant                TEXT        NOT NULL,
    post_id               TEXT        NOT NULL,
    user_id               TEXT        NOT NULL,
    store_id              TEXT        NOT NULL DEFAULT '',
    role                  TEXT        NOT NULL DEFAULT '',
    display_name          TEXT        NOT NULL DEFAULT '',
    acknowledged_revision BIGINT      NOT NULL DEFAULT 0,
    acknowledge_time      TIMESTAMPTZ,
    PRIMARY KEY (tenant, post_id, user_id)
);
CREATE INDEX IF NOT EXISTS obligations_by_user ON obligations (tenant, user_id, post_id);

CREATE TABLE IF NOT EXISTS comments (
    tenant      TEXT        NOT NULL,
    id          TEXT        NOT NULL,
    post_id     TEXT        NOT NULL,
    parent_id   TEXT        NOT NULL DEFAULT '',
    author_id   TEXT        NOT NULL,
    body        TEXT        NOT NULL,
    mention_ids TEXT[]      NOT NULL DEFAULT '{}',
    deleted     BOOLEAN     NOT NULL DEFAULT FALSE,
    create_time TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS comments_by_post ON comments (tenant, post_id, create_time, id);

CREATE TABLE IF NOT EXISTS reactions (
    tenant  TEXT NOT NULL,
    post_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    -- feed.v1.ReactionKind value
    kind    INT  NOT NULL,
    PRIMARY KEY (tenant, post_id, user_id)
);

-- Unread markers per person and group ('' = the whole timeline).
CREATE TABLE IF NOT EXISTS read_markers (
    tenant       TEXT        NOT NULL,
    user_id      TEXT        NOT NULL,
    group_id     TEXT        NOT NULL,
    read_through TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, user_id, group_id)
);

CREATE TABLE IF NOT EXISTS reports (
    tenant      TEXT        NOT NULL,
    post_id     TEXT        NOT NULL,
    reporter_id TEXT        NOT NULL,
    reason      TEXT        NOT NULL,
    report_time TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_by_post ON reports (tenant, post_id);

-- Scheduling facts the cards need later (who claimed, who swapped, whose request).
CREATE TABLE IF NOT EXISTS card_claims (
    tenant      TEXT NOT NULL,
    claim_id    TEXT NOT NULL,
    shift_id    TEXT NOT NULL,
    claimant_id TEXT NOT NULL,
    PRIMARY KEY (tenant, claim_id)
);
CREATE TABLE IF NOT EXISTS card_swaps (
    tenant      TEXT NOT NULL,
    swap_id     TEXT NOT NULL,
    shift_id    TEXT NOT NULL,
    offered_by  TEXT NOT NULL,
    offered_to  TEXT NOT NULL,
    accepted_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant, swap_id)
);
CREATE TABLE IF NOT EXISTS card_time_off (
    tenant      TEXT NOT NULL,
    id          TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    start_date  TEXT NOT NULL,
    end_date    TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);
