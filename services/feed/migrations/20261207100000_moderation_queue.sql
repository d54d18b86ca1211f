-- The moderation queue (ListReportedPosts), written only by the projection
-- `feed_moderation_queue` (`projection/moderation_queue.rs`) from feed's post events: the
-- posts with open reports, i.e. reports made since a moderator last hid, restored or
-- deleted the post (or its author deleted it). Acting on a post removes its rows; a new
-- report adds them again. A projection of its own with its own checkpoint, so that it is
-- built from the start of the stream where it is first deployed (the `reports` table of
-- the read model does not say which reports a moderator has acted on since) and can be
-- rebuilt alone.

-- One row per post with open reports: how many, when the latest was made, and where
-- it sits in the stream. The stream sequence is the queue's order (newest report first)
-- and its page cursor: unique, and the order reports were really made in, whatever the
-- clocks of the replicas that recorded them.
CREATE TABLE IF NOT EXISTS moderation_queue (
    tenant               TEXT        NOT NULL,
    post_id              TEXT        NOT NULL,
    report_count         BIGINT      NOT NULL,
    last_report_time     TIMESTAMPTZ NOT NULL,
    last_report_sequence BIGINT      NOT NULL,
    PRIMARY KEY (tenant, post_id)
);
CREATE INDEX IF NOT EXISTS moderation_queue_newest
    ON moderation_queue (tenant, last_report_sequence DESC);

-- The open reports themselves, keyed by where their event sits in the stream (commit
-- sequence, event index), which also orders a post's reports newest first.
CREATE TABLE IF NOT EXISTS moderation_queue_reports (
    tenant      TEXT        NOT NULL,
    post_id     TEXT        NOT NULL,
    sequence    BIGINT      NOT NULL,
    event_index INT         NOT NULL,
    reporter_id TEXT        NOT NULL,
    reason      TEXT        NOT NULL,
    report_time TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, post_id, sequence, event_index)
);
