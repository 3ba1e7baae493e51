//! Joda-Time patterns (Okta's Expression Language reference): formatting and parsing, English
//! names.
//!
//! Letters: `G` era, `C` century, `Y` year of era, `y` year, `x` week year, `w` week of week
//! year, `e` day-of-week number, `E` day-of-week name, `D` day of year, `M` month, `d` day,
//! `a` AM/PM, `K` `h` `H` `k` hours, `m` minute, `s` second, `S` fraction, `z` zone name,
//! `Z` offset (`Z` = `-0800`, `ZZ` = `-08:00`, `ZZZ` = zone ID). Text in `'…'` is literal,
//! `''` is a quote; other non-letters are literal. Note `Y` is the year (of era), not a week
//! year as in Java's `SimpleDateFormat`.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::expr::functions::zones::{Zone, format_offset, parse_offset};

/// One element of a pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    Lit(String),
    Field(char, usize),
}

const LETTERS: &str = "GCYyxweEDMdaKhHkmsSzZ";
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Splits a pattern into items.
pub(crate) fn compile(pattern: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut chars = pattern.chars().peekable();
    let mut lit = String::new();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
                lit.push('\'');
                continue;
            }
            loop {
                match chars.next() {
                    None => return Err("unterminated quote in pattern".into()),
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                        lit.push('\'');
                    }
                    Some('\'') => break,
                    Some(q) => lit.push(q),
                }
            }
        } else if c.is_ascii_alphabetic() {
            if !LETTERS.contains(c) {
                return Err(format!("unsupported pattern letter '{c}'"));
            }
            let mut n = 1;
            while chars.peek() == Some(&c) {
                chars.next();
                n += 1;
            }
            if !lit.is_empty() {
                items.push(Item::Lit(std::mem::take(&mut lit)));
            }
            items.push(Item::Field(c, n));
        } else {
            lit.push(c);
        }
    }
    if !lit.is_empty() {
        items.push(Item::Lit(lit));
    }
    Ok(items)
}

/// Checks a pattern (for literal patterns at parse time).
pub(crate) fn validate_pattern(pattern: &str) -> Result<(), String> {
    compile(pattern).map(|_| ())
}

fn pad(out: &mut String, v: i64, width: usize) {
    if v < 0 {
        out.push('-');
    }
    out.push_str(&format!("{:0width$}", v.unsigned_abs()));
}

/// Formats `utc` in `zone` with a compiled pattern.
pub(crate) fn format(items: &[Item], utc: OffsetDateTime, zone: &Zone) -> String {
    let offset = zone.offset_at(utc);
    let t = utc.to_offset(offset);
    let mut out = String::new();
    for item in items {
        let (c, n) = match item {
            Item::Lit(s) => {
                out.push_str(s);
                continue;
            }
            Item::Field(c, n) => (*c, *n),
        };
        let year = i64::from(t.year());
        let hour = i64::from(t.hour());
        match c {
            'G' => out.push_str(if year > 0 { "AD" } else { "BC" }),
            'C' => pad(&mut out, year.abs() / 100, n),
            'Y' | 'y' | 'x' => {
                let y = match c {
                    'x' => i64::from(t.to_iso_week_date().0),
                    'Y' if year <= 0 => 1 - year,
                    _ => year,
                };
                if n == 2 {
                    pad(&mut out, y.rem_euclid(100), 2);
                } else {
                    pad(&mut out, y, n);
                }
            }
            'w' => pad(&mut out, i64::from(t.iso_week()), n),
            'e' => pad(&mut out, i64::from(t.weekday().number_from_monday()), n),
            'E' => {
                let name = DAYS[usize::from(t.weekday().number_days_from_monday())];
                out.push_str(if n >= 4 { name } else { &name[..3] });
            }
            'D' => pad(&mut out, i64::from(t.ordinal()), n),
            'M' => {
                let m = u8::from(t.month());
                match n {
                    1 | 2 => pad(&mut out, i64::from(m), n),
                    3 => out.push_str(&MONTHS[usize::from(m - 1)][..3]),
                    _ => out.push_str(MONTHS[usize::from(m - 1)]),
                }
            }
            'd' => pad(&mut out, i64::from(t.day()), n),
            'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
            'K' => pad(&mut out, hour % 12, n),
            'h' => pad(&mut out, if hour % 12 == 0 { 12 } else { hour % 12 }, n),
            'H' => pad(&mut out, hour, n),
            'k' => pad(&mut out, if hour == 0 { 24 } else { hour }, n),
            'm' => pad(&mut out, i64::from(t.minute()), n),
            's' => pad(&mut out, i64::from(t.second()), n),
            'S' => {
                let ms = format!("{:03}", t.millisecond());
                let digits: String = ms.chars().chain(std::iter::repeat('0')).take(n).collect();
                out.push_str(&digits);
            }
            'z' => out.push_str(&zone.abbreviation(utc)),
            'Z' => match n {
                1 => out.push_str(&format_offset(offset.whole_seconds(), false)),
                2 => out.push_str(&format_offset(offset.whole_seconds(), true)),
                _ => out.push_str(&zone.id()),
            },
            _ => {}
        }
    }
    out
}

/// Fields collected while parsing.
#[derive(Default)]
struct Parsed {
    year: Option<i32>,
    month: Option<u8>,
    day: Option<u8>,
    hour: Option<u8>,
    pm: Option<bool>,
    minute: Option<u8>,
    second: Option<u8>,
    nanos: Option<u32>,
    offset: Option<i32>,
}

/// Parses `input` with a compiled pattern. Missing fields default to 1970-01-01 00:00:00 UTC;
/// two-digit years pivot around `now_year` (Joda: -50..+49 years).
pub(crate) fn parse(items: &[Item], input: &str, now_year: i32) -> Result<OffsetDateTime, String> {
    let mut p = Parsed::default();
    let mut rest = input;
    for (i, item) in items.iter().enumerate() {
        let (c, n) = match item {
            Item::Lit(s) => {
                rest = rest
                    .strip_prefix(s.as_str())
                    .ok_or_else(|| format!("expected {s:?} in {input:?}"))?;
                continue;
            }
            Item::Field(c, n) => (*c, *n),
        };
        let next_numeric = matches!(items.get(i + 1), Some(Item::Field(nc, nn))
            if "CYyxwDMdKhHkmsS".contains(*nc) && !(*nc == 'M' && *nn >= 3));
        let width = |max: usize| if next_numeric { n.max(1) } else { max };
        let mut number = |max: usize| take_number(&mut rest, width(max), c != 'S', c, input);
        match c {
            'Y' | 'y' | 'x' => {
                let (y, digits) = number(9)?;
                let y = if n == 2 && digits == 2 { pivot(y, now_year) } else { y };
                p.year = Some(i32::try_from(y).map_err(|_| "year out of range".to_string())?);
            }
            'M' if n >= 3 => {
                let (m, len) =
                    name_prefix(rest, &MONTHS).ok_or_else(|| format!("expected a month name in {input:?}"))?;
                p.month = Some(m as u8 + 1);
                rest = &rest[len..];
            }
            'E' => {
                let (_, len) = name_prefix(rest, &DAYS).ok_or_else(|| format!("expected a day name in {input:?}"))?;
                rest = &rest[len..];
            }
            'M' => p.month = Some(small(number(2)?.0)?),
            'd' => p.day = Some(small(number(2)?.0)?),
            'H' | 'k' => p.hour = Some(small(number(2)?.0)? % 24),
            'h' | 'K' => p.hour = Some(small(number(2)?.0)? % 12),
            'm' => p.minute = Some(small(number(2)?.0)?),
            's' => p.second = Some(small(number(2)?.0)?),
            'S' => {
                let (v, digits) = number(9)?;
                let digits = u32::try_from(digits).unwrap_or(9);
                let scale = 10_i64.pow(9 - digits.min(9));
                p.nanos = u32::try_from(v * scale).ok();
            }
            'a' => {
                let up = rest.get(..2).map(str::to_ascii_uppercase);
                p.pm = match up.as_deref() {
                    Some("AM") => Some(false),
                    Some("PM") => Some(true),
                    _ => return Err(format!("expected AM or PM in {input:?}")),
                };
                rest = &rest[2..];
            }
            'Z' => {
                if let Some(r) = rest.strip_prefix('Z') {
                    p.offset = Some(0);
                    rest = r;
                } else {
                    let len = rest
                        .char_indices()
                        .take_while(|(i, ch)| (*i == 0 && matches!(ch, '+' | '-')) || ch.is_ascii_digit() || *ch == ':')
                        .count();
                    p.offset =
                        Some(parse_offset(&rest[..len]).ok_or_else(|| format!("expected an offset in {input:?}"))?);
                    rest = &rest[len..];
                }
            }
            other => return Err(format!("pattern letter '{other}' cannot be parsed")),
        }
    }
    if !rest.is_empty() {
        return Err(format!("unexpected text {rest:?} at the end of {input:?}"));
    }
    build(&p).ok_or_else(|| format!("{input:?} is not a valid date/time"))
}

/// Reads up to `width` digits (with a leading `-` when `signed`); returns the value and the
/// number of digits read.
fn take_number(rest: &mut &str, width: usize, signed: bool, c: char, input: &str) -> Result<(i64, usize), String> {
    let neg = signed && rest.starts_with('-');
    let body = if neg { &rest[1..] } else { *rest };
    let len = body.chars().take(width).take_while(char::is_ascii_digit).count();
    if len == 0 {
        return Err(format!("expected a number for '{c}' in {input:?}"));
    }
    let v: i64 = body[..len].parse().map_err(|_| format!("bad number in {input:?}"))?;
    *rest = &body[len..];
    Ok((if neg { -v } else { v }, len))
}

fn small(v: i64) -> Result<u8, String> {
    u8::try_from(v).map_err(|_| format!("{v} is out of range"))
}

fn pivot(yy: i64, now_year: i32) -> i64 {
    let start = i64::from(now_year) - 50;
    let base = start - start.rem_euclid(100) + yy;
    if base < start { base + 100 } else { base }
}

/// Matches a full or three-letter English name, case-insensitively.
fn name_prefix(s: &str, names: &[&str]) -> Option<(usize, usize)> {
    let lower = s.to_ascii_lowercase();
    let full = names
        .iter()
        .position(|m| lower.starts_with(&m.to_ascii_lowercase()))
        .map(|i| (i, names[i].len()));
    let short = || {
        names
            .iter()
            .position(|m| lower.starts_with(&m[..3].to_ascii_lowercase()))
            .map(|i| (i, 3))
    };
    full.or_else(short)
}

fn build(p: &Parsed) -> Option<OffsetDateTime> {
    let month = Month::try_from(p.month.unwrap_or(1)).ok()?;
    let date = Date::from_calendar_date(p.year.unwrap_or(1970), month, p.day.unwrap_or(1)).ok()?;
    let mut hour = p.hour.unwrap_or(0);
    if p.pm == Some(true) && hour < 12 {
        hour += 12;
    }
    let time = Time::from_hms_nano(hour, p.minute.unwrap_or(0), p.second.unwrap_or(0), p.nanos.unwrap_or(0)).ok()?;
    let offset = UtcOffset::from_whole_seconds(p.offset.unwrap_or(0)).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::functions::zones::resolve_zone;
    use time::macros::datetime;

    fn fmt(pattern: &str, t: OffsetDateTime, zone: &str) -> String {
        match (compile(pattern), resolve_zone(zone)) {
            (Ok(items), Some(z)) => format(&items, t, &z),
            _ => panic!("bad pattern or zone"),
        }
    }

    fn parse_str(pattern: &str, input: &str) -> Result<OffsetDateTime, String> {
        parse(&compile(pattern)?, input, 2025)
    }

    #[test]
    fn documented_time_now_format() {
        // Reference §1.6.7: Time.now("EST", "YYYY-MM-dd HH:mm:ss") → 2015-07-31 13:36:48.
        let t = datetime!(2015-07-31 17:36:48.123 UTC);
        assert_eq!(fmt("YYYY-MM-dd HH:mm:ss", t, "EST"), "2015-07-31 13:36:48");
    }

    #[test]
    fn letters_and_quotes() {
        let t = datetime!(2015-07-31 17:05:09.979 UTC);
        assert_eq!(
            fmt("EEE, d MMM yyyy h:mm a z", t, "EST"),
            "Fri, 31 Jul 2015 1:05 PM EDT"
        );
        assert_eq!(fmt("EEEE MMMM yy", t, "UTC"), "Friday July 15");
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mm:ss.SSSZZ", t, "EST"),
            "2015-07-31T13:05:09.979-04:00"
        );
        assert_eq!(fmt("Z ZZZ", t, "EST"), "-0400 America/New_York");
        assert_eq!(fmt("'it''s' D kk S", t, "UTC"), "it's 212 17 9");
        assert!(compile("yyyy-qq").is_err());
        assert!(compile("'open").is_err());
    }

    #[test]
    fn parsing() {
        assert_eq!(
            parse_str("yyyy-MM-dd HH:mm:ss", "2015-07-31 13:36:48"),
            Ok(datetime!(2015-07-31 13:36:48 UTC))
        );
        assert_eq!(parse_str("yyyyMMdd", "20150731"), Ok(datetime!(2015-07-31 0:00 UTC)));
        assert_eq!(
            parse_str("dd MMM yy h:mm a Z", "31 Jul 15 1:05 PM -0400"),
            Ok(datetime!(2015-07-31 13:05 -4))
        );
        assert_eq!(parse_str("MM/dd/yy", "01/02/80"), Ok(datetime!(1980-01-02 0:00 UTC)));
        assert_eq!(
            parse_str("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2015-07-31T17:18:37.979Z"),
            Ok(datetime!(2015-07-31 17:18:37.979 UTC))
        );
        assert!(parse_str("yyyy-MM-dd", "2015-02-30").is_err());
        assert!(parse_str("yyyy-MM-dd", "2015-07-31 extra").is_err());
        assert!(parse_str("yyyy-MM-dd", "").is_err());
    }
}
