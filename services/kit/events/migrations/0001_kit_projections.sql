-- The kit's bookkeeping for projectors (shared by every service database).

-- Last stream sequence applied per projection and source stream. Updated in the same
-- transaction as the read model, so it is the truth about what has been applied.
CREATE TABLE IF NOT EXISTS kit_checkpoints (
    projection    TEXT   NOT NULL,
    stream        TEXT   NOT NULL,
    last_sequence BIGINT NOT NULL DEFAULT 0,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, stream)
);

-- Commits a projection could not decode or apply (poison messages). They are skipped so
-- the projection moves on, and kept here, with the error, for an operator to inspect;
-- a rebuild after the fix applies them again.
CREATE TABLE IF NOT EXISTS kit_failed_events (
    projection  TEXT   NOT NULL,
    stream      TEXT   NOT NULL,
    sequence    BIGINT NOT NULL,
    subject     TEXT   NOT NULL,
    error       TEXT   NOT NULL,
    payload     BYTEA  NOT NULL,
    failed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, stream, sequence)
);
