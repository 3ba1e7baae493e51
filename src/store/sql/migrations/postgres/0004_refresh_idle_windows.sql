-- authserver schema, version 4 (PostgreSQL).

-- Each refresh token's idle window in nanoseconds (its grant's refreshTokenWindowMinutes, at most
-- ten years), so that purges drop tokens left unused past their window even when their family
-- has no absolute lifetime. Rows stored before get it from their record.
ALTER TABLE refresh_tokens ADD COLUMN idle_window BIGINT;
UPDATE refresh_tokens SET idle_window =
    LEAST((record::jsonb -> 'grant' ->> 'refresh_token_window_minutes')::bigint, 5256000) * 60000000000;
CREATE INDEX refresh_tokens_by_last_use ON refresh_tokens (last_used_at);
