-- authserver schema, version 4 (SQLite).

-- Each refresh token's idle window in nanoseconds (its grant's refreshTokenWindowMinutes, at most
-- ten years), so that purges drop tokens left unused past their window even when their family
-- has no absolute lifetime. Rows stored before get it from their record.
ALTER TABLE refresh_tokens ADD COLUMN idle_window INTEGER;
UPDATE refresh_tokens SET idle_window =
    MIN(CAST(json_extract(record, '$.grant.refresh_token_window_minutes') AS INTEGER), 5256000) * 60000000000;
CREATE INDEX refresh_tokens_by_last_use ON refresh_tokens (last_used_at);
