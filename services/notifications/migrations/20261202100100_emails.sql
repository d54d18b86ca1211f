-- E-mailed digests: one row per digest (its id), rendered when the digest is made and
-- sent by the delivery worker with the same claims, retries and dead letters as pushes.
CREATE TABLE emails (
    id              uuid        PRIMARY KEY,
    tenant          text        NOT NULL,
    user_id         text        NOT NULL,
    address         text        NOT NULL,
    subject         text        NOT NULL,
    body            text        NOT NULL,
    state           text        NOT NULL,
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    last_error      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz
);
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE state IN ('pending', 'sending');
