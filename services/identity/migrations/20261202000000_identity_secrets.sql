-- Invite codes moved off the public stream into the users' credentials on identity's
-- secrets stream; the read model keeps them apart from the users, projected from there.

DROP INDEX IF EXISTS users_by_invite;
ALTER TABLE users DROP COLUMN IF EXISTS invite_code_hash;

-- Pending invite codes. A row goes when its user is activated or offboarded.
CREATE TABLE invite_codes (
    tenant    TEXT  NOT NULL,
    user_id   TEXT  NOT NULL,
    -- SHA-256 of the canonical code.
    code_hash BYTEA NOT NULL,
    PRIMARY KEY (tenant, user_id)
);
-- ActivateUser finds the user by the code's hash.
CREATE INDEX invite_codes_by_hash ON invite_codes (tenant, code_hash);
