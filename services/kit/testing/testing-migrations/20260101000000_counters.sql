-- Read model of the kit's reference counter service (tests and benchmark only).
CREATE TABLE IF NOT EXISTS counters (
    tenant     TEXT   NOT NULL,
    id         TEXT   NOT NULL,
    value      BIGINT NOT NULL,
    increments BIGINT NOT NULL,
    PRIMARY KEY (tenant, id)
);
