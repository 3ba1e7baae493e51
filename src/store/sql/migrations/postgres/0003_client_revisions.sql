-- authserver schema, version 3 (PostgreSQL).

-- Each client's revision, for compare-and-swap writes of the client registration API. A client
-- written from now on gets the directory counter's value at its write, so revisions are never
-- reused for a client id, not even after a delete; clients stored before keep 0 until then.
ALTER TABLE clients ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
