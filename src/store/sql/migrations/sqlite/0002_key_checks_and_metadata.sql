-- authserver schema, version 2 (SQLite).

-- The fingerprints of the key-encryption keys that have sealed values in this database, so that
-- a server started with another key is refused at once instead of failing on first use.
CREATE TABLE key_encryption_keys (
    id TEXT PRIMARY KEY
);

-- Small named values a host keeps beside the stores (e.g. that its org file was applied).
CREATE TABLE metadata (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
