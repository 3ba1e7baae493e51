-- authserver schema, version 1 (PostgreSQL).
-- Times are Unix nanoseconds (BIGINT); hashes are raw SHA-256 bytes; documents are JSON text
-- in the library's own serde shapes. Key rings hold sealed (AES-256-GCM) private keys only.

-- Change counters: each instance polls them to learn of changes made through another one.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('directory', 0);

-- Authorization servers: the configuration document and the key ring, each with its revision.
CREATE TABLE servers (
    id            TEXT PRIMARY KEY,
    position      BIGINT NOT NULL,
    config        TEXT NOT NULL,
    revision      BIGINT NOT NULL,
    key_ring      TEXT NOT NULL,
    keys_revision BIGINT NOT NULL
);

-- The directory: clients, users, groups, memberships and assignments.
CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    position  BIGINT NOT NULL,
    record    TEXT NOT NULL
);
CREATE TABLE client_secret_jwt_keys (
    client_id TEXT PRIMARY KEY,
    sealed    TEXT NOT NULL
);
CREATE TABLE users (
    id       TEXT PRIMARY KEY,
    login    TEXT NOT NULL UNIQUE,
    record   TEXT NOT NULL,
    password TEXT
);
CREATE TABLE groups (
    id       TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    record   TEXT NOT NULL
);
CREATE TABLE group_members (
    group_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id);
CREATE TABLE client_assignments (
    client_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    assignee_id TEXT NOT NULL,
    PRIMARY KEY (client_id, kind, assignee_id)
);
CREATE INDEX client_assignments_by_assignee ON client_assignments (kind, assignee_id);

-- Grants: codes, refresh tokens, revocations and client-assertion jtis.
CREATE TABLE codes (
    hash       BYTEA PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    record     TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    redeemed   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX codes_by_expiry ON codes (expires_at);
CREATE TABLE refresh_tokens (
    hash         BYTEA PRIMARY KEY,
    grant_id     TEXT NOT NULL,
    record       TEXT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT NOT NULL,
    consumed_at  BIGINT,
    successor    BYTEA,
    revoked      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_by_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
CREATE TABLE revoked_grants (
    grant_id TEXT PRIMARY KEY,
    until    BIGINT NOT NULL
);
CREATE TABLE revoked_access_tokens (
    jti   TEXT PRIMARY KEY,
    until BIGINT NOT NULL
);
CREATE TABLE assertion_jtis (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);

-- The System Log.
CREATE TABLE events (
    seq       BIGSERIAL PRIMARY KEY,
    uuid      TEXT NOT NULL,
    published BIGINT NOT NULL,
    event     TEXT NOT NULL
);
CREATE INDEX events_by_time ON events (published, seq);
