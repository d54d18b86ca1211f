-- Open-shift claims and shift swaps as the roster aggregates hold them, for
-- ListShiftClaims and ListShiftSwaps. Written by their own projection
-- (`scheduling_claims_swaps`), which starts from the beginning of the stream, so
-- existing rosters' claims and swaps are filled in without a rebuild of the main one.

CREATE TABLE shift_claims (
    tenant      TEXT        NOT NULL,
    id          TEXT        NOT NULL,
    store_id    TEXT        NOT NULL,
    shift_id    TEXT        NOT NULL,
    claimant_id TEXT        NOT NULL,
    -- pending | approved | rejected
    state       TEXT        NOT NULL,
    create_time TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, id)
);
-- A store's claims (or one shift's), newest first.
CREATE INDEX shift_claims_by_store ON shift_claims (tenant, store_id, create_time DESC, id DESC);

CREATE TABLE shift_swaps (
    tenant      TEXT        NOT NULL,
    id          TEXT        NOT NULL,
    store_id    TEXT        NOT NULL,
    shift_id    TEXT        NOT NULL,
    offered_by  TEXT        NOT NULL,
    -- empty: offered to anyone eligible
    offered_to  TEXT        NOT NULL,
    -- empty until accepted
    accepted_by TEXT        NOT NULL,
    -- offered | accepted | approved | rejected
    state       TEXT        NOT NULL,
    create_time TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, id)
);
-- A store's swaps (or one shift's), newest first.
CREATE INDEX shift_swaps_by_store ON shift_swaps (tenant, store_id, create_time DESC, id DESC);
