//! Okta's System Log API, `GET /api/v1/logs`, answered from an [`EventLog`].
//!
//! [`answer`] takes any [`EventLog`] (a [`MemoryEventLog`], a SQL one, or the host's own), the
//! request's raw query string and `now`, and returns the response: `200` with a JSON array of
//! events in Okta's `LogEvent` shape, `400` with Okta's error object for bad parameters, or
//! `500 E0000009` when the log's storage fails. [`handle`] is the same answer, synchronously, from
//! a [`MemoryEventLog`]. The host authenticates the caller (Okta requires an API token or the
//! `okta.logs.read` scope) and routes the request here. [`parse_query`] is the parsing half alone,
//! for a host that keeps its events elsewhere (see [`EventQuery::matches`]).
//!
//! ```
//! use authserver::event::{Event, EventSink, MemoryEventLog, system_log};
//! use time::Duration;
//! use time::macros::datetime;
//!
//! let log = MemoryEventLog::default();
//! let now = datetime!(2026-11-22 12:00 UTC);
//! log.record(Event::success("app.oauth2.as.token.grant", "granted", now - Duration::minutes(5)));
//! log.record(Event::failure("app.oauth2.as.token.grant", "refused", "no_matching_policy", "…", now - Duration::minutes(1)));
//!
//! // GET /api/v1/logs?filter=outcome.result+eq+%22FAILURE%22&limit=20
//! let response = system_log::handle(&log, "filter=outcome.result+eq+%22FAILURE%22&limit=20", now);
//! assert_eq!(response.status, 200);
//! let events = response.body.unwrap();
//! assert_eq!(events.as_array().unwrap().len(), 1);
//! assert_eq!(events[0]["debugContext"]["debugData"]["reasonCode"], "no_matching_policy");
//!
//! // A malformed filter is Okta's 400 E0000053.
//! let refused = system_log::handle(&log, "filter=outcome.result+eqq+%22FAILURE%22", now);
//! assert_eq!(refused.status, 400);
//! assert_eq!(refused.body.unwrap()["errorCode"], "E0000053");
//! ```
//!
//! # Parameters
//!
//! The query string is form-decoded (`+` and `%20` are both spaces). Unknown parameters are
//! ignored; of a repeated parameter the first counts; an empty value is the default.
//!
//! | Parameter | Meaning | Default |
//! |---|---|---|
//! | `since` | Only events published at or after this instant: RFC 3339 (`2026-11-22T00:00:00Z`, `2026-11-22T00:00:00.000Z`, `2026-11-22T01:00:00+01:00`; an unencoded `+` in the offset, which decodes as a space, is accepted). At most 180 days before now. | 7 days before `until`, but never more than 180 days before now |
//! | `until` | Only events published before this instant, same format, or `now`. | now (no upper bound) |
//! | `filter` | Only events satisfying this expression; see below. | none |
//! | `q` | Keywords separated by spaces, each of which must appear in the event's text values, ignoring case ([`EventQuery::keywords`]). At most 10 keywords of at most 40 characters. | none |
//! | `limit` | At most this many events: an integer from 0 to 1000; larger values are taken as 1000. | 100 |
//! | `sortOrder` | By `published`: `ASCENDING` (oldest first) or `DESCENDING` (newest first), in any case. | `ASCENDING` |
//! | `after` | Paging cursor: not supported, see below. | |
//!
//! # Filter expressions
//!
//! SCIM filter syntax ([`EventFilter`]): `attribute operator "value"` comparisons joined by
//! `and` and `or` (`and` binds tighter), negated with `not ( … )`, grouped with parentheses.
//! Values are double-quoted JSON strings (`\"` and `\\` escapes). Attribute names are
//! case-sensitive:
//! `uuid`, `eventType`, `severity`, `displayMessage`, `outcome.result`, `outcome.reason`,
//! `actor.id`, `actor.type`, `actor.alternateId`, `actor.displayName`, `client.id`, `target.id`,
//! `target.type`, `target.alternateId`, `target.displayName`, `debugContext.debugData.<key>`.
//! Operators: `eq`, `ne`, `co`, `sw`, `ew`, `pr`, and on `severity` also `gt`, `ge`, `lt`, `le`.
//! For example `eventType sw "app.oauth2" and (outcome.result eq "FAILURE" or severity ge "WARN")`.
//!
//! # Errors
//!
//! As the System Log guide (okta-developer-docs, `docs/reference/system-log-query`) documents
//! them, all `400`:
//!
//! | Input | `errorCode` | `errorSummary` |
//! |---|---|---|
//! | `since`/`until` not a date-time | `E0000001` | `Api validation failed: 'until': The date format in your query is not recognized. Please enter dates using ISO8601 string format. 'until': must be a valid date-time or empty.` |
//! | `since` over 180 days ago | `E0000053` | `Invalid parameter: The since parameter is over 180 days prior to the current day.` |
//! | malformed `filter` | `E0000053` | `Invalid filter '<filter>': <what and where>`, e.g. `Unrecognized attribute operator 'eqq' at position 15. Expected: eq,ne,co,sw,ew,pr,gt,ge,lt,le` |
//! | unknown filter attribute | `E0000053` | `field is not valid: <attribute>` |
//! | operator unsupported for the attribute | `E0000031` | `The supplied combination of operator and field is not currently supported. Operator: gt, Field: eventType` |
//! | `q` item over 40 characters, or over 10 items | `E0000001` | `Api validation failed: 'q': Freeform search cannot contain items longer than 40 characters. …` |
//! | `limit` not a non-negative integer, bad `sortOrder` | `E0000001` | `Api validation failed: 'limit': must be an integer between 0 and 1000` |
//! | `after` | `E0000029` | `Invalid paging request.` |
//!
//! # Differences from Okta
//!
//! * No paging: the answer is one page of at most `limit` events, without `Link` headers, and
//!   `after` is refused. To read further, narrow `since` and `until`.
//! * Every request is a bounded one: events are selected and sorted by `published` (Okta's
//!   polling requests, those without `until`, select by persistence time).
//! * `q` matches inside words (Okta matches whole keywords), so it may find more events.
//! * Okta's documents give `limit` the range 0 to 1000 without saying what happens above it;
//!   here larger values are taken as 1000 and `0` answers an empty array.
//! * Only what the log still holds is found: a [`MemoryEventLog`] keeps its most recent events
//!   (10,000 by default), a SQL log what has not been purged (Okta keeps 90 days).

use time::{Duration, OffsetDateTime};

use super::{Event, EventFilter, EventLog, EventQuery, FilterError, MemoryEventLog, SortOrder};
use crate::admin::{ApiError, ApiErrorCode, ApiResponse, FieldError};
use crate::model::timestamp;

/// `limit` when the request gives none.
pub const DEFAULT_LIMIT: usize = 100;

/// The largest `limit`; larger values are taken as this.
pub const MAX_LIMIT: usize = 1000;

/// How far before `until` the default `since` lies.
pub const DEFAULT_SINCE_WINDOW: Duration = Duration::days(7);

/// How far back `since` may reach.
pub const MAX_SINCE_AGE: Duration = Duration::days(180);

/// The most keywords `q` may hold.
pub const MAX_KEYWORDS: usize = 10;

/// The longest keyword, in characters.
pub const MAX_KEYWORD_CHARS: usize = 40;

/// Answers `GET /api/v1/logs?<raw_query>` from `log` at `now`: `200` with the matching events as
/// a JSON array, or Okta's error object (`400` for bad parameters).
pub fn handle(log: &MemoryEventLog, raw_query: &str, now: OffsetDateTime) -> ApiResponse {
    respond(list(log, raw_query, now))
}

/// Answers `GET /api/v1/logs?<raw_query>` from any `log` at `now`: `200` with the matching events
/// as a JSON array, Okta's error object for bad parameters (`400`), or `500 E0000009` when the
/// log's storage fails. For a [`MemoryEventLog`] the answer is [`handle`]'s.
pub async fn answer(log: &impl EventLog, raw_query: &str, now: OffsetDateTime) -> ApiResponse {
    let result = match parse_query(raw_query, now) {
        Ok(query) => log.query(&query).await.map_err(|_| ApiError::internal()),
        Err(error) => Err(error),
    };
    respond(result)
}

/// The events of `log` that `GET /api/v1/logs?<raw_query>` at `now` selects, in the requested
/// order.
pub fn list(log: &MemoryEventLog, raw_query: &str, now: OffsetDateTime) -> Result<Vec<Event>, ApiError> {
    Ok(log.query(&parse_query(raw_query, now)?))
}

/// The response for a selection: the events, or the error that refused the request.
fn respond(result: Result<Vec<Event>, ApiError>) -> ApiResponse {
    match result {
        Ok(events) => response(&events),
        Err(error) => error.response(),
    }
}

/// A `200` response listing `events` in Okta's `LogEvent` shape.
pub fn response(events: &[Event]) -> ApiResponse {
    match serde_json::to_value(events) {
        Ok(body) => ApiResponse::json(200, body),
        // Only a timestamp outside the years 0000-9999 cannot be written.
        Err(_) => ApiError::internal().response(),
    }
}

/// Reads the System Log API's parameters from `raw_query` (the query string, without or with its
/// leading `?`) into a query, with Okta's defaults at `now`. See the [module documentation](self)
/// for the parameters and errors.
pub fn parse_query(raw_query: &str, now: OffsetDateTime) -> Result<EventQuery, ApiError> {
    let raw_query = raw_query.strip_prefix('?').unwrap_or(raw_query);
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.trim().is_empty())
    };

    let until = match param("until") {
        Some(value) if value.trim() == "now" => Some(now),
        Some(value) => Some(parse_time("until", value)?),
        None => None,
    };
    let since = match param("since") {
        Some(value) => {
            let since = parse_time("since", value)?;
            if since < now - MAX_SINCE_AGE {
                return Err(error(
                    ApiErrorCode::InvalidParameter,
                    "Invalid parameter: The since parameter is over 180 days prior to the current day.",
                ));
            }
            since
        }
        // The default window never reaches back past the oldest `since` allowed, so an old
        // `until` alone is not refused for a parameter the caller did not send.
        None => (until.unwrap_or(now) - DEFAULT_SINCE_WINDOW).max(now - MAX_SINCE_AGE),
    };
    if param("after").is_some() {
        return Err(ApiError::invalid_paging());
    }
    let filter = param("filter").map(parse_filter).transpose()?;
    let keywords = param("q").map(parse_keywords).transpose()?.unwrap_or_default();
    let limit = param("limit").map(parse_limit).transpose()?.unwrap_or(DEFAULT_LIMIT);
    let order = match param("sortOrder") {
        None => SortOrder::Ascending,
        Some(value) if value.trim().eq_ignore_ascii_case("ASCENDING") => SortOrder::Ascending,
        Some(value) if value.trim().eq_ignore_ascii_case("DESCENDING") => SortOrder::Descending,
        Some(_) => return Err(validation("sortOrder", &["must be ASCENDING or DESCENDING"])),
    };

    Ok(EventQuery {
        since: Some(since),
        until,
        limit: Some(limit),
        filter,
        keywords,
        order,
        ..EventQuery::default()
    })
}

/// An RFC 3339 date-time. A space where the offset's sign belongs was a `+` left unencoded.
fn parse_time(name: &str, value: &str) -> Result<OffsetDateTime, ApiError> {
    let value = value.trim();
    timestamp::parse(value)
        .or_else(|_| timestamp::parse(&value.replacen(' ', "+", 1)))
        .map_err(|_| {
            validation(
                name,
                &[
                    "The date format in your query is not recognized. Please enter dates using ISO8601 string format.",
                    "must be a valid date-time or empty.",
                ],
            )
        })
}

fn parse_filter(source: &str) -> Result<EventFilter, ApiError> {
    EventFilter::parse(source).map_err(|failure| match failure {
        FilterError::Syntax { message, .. } => error(
            ApiErrorCode::InvalidParameter,
            format!("Invalid filter '{source}': {message}"),
        ),
        FilterError::UnknownAttribute(_) => error(ApiErrorCode::InvalidParameter, failure.to_string()),
        FilterError::UnsupportedOperator { .. } => error(ApiErrorCode::InvalidSearchCriteria, failure.to_string()),
    })
}

fn parse_keywords(q: &str) -> Result<Vec<String>, ApiError> {
    let keywords: Vec<String> = q.split_whitespace().map(str::to_owned).collect();
    if keywords
        .iter()
        .any(|keyword| keyword.chars().count() > MAX_KEYWORD_CHARS)
    {
        return Err(validation(
            "q",
            &[
                "Freeform search cannot contain items longer than 40 characters. Please shorten the items in your search or use an advanced filter to query by specific fields.",
            ],
        ));
    }
    if keywords.len() > MAX_KEYWORDS {
        return Err(validation(
            "q",
            &[
                "Freeform search cannot contain more than 10 items. Please remove items from your search or use an advanced filter to query by specific fields.",
            ],
        ));
    }
    Ok(keywords)
}

/// A non-negative integer, taken as at most [`MAX_LIMIT`].
fn parse_limit(value: &str) -> Result<usize, ApiError> {
    let digits = value.trim();
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(validation("limit", &["must be an integer between 0 and 1000"]));
    }
    // All digits: it fails to parse only when too large for `usize`.
    Ok(digits.parse::<usize>().map_or(MAX_LIMIT, |limit| limit.min(MAX_LIMIT)))
}

/// `400 E0000001`, in the System Log's wording: `Api validation failed: '<field>': <message>`
/// for each message, and one cause `<field>: <message>` each.
fn validation(field: &str, messages: &[&str]) -> ApiError {
    let summary: Vec<String> = messages.iter().map(|message| format!("'{field}': {message}")).collect();
    let causes = messages
        .iter()
        .map(|message| FieldError::new(field, *message))
        .collect();
    ApiError::new(
        ApiErrorCode::ValidationFailed,
        format!("Api validation failed: {}", summary.join(" ")),
    )
    .with_causes(causes)
}

/// An error with `code` and `summary` and no causes.
fn error(code: ApiErrorCode, summary: impl Into<String>) -> ApiError {
    ApiError::new(code, summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Entity, EventSink, OutcomeResult, Severity};
    use serde_json::Value;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

    fn parse(raw: &str) -> EventQuery {
        parse_query(raw, NOW).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    fn causes(error: &ApiError) -> Vec<String> {
        error.causes.iter().map(FieldError::summary).collect()
    }

    fn refuse(raw: &str) -> ApiError {
        match parse_query(raw, NOW) {
            Ok(query) => panic!("{raw}: accepted as {query:?}"),
            Err(error) => {
                assert_eq!(error.status(), 400, "{raw}");
                error
            }
        }
    }

    /// A log with, a minute apart from `NOW - 10 min`: a grant, a refusal, a warning, and an
    /// authorize grant for another client.
    fn log() -> MemoryEventLog {
        let log = MemoryEventLog::default();
        let at = |minutes: i64| NOW - Duration::minutes(10) + Duration::minutes(minutes);
        log.record(
            Event::success("app.oauth2.as.token.grant.access_token", "Access token granted", at(0))
                .with_client("0oa1")
                .with_actor(Entity::new("User", "00u1"))
                .with_target(Entity::new("AuthorizationServer", "default")),
        );
        log.record(
            Event::failure(
                "app.oauth2.as.token.grant",
                "OAuth2 token request refused",
                "no_matching_policy",
                "Policy evaluation failed for this request",
                at(1),
            )
            .with_client("0oa1")
            .with_actor(Entity::new("User", "00u2"))
            .with_target(Entity::new("AuthorizationServer", "default")),
        );
        log.record(
            Event::failure(
                "app.oauth2.as.token.detect_reuse",
                "Refresh token reused",
                "token_reuse",
                "A rotated refresh token was presented again",
                at(2),
            )
            .with_severity(Severity::Warn)
            .with_client("0oa2"),
        );
        log.record(Event::success("app.oauth2.as.authorize", "Authorized", at(3)).with_client("0oa2"));
        log
    }

    fn event_types(raw: &str) -> Vec<String> {
        let response = handle(&log(), raw, NOW);
        assert_eq!(response.status, 200, "{raw}: {:?}", response.body);
        let body = response.body.expect("a body");
        body.as_array()
            .expect("an array")
            .iter()
            .map(|event| event["eventType"].as_str().expect("eventType").to_owned())
            .collect()
    }

    #[test]
    fn the_issue_example_with_either_space_encoding() {
        for raw in [
            "filter=outcome.result+eq+%22FAILURE%22",
            "filter=outcome.result%20eq%20%22FAILURE%22&since=2026-11-22T00:00:00Z&limit=20",
            "?filter=outcome.result eq \"FAILURE\"",
        ] {
            assert_eq!(
                event_types(raw),
                ["app.oauth2.as.token.grant", "app.oauth2.as.token.detect_reuse"],
                "{raw}"
            );
        }
        let query = parse("filter=outcome.result%20eq%20%22FAILURE%22&since=2026-11-22T00:00:00Z&limit=20");
        assert_eq!(query.since, Some(datetime!(2026-11-22 00:00 UTC)));
        assert_eq!(query.limit, Some(20));
        assert_eq!(
            query.filter.as_ref().map(EventFilter::as_str),
            Some(r#"outcome.result eq "FAILURE""#)
        );
    }

    #[test]
    fn defaults() {
        let query = parse("");
        assert_eq!(query.since, Some(NOW - Duration::days(7)), "since: 7 days before now");
        assert_eq!(query.until, None, "until: now, i.e. no upper bound");
        assert_eq!(query.limit, Some(100));
        assert_eq!(query.order, SortOrder::Ascending);
        assert_eq!(query.filter, None);
        assert!(query.keywords.is_empty());
        assert_eq!(query.outcome, None);
        assert_eq!(query.event_type, None);
        assert_eq!(
            parse("since=&until=&limit=&filter=&q=&sortOrder="),
            query,
            "empty values are defaults"
        );
        assert_eq!(
            parse("unknown=1&SINCE=garbage"),
            query,
            "unknown parameters are ignored"
        );
    }

    #[test]
    fn since_defaults_to_seven_days_before_until() {
        let query = parse("until=2026-11-20T00:00:00Z");
        assert_eq!(query.until, Some(datetime!(2026-11-20 00:00 UTC)));
        assert_eq!(query.since, Some(datetime!(2026-11-13 00:00 UTC)));
        assert_eq!(parse("until=now").until, Some(NOW));

        let log = MemoryEventLog::default();
        log.record(Event::success("old", "m", NOW - Duration::days(8)));
        log.record(Event::success("recent", "m", NOW - Duration::days(6)));
        let events = list(&log, "", NOW).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_type, "recent");
    }

    #[test]
    fn since_and_until_formats() {
        for (raw, expected) in [
            ("since=2026-11-22T00:00:00Z", datetime!(2026-11-22 00:00 UTC)),
            ("since=2026-11-22T00:00:00.000Z", datetime!(2026-11-22 00:00 UTC)),
            ("since=2026-11-22T00:00:00.250Z", datetime!(2026-11-22 00:00:00.25 UTC)),
            ("since=2026-11-22T01:00:00%2B01:00", datetime!(2026-11-22 00:00 UTC)),
            ("since=2026-11-22T01:00:00+01:00", datetime!(2026-11-22 00:00 UTC)),
            ("since=2026-11-21T19:00:00-05:00", datetime!(2026-11-22 00:00 UTC)),
            ("since=2026-11-22T00%3A00%3A00.000Z", datetime!(2026-11-22 00:00 UTC)),
        ] {
            assert_eq!(parse(raw).since, Some(expected), "{raw}");
        }
        assert_eq!(
            parse("until=2026-11-22T11:00:00.000Z").until,
            Some(datetime!(2026-11-22 11:00 UTC))
        );
    }

    #[test]
    fn since_and_until_bound_the_window() {
        // Events at NOW-10, -9, -8, -7 minutes; since is inclusive, until exclusive.
        assert_eq!(
            event_types("since=2026-11-22T11:51:00Z&until=2026-11-22T11:53:00Z"),
            ["app.oauth2.as.token.grant", "app.oauth2.as.token.detect_reuse"]
        );
        assert!(event_types("until=2026-11-22T11:50:00Z").is_empty());
    }

    #[test]
    fn bad_dates_are_e0000001() {
        for raw in [
            "since=foobar",
            "until=01-01-2017",
            "since=2026-11-22",
            "until=2026-11-22T00:00:00",
        ] {
            let error = refuse(raw);
            let field = if raw.starts_with("since") { "since" } else { "until" };
            assert_eq!(error.code.as_str(), "E0000001", "{raw}");
            assert_eq!(
                error.summary,
                format!(
                    "Api validation failed: '{field}': The date format in your query is not recognized. Please enter dates using ISO8601 string format. '{field}': must be a valid date-time or empty."
                )
            );
            assert_eq!(
                causes(&error),
                [
                    format!(
                        "{field}: The date format in your query is not recognized. Please enter dates using ISO8601 string format."
                    ),
                    format!("{field}: must be a valid date-time or empty."),
                ]
            );
        }
        let body = handle(&log(), "since=foobar", NOW).body.unwrap();
        assert_eq!(body["errorCode"], "E0000001");
        assert_eq!(body["errorCauses"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn since_over_180_days_back_is_e0000053() {
        let error = refuse("since=2026-05-01T00:00:00Z");
        assert_eq!(error.code.as_str(), "E0000053");
        assert_eq!(
            error.summary,
            "Invalid parameter: The since parameter is over 180 days prior to the current day."
        );
        // An old `until` alone is not refused for a `since` the caller did not send: the
        // default window stops at the oldest `since` allowed.
        let old_until = parse("until=2026-01-01T00:00:00Z");
        assert_eq!(old_until.since, Some(NOW - MAX_SINCE_AGE));
        assert!(parse_query("since=2026-06-01T00:00:00Z", NOW).is_ok());
    }

    #[test]
    fn limit() {
        assert_eq!(parse("limit=20").limit, Some(20));
        assert_eq!(parse("limit=1000").limit, Some(1000));
        assert_eq!(parse("limit=1001").limit, Some(1000), "clamped");
        assert_eq!(parse("limit=99999999999999999999999").limit, Some(1000), "clamped");
        assert_eq!(parse("limit=0").limit, Some(0), "0 is in Okta's documented range");
        assert!(event_types("limit=0").is_empty());
        assert_eq!(
            event_types("limit=2"),
            ["app.oauth2.as.token.grant.access_token", "app.oauth2.as.token.grant"]
        );
        for raw in ["limit=-1", "limit=ten", "limit=1.5", "limit=1e3", "limit=%2B"] {
            let error = refuse(raw);
            assert_eq!(error.code.as_str(), "E0000001", "{raw}");
            assert_eq!(
                error.summary,
                "Api validation failed: 'limit': must be an integer between 0 and 1000"
            );
            assert_eq!(causes(&error), ["limit: must be an integer between 0 and 1000"]);
        }
        let many = MemoryEventLog::default();
        for second in 0..1200 {
            many.record(Event::success("e", "m", NOW - Duration::seconds(second)));
        }
        assert_eq!(list(&many, "", NOW).unwrap().len(), 100, "default 100");
        assert_eq!(list(&many, "limit=5000", NOW).unwrap().len(), 1000, "at most 1000");
    }

    #[test]
    fn sort_order() {
        assert_eq!(parse("sortOrder=DESCENDING").order, SortOrder::Descending);
        assert_eq!(parse("sortOrder=descending").order, SortOrder::Descending);
        assert_eq!(parse("sortOrder=ASCENDING").order, SortOrder::Ascending);
        assert_eq!(
            event_types("sortOrder=DESCENDING&limit=2"),
            ["app.oauth2.as.authorize", "app.oauth2.as.token.detect_reuse"],
            "the newest, newest first"
        );
        assert_eq!(
            event_types("sortOrder=ASCENDING&limit=2"),
            ["app.oauth2.as.token.grant.access_token", "app.oauth2.as.token.grant"]
        );
        let error = refuse("sortOrder=NEWEST");
        assert_eq!(error.code.as_str(), "E0000001");
        assert_eq!(causes(&error), ["sortOrder: must be ASCENDING or DESCENDING"]);
    }

    #[test]
    fn answers_are_sorted_by_published_even_if_recorded_out_of_order() {
        let log = MemoryEventLog::default();
        log.record(Event::success("second", "m", NOW - Duration::minutes(1)));
        log.record(Event::success("first", "m", NOW - Duration::minutes(2)));
        log.record(Event::success("third", "m", NOW));
        let names = |raw: &str| -> Vec<String> {
            list(&log, raw, NOW)
                .unwrap()
                .into_iter()
                .map(|e| e.event_type.into_owned())
                .collect()
        };
        assert_eq!(names(""), ["first", "second", "third"]);
        assert_eq!(names("sortOrder=DESCENDING"), ["third", "second", "first"]);
        assert_eq!(names("limit=1"), ["first"]);
    }

    #[test]
    fn filters() {
        assert_eq!(
            event_types("filter=eventType+sw+%22app.oauth2.as.token%22+and+client.id+eq+%220oa2%22"),
            ["app.oauth2.as.token.detect_reuse"]
        );
        assert_eq!(
            event_types("filter=(actor.id eq \"00u1\" or actor.id eq \"00u2\") and outcome.result eq \"SUCCESS\""),
            ["app.oauth2.as.token.grant.access_token"]
        );
        assert_eq!(
            event_types("filter=actor.id+eq+%2200u1%22+or+actor.id+eq+%2200u2%22+and+outcome.result+eq+%22SUCCESS%22"),
            ["app.oauth2.as.token.grant.access_token"],
            "and binds tighter: 00u1, or (00u2 and SUCCESS)"
        );
        assert_eq!(
            event_types("filter=target.type eq \"AuthorizationServer\" and severity eq \"INFO\""),
            ["app.oauth2.as.token.grant.access_token", "app.oauth2.as.token.grant"]
        );
        assert_eq!(
            event_types("filter=severity ge \"WARN\""),
            ["app.oauth2.as.token.detect_reuse"]
        );
        assert_eq!(
            event_types("filter=debugContext.debugData.reasonCode eq \"no_matching_policy\""),
            ["app.oauth2.as.token.grant"]
        );
        assert_eq!(
            event_types("filter=eventType eq \"app.oauth2.as.authorize\"&sortOrder=DESCENDING"),
            ["app.oauth2.as.authorize"]
        );
    }

    #[test]
    fn bad_filters() {
        let error = refuse("filter=eventType+eqq+%22x%22");
        assert_eq!(error.code.as_str(), "E0000053");
        assert_eq!(
            error.summary,
            "Invalid filter 'eventType eqq \"x\"': Unrecognized attribute operator 'eqq' at position 10. Expected: eq,ne,co,sw,ew,pr,gt,ge,lt,le"
        );
        let error = refuse("filter=some_invalid_field+eq+%22x%22");
        assert_eq!(
            (error.code.as_str(), error.summary.as_str()),
            ("E0000053", "field is not valid: some_invalid_field")
        );
        let error = refuse("filter=eventType+gt+%22x%22");
        assert_eq!(
            (error.code.as_str(), error.summary.as_str()),
            (
                "E0000031",
                "The supplied combination of operator and field is not currently supported. Operator: gt, Field: eventType"
            )
        );
        let error = refuse("filter=eventType+eq+%22unterminated");
        assert_eq!(
            error.summary,
            "Invalid filter 'eventType eq \"unterminated': Unterminated string starting at position 13"
        );
        let error = refuse("filter=eventType+eq+%22x%22+trailing");
        assert_eq!(
            error.summary,
            "Invalid filter 'eventType eq \"x\" trailing': Unexpected 'trailing' at position 17"
        );
        let error = refuse("filter=(eventType+eq+%22x%22");
        assert_eq!(error.code.as_str(), "E0000053");
        let body = handle(&log(), "filter=eventType+eqq+%22x%22", NOW).body.unwrap();
        assert_eq!(body["errorCode"], "E0000053");
        assert_eq!(body["errorLink"], "E0000053");
    }

    #[test]
    fn keywords() {
        assert_eq!(parse("q=token+REUSED").keywords, ["token", "REUSED"]);
        assert_eq!(event_types("q=reused"), ["app.oauth2.as.token.detect_reuse"]);
        assert_eq!(event_types("q=TOKEN%20rotated"), ["app.oauth2.as.token.detect_reuse"]);
        assert_eq!(event_types("q=00u2"), ["app.oauth2.as.token.grant"], "actor ids");
        assert_eq!(
            event_types("q=no_matching_policy"),
            ["app.oauth2.as.token.grant"],
            "debug data"
        );
        assert_eq!(event_types("q=0oa2+authorized"), ["app.oauth2.as.authorize"]);
        assert_eq!(event_types("q=failure").len(), 2, "outcome");
        assert!(event_types("q=token+absent").is_empty(), "every keyword must appear");
        assert_eq!(
            event_types("q=token&filter=outcome.result+eq+%22SUCCESS%22"),
            ["app.oauth2.as.token.grant.access_token"],
            "q and filter combine"
        );

        let error = refuse(&format!("q={}", "x".repeat(41)));
        assert_eq!(error.code.as_str(), "E0000001");
        assert!(
            error.summary.starts_with(
                "Api validation failed: 'q': Freeform search cannot contain items longer than 40 characters."
            ),
            "{}",
            error.summary
        );
        assert!(
            parse_query(&format!("q={}", "é".repeat(40)), NOW).is_ok(),
            "characters, not bytes"
        );
        let error = refuse("q=a+b+c+d+e+f+g+h+i+j+k");
        assert_eq!(error.code.as_str(), "E0000001");
        assert!(
            error.causes[0]
                .summary()
                .starts_with("q: Freeform search cannot contain more than 10 items.")
        );
        assert!(parse_query("q=a+b+c+d+e+f+g+h+i+j", NOW).is_ok());
    }

    #[test]
    fn after_is_not_supported() {
        let error = refuse("after=1648112954504_1");
        assert_eq!(
            (error.code.as_str(), error.summary.as_str()),
            ("E0000029", "Invalid paging request.")
        );
    }

    #[test]
    fn the_answer_is_okta_log_events() {
        let response = handle(&log(), "limit=1&sortOrder=DESCENDING", NOW);
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type"), Some("application/json"));
        let body = response.body.unwrap();
        let events = body.as_array().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["eventType"], "app.oauth2.as.authorize");
        assert_eq!(events[0]["published"], "2026-11-22T11:53:00.000Z");
        assert_eq!(events[0]["outcome"]["result"], "SUCCESS");
        assert_eq!(events[0]["client"]["id"], "0oa2");
        let back: Vec<Event> = serde_json::from_value(body).unwrap();
        assert_eq!(back[0].outcome.result, OutcomeResult::Success);
        assert_eq!(response_for_nothing(), Value::Array(Vec::new()));
    }

    fn response_for_nothing() -> Value {
        handle(&MemoryEventLog::default(), "", NOW).body.unwrap()
    }

    /// A log whose storage always fails.
    struct Broken;

    impl EventSink for Broken {
        fn record(&self, _event: Event) {}
    }

    impl EventLog for Broken {
        async fn query(&self, _query: &EventQuery) -> Result<Vec<Event>, crate::store::StoreError> {
            Err(crate::store::StoreError::Unavailable("down".into()))
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("answers at once"),
        }
    }

    #[test]
    fn answer_over_a_memory_log_is_handle() {
        let log = log();
        for raw in [
            "",
            "sortOrder=DESCENDING&limit=2",
            "filter=outcome.result+eq+%22FAILURE%22",
            "q=token",
            "filter=eventType+eqq+%22x%22",
            "since=foobar",
        ] {
            let handled = handle(&log, raw, NOW);
            let answered = block_on(answer(&log, raw, NOW));
            assert_eq!(answered.status, handled.status, "{raw}");
            if handled.status == 200 {
                assert_eq!(answered.body, handled.body, "{raw}");
            } else {
                let (a, h) = (answered.body.unwrap(), handled.body.unwrap());
                assert_eq!(a["errorCode"], h["errorCode"], "{raw}");
                assert_eq!(a["errorSummary"], h["errorSummary"], "{raw}");
            }
        }
        let shared = std::sync::Arc::new(log);
        assert_eq!(block_on(answer(&shared, "", NOW)).body, handle(&shared, "", NOW).body);
    }

    #[test]
    fn a_failing_log_is_500_e0000009() {
        let response = block_on(answer(&Broken, "limit=5", NOW));
        assert_eq!(response.status, 500);
        assert_eq!(response.body.unwrap()["errorCode"], "E0000009");
        let refused = block_on(answer(&Broken, "limit=ten", NOW));
        assert_eq!(refused.status, 400, "bad parameters are refused before the log is read");
    }

    #[test]
    fn existing_query_fields_still_apply() {
        let mut query = parse("q=token");
        query.outcome = Some(OutcomeResult::Success);
        let events = log().query(&query);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_type, "app.oauth2.as.token.grant.access_token");
    }
}
