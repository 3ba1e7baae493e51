//! `Time.*` (Okta's Expression Language reference). The current time comes from the context,
//! never the clock.
//!
//! ISO 8601 output is `yyyy-MM-dd'T'HH:mm:ss.SSS` followed by `Z` for UTC or `±HH:MM`.
//! Unix timestamps are milliseconds; Windows timestamps are FILETIME 100-ns ticks since 1601
//! (Okta does not document the units of `Time.*`; these are the ones its Expression Language in
//! Identity Engine reference uses). Empty strings are errors (Okta warns they behave
//! unexpectedly); `null` gives `null`.

use std::borrow::Cow;

use time::OffsetDateTime;

use crate::expr::error::EvalErrorKind;
use crate::expr::eval::Evaluator;
use crate::expr::functions::joda::{self, Item};
use crate::expr::functions::zones::{Zone, resolve_zone};
use crate::expr::functions::{Func, text_arg};
use crate::expr::value::{Value, check_string};

/// Milliseconds between 1601-01-01 and 1970-01-01.
const WINDOWS_EPOCH_MS: i64 = 11_644_473_600_000;

/// Accepted ISO 8601 inputs, most specific first.
const ISO_PATTERNS: &[&str] = &[
    "yyyy-MM-dd'T'HH:mm:ss.SZ",
    "yyyy-MM-dd'T'HH:mm:ss.S",
    "yyyy-MM-dd'T'HH:mm:ssZ",
    "yyyy-MM-dd'T'HH:mm:ss",
    "yyyy-MM-dd'T'HH:mmZ",
    "yyyy-MM-dd'T'HH:mm",
    "yyyy-MM-dd",
];

type R<'x> = Result<Value<'x>, EvalErrorKind>;

fn invalid(name: &str, reason: String) -> EvalErrorKind {
    EvalErrorKind::InvalidValue {
        op: name.into(),
        reason,
    }
}

fn owned<'x>(s: String) -> R<'x> {
    check_string(s.len())?;
    Ok(Value::Str(Cow::Owned(s)))
}

/// ISO 8601 in `zone` (`Z` for a zero offset).
fn iso(t: OffsetDateTime, zone: &Zone) -> String {
    let items = [
        Item::Field('y', 4),
        Item::Lit("-".into()),
        Item::Field('M', 2),
        Item::Lit("-".into()),
        Item::Field('d', 2),
        Item::Lit("T".into()),
        Item::Field('H', 2),
        Item::Lit(":".into()),
        Item::Field('m', 2),
        Item::Lit(":".into()),
        Item::Field('s', 2),
        Item::Lit(".".into()),
        Item::Field('S', 3),
    ];
    let mut s = joda::format(&items, t, zone);
    let offset = zone.offset_at(t).whole_seconds();
    if offset == 0 {
        s.push('Z');
    } else {
        s.push_str(&joda::format(&[Item::Field('Z', 2)], t, zone));
    }
    s
}

fn parse_iso(name: &str, s: &str, now_year: i32) -> Result<OffsetDateTime, EvalErrorKind> {
    ISO_PATTERNS
        .iter()
        .filter_map(|p| joda::compile(p).ok())
        .find_map(|items| joda::parse(&items, s, now_year).ok())
        .ok_or_else(|| invalid(name, format!("{s:?} is not an ISO 8601 date/time")))
}

fn from_millis(name: &str, ms: i64) -> Result<OffsetDateTime, EvalErrorKind> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| invalid(name, format!("timestamp {ms} is out of range")))
}

fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

/// An integer given as a number or a numeric string.
fn integer(name: &str, v: &Value<'_>) -> Result<Option<i64>, EvalErrorKind> {
    match v {
        Value::Null => Ok(None),
        Value::Int(i) => Ok(Some(*i)),
        Value::Str(s) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| invalid(name, format!("{s:?} is not an integer timestamp"))),
        other => Err(EvalErrorKind::Type {
            op: name.into(),
            expected: "integer or numeric string",
            found: other.type_name(),
        }),
    }
}

/// A non-empty string argument; `None` for null.
fn text<'x>(name: &str, v: &Value<'x>) -> Result<Option<Cow<'x, str>>, EvalErrorKind> {
    let t = text_arg(name, v)?;
    if t.as_deref().is_some_and(|s| s.trim().is_empty()) {
        return Err(invalid(name, "empty string".into()));
    }
    Ok(t)
}

fn pattern(name: &str, v: &Value<'_>) -> Result<Option<Vec<Item>>, EvalErrorKind> {
    text(name, v)?
        .map(|p| joda::compile(&p).map_err(|r| invalid(name, r)))
        .transpose()
}

pub(super) fn call<'x>(ev: &Evaluator<'_>, func: Func, name: &'static str, args: Vec<Value<'x>>) -> R<'x> {
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    let utc = Zone::Fixed(0);
    let now_year = ev.ctx.now.year();
    match func {
        Func::TimeNow => {
            let zone = match text(name, arg(0))? {
                Some(id) => resolve_zone(&id).ok_or_else(|| invalid(name, format!("unknown time zone {id:?}")))?,
                None => utc,
            };
            let now = ev.ctx.now;
            match pattern(name, arg(1))? {
                Some(items) => owned(joda::format(&items, now, &zone)),
                None => owned(iso(now, &zone)),
            }
        }
        Func::FromUnixToIso | Func::FromWindowsToIso => {
            let Some(n) = integer(name, arg(0))? else {
                return Ok(Value::Null);
            };
            let ms = if func == Func::FromWindowsToIso {
                n.div_euclid(10_000) - WINDOWS_EPOCH_MS
            } else {
                n
            };
            owned(iso(from_millis(name, ms)?, &utc))
        }
        Func::FromStringToIso => {
            let (Some(s), Some(items)) = (text(name, arg(0))?, pattern(name, arg(1))?) else {
                return Ok(Value::Null);
            };
            let t = joda::parse(&items, &s, now_year).map_err(|r| invalid(name, r))?;
            owned(iso(t, &utc))
        }
        Func::FromIsoToUnix | Func::FromIsoToWindows | Func::FromIsoToString => {
            let Some(s) = text(name, arg(0))? else {
                return Ok(Value::Null);
            };
            let t = parse_iso(name, &s, now_year)?;
            let ms = millis(t);
            match func {
                Func::FromIsoToUnix => owned(ms.to_string()),
                Func::FromIsoToWindows => {
                    let ticks = i128::from(ms + WINDOWS_EPOCH_MS) * 10_000;
                    owned(ticks.to_string())
                }
                _ => match pattern(name, arg(1))? {
                    Some(items) => owned(joda::format(&items, t, &utc)),
                    None => Ok(Value::Null),
                },
            }
        }
        _ => Ok(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::context::Context;
    use time::macros::datetime;

    fn run(func: Func, args: Vec<Value<'_>>) -> Result<serde_json::Value, EvalErrorKind> {
        let ctx = Context::new(datetime!(2015-07-31 17:18:37.979 UTC));
        let budget = crate::expr::eval::Budget::new(crate::expr::MAX_EVAL_STEPS);
        let ev = Evaluator::new(&ctx, &budget);
        call(&ev, func, "test", args)?.to_json()
    }

    fn s(v: &str) -> Value<'_> {
        Value::str(v)
    }

    #[test]
    fn time_now_documented_shapes() {
        // Reference §1.6.7: Time.now() → 2015-07-31T17:18:37.979Z; Time.now("EST") → …-04:00.
        assert_eq!(run(Func::TimeNow, vec![]), Ok("2015-07-31T17:18:37.979Z".into()));
        assert_eq!(
            run(Func::TimeNow, vec![s("EST")]),
            Ok("2015-07-31T13:18:37.979-04:00".into())
        );
        assert_eq!(
            run(Func::TimeNow, vec![s("EST"), s("YYYY-MM-dd HH:mm:ss")]),
            Ok("2015-07-31 13:18:37".into())
        );
        assert!(run(Func::TimeNow, vec![s("Nowhere/Special")]).is_err());
    }

    #[test]
    fn unix_and_windows_timestamps() {
        // Reference §1.6.7 (IE analogues): 1438377580979 ms → 2015-07-31T21:19:40.979Z and
        // FILETIME 130828367179790000 → 2015-07-31T17:18:37.979Z.
        assert_eq!(
            run(Func::FromUnixToIso, vec![s("1438377580979")]),
            Ok("2015-07-31T21:19:40.979Z".into())
        );
        assert_eq!(
            run(Func::FromWindowsToIso, vec![s("130828367179790000")]),
            Ok("2015-07-31T17:18:37.979Z".into())
        );
        assert_eq!(
            run(Func::FromIsoToUnix, vec![s("2015-07-31T21:19:40.979Z")]),
            Ok("1438377580979".into())
        );
        assert_eq!(
            run(Func::FromIsoToWindows, vec![s("2015-07-31T17:18:37.979Z")]),
            Ok("130828367179790000".into())
        );
        assert_eq!(run(Func::FromUnixToIso, vec![Value::Null]), Ok(serde_json::Value::Null));
        assert!(run(Func::FromUnixToIso, vec![s("soon")]).is_err());
    }

    #[test]
    fn string_conversions() {
        assert_eq!(
            run(
                Func::FromStringToIso,
                vec![s("07/31/2015 13:36"), s("MM/dd/yyyy HH:mm")]
            ),
            Ok("2015-07-31T13:36:00.000Z".into())
        );
        assert_eq!(
            run(
                Func::FromIsoToString,
                vec![s("2015-07-31T13:36:48-04:00"), s("yyyy/MM/dd HH:mm")]
            ),
            Ok("2015/07/31 17:36".into())
        );
        assert_eq!(run(Func::FromIsoToUnix, vec![s("1970-01-02")]), Ok("86400000".into()));
        // Reference §1.6.7: empty strings "may give unexpected behavior"; here they are errors.
        assert!(run(Func::FromIsoToUnix, vec![s("")]).is_err());
        assert!(run(Func::FromIsoToUnix, vec![s("31/07/2015")]).is_err());
    }
}
