//! Time zones for `Time.*`, without a time-zone database: a table of common zone IDs with their
//! standard offset and current daylight-saving rule, the old three-letter IDs Joda-Time maps to
//! them (`EST` → `America/New_York`; Okta's Expression Language reference lists the zone IDs and
//! aliases), and fixed offsets such as `+05:30`. Historical rule changes are not modelled; unknown
//! IDs are errors.

use time::{Date, Duration, Month, OffsetDateTime, UtcOffset, Weekday};

/// A daylight-saving rule (the rules in force today).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    None,
    /// US/Canada: 2nd Sunday of March 02:00 local to 1st Sunday of November 02:00 local.
    Us,
    /// EU: last Sunday of March to last Sunday of October, 01:00 UTC.
    Eu,
    /// Australia (south-east): 1st Sunday of October to 1st Sunday of April, 02:00 standard.
    Au,
    /// New Zealand: last Sunday of September to 1st Sunday of April, 02:00 standard.
    Nz,
    /// Egypt since 2023: last Friday of April 00:00 to last Thursday of October 24:00.
    Egypt,
}

pub(crate) struct ZoneDef {
    id: &'static str,
    std_minutes: i32,
    rule: Rule,
    std_abbr: &'static str,
    dst_abbr: &'static str,
}

const fn z(id: &'static str, std_minutes: i32, rule: Rule, std_abbr: &'static str, dst_abbr: &'static str) -> ZoneDef {
    ZoneDef {
        id,
        std_minutes,
        rule,
        std_abbr,
        dst_abbr,
    }
}

use Rule::{Au, Egypt, Eu, Nz, Us};
const N: Rule = Rule::None;

static ZONES: &[ZoneDef] = &[
    z("UTC", 0, N, "UTC", ""),
    z("WET", 0, Eu, "WET", "WEST"),
    z("CET", 60, Eu, "CET", "CEST"),
    z("EET", 120, Eu, "EET", "EEST"),
    z("EST5EDT", -300, Us, "EST", "EDT"),
    z("CST6CDT", -360, Us, "CST", "CDT"),
    z("MST7MDT", -420, Us, "MST", "MDT"),
    z("PST8PDT", -480, Us, "PST", "PDT"),
    z("Europe/London", 0, Eu, "GMT", "BST"),
    z("Europe/Dublin", 0, Eu, "GMT", "IST"),
    z("Europe/Lisbon", 0, Eu, "WET", "WEST"),
    z("Atlantic/Reykjavik", 0, N, "GMT", ""),
    z("Europe/Paris", 60, Eu, "CET", "CEST"),
    z("Europe/Berlin", 60, Eu, "CET", "CEST"),
    z("Europe/Madrid", 60, Eu, "CET", "CEST"),
    z("Europe/Rome", 60, Eu, "CET", "CEST"),
    z("Europe/Amsterdam", 60, Eu, "CET", "CEST"),
    z("Europe/Brussels", 60, Eu, "CET", "CEST"),
    z("Europe/Vienna", 60, Eu, "CET", "CEST"),
    z("Europe/Zurich", 60, Eu, "CET", "CEST"),
    z("Europe/Stockholm", 60, Eu, "CET", "CEST"),
    z("Europe/Oslo", 60, Eu, "CET", "CEST"),
    z("Europe/Copenhagen", 60, Eu, "CET", "CEST"),
    z("Europe/Prague", 60, Eu, "CET", "CEST"),
    z("Europe/Warsaw", 60, Eu, "CET", "CEST"),
    z("Europe/Budapest", 60, Eu, "CET", "CEST"),
    z("Europe/Belgrade", 60, Eu, "CET", "CEST"),
    z("Africa/Lagos", 60, N, "WAT", ""),
    z("Europe/Athens", 120, Eu, "EET", "EEST"),
    z("Europe/Helsinki", 120, Eu, "EET", "EEST"),
    z("Europe/Kyiv", 120, Eu, "EET", "EEST"),
    z("Europe/Bucharest", 120, Eu, "EET", "EEST"),
    z("Europe/Sofia", 120, Eu, "EET", "EEST"),
    z("Europe/Riga", 120, Eu, "EET", "EEST"),
    z("Europe/Tallinn", 120, Eu, "EET", "EEST"),
    z("Europe/Vilnius", 120, Eu, "EET", "EEST"),
    z("Africa/Cairo", 120, Egypt, "EET", "EEST"),
    z("Africa/Johannesburg", 120, N, "SAST", ""),
    z("Africa/Harare", 120, N, "CAT", ""),
    z("Europe/Moscow", 180, N, "MSK", ""),
    z("Europe/Istanbul", 180, N, "+03", ""),
    z("Africa/Nairobi", 180, N, "EAT", ""),
    z("Africa/Addis_Ababa", 180, N, "EAT", ""),
    z("Asia/Riyadh", 180, N, "+03", ""),
    z("Asia/Dubai", 240, N, "+04", ""),
    z("Asia/Yerevan", 240, N, "+04", ""),
    z("Asia/Karachi", 300, N, "PKT", ""),
    z("Asia/Kolkata", 330, N, "IST", ""),
    z("Asia/Dhaka", 360, N, "+06", ""),
    z("Asia/Ho_Chi_Minh", 420, N, "+07", ""),
    z("Asia/Bangkok", 420, N, "+07", ""),
    z("Asia/Jakarta", 420, N, "WIB", ""),
    z("Asia/Shanghai", 480, N, "CST", ""),
    z("Asia/Hong_Kong", 480, N, "HKT", ""),
    z("Asia/Singapore", 480, N, "+08", ""),
    z("Asia/Taipei", 480, N, "CST", ""),
    z("Asia/Manila", 480, N, "PST", ""),
    z("Australia/Perth", 480, N, "AWST", ""),
    z("Asia/Tokyo", 540, N, "JST", ""),
    z("Asia/Seoul", 540, N, "KST", ""),
    z("Australia/Darwin", 570, N, "ACST", ""),
    z("Australia/Adelaide", 570, Au, "ACST", "ACDT"),
    z("Australia/Brisbane", 600, N, "AEST", ""),
    z("Australia/Sydney", 600, Au, "AEST", "AEDT"),
    z("Australia/Melbourne", 600, Au, "AEST", "AEDT"),
    z("Australia/Hobart", 600, Au, "AEST", "AEDT"),
    z("Pacific/Guadalcanal", 660, N, "+11", ""),
    z("Pacific/Auckland", 720, Nz, "NZST", "NZDT"),
    z("Pacific/Apia", 780, N, "+13", ""),
    z("Pacific/Honolulu", -600, N, "HST", ""),
    z("America/Anchorage", -540, Us, "AKST", "AKDT"),
    z("America/Los_Angeles", -480, Us, "PST", "PDT"),
    z("America/Vancouver", -480, Us, "PST", "PDT"),
    z("America/Tijuana", -480, Us, "PST", "PDT"),
    z("America/Denver", -420, Us, "MST", "MDT"),
    z("America/Edmonton", -420, Us, "MST", "MDT"),
    z("America/Boise", -420, Us, "MST", "MDT"),
    z("America/Phoenix", -420, N, "MST", ""),
    z("America/Chicago", -360, Us, "CST", "CDT"),
    z("America/Winnipeg", -360, Us, "CST", "CDT"),
    z("America/Mexico_City", -360, N, "CST", ""),
    z("America/New_York", -300, Us, "EST", "EDT"),
    z("America/Toronto", -300, Us, "EST", "EDT"),
    z("America/Detroit", -300, Us, "EST", "EDT"),
    z("America/Indiana/Indianapolis", -300, Us, "EST", "EDT"),
    z("America/Bogota", -300, N, "-05", ""),
    z("America/Lima", -300, N, "-05", ""),
    z("America/Halifax", -240, Us, "AST", "ADT"),
    z("America/Puerto_Rico", -240, N, "AST", ""),
    z("America/Caracas", -240, N, "-04", ""),
    z("America/St_Johns", -210, Us, "NST", "NDT"),
    z("America/Argentina/Buenos_Aires", -180, N, "-03", ""),
    z("America/Sao_Paulo", -180, N, "-03", ""),
];

/// Aliases, including Joda-Time's conversions of the old three-letter IDs.
static ALIASES: &[(&str, &str)] = &[
    ("GMT", "UTC"),
    ("Z", "UTC"),
    ("UCT", "UTC"),
    ("Etc/UTC", "UTC"),
    ("Etc/GMT", "UTC"),
    ("Universal", "UTC"),
    ("Zulu", "UTC"),
    ("Greenwich", "UTC"),
    ("MET", "CET"),
    ("ECT", "Europe/Paris"),
    ("MIT", "Pacific/Apia"),
    ("HST", "Pacific/Honolulu"),
    ("AST", "America/Anchorage"),
    ("PST", "America/Los_Angeles"),
    ("MST", "America/Denver"),
    ("PNT", "America/Phoenix"),
    ("CST", "America/Chicago"),
    ("EST", "America/New_York"),
    ("IET", "America/Indiana/Indianapolis"),
    ("PRT", "America/Puerto_Rico"),
    ("CNT", "America/St_Johns"),
    ("AGT", "America/Argentina/Buenos_Aires"),
    ("BET", "America/Sao_Paulo"),
    ("ART", "Africa/Cairo"),
    ("CAT", "Africa/Harare"),
    ("EAT", "Africa/Addis_Ababa"),
    ("NET", "Asia/Yerevan"),
    ("PLT", "Asia/Karachi"),
    ("IST", "Asia/Kolkata"),
    ("BST", "Asia/Dhaka"),
    ("VST", "Asia/Ho_Chi_Minh"),
    ("CTT", "Asia/Shanghai"),
    ("JST", "Asia/Tokyo"),
    ("ACT", "Australia/Darwin"),
    ("AET", "Australia/Sydney"),
    ("SST", "Pacific/Guadalcanal"),
    ("NST", "Pacific/Auckland"),
    ("US/Eastern", "America/New_York"),
    ("US/Central", "America/Chicago"),
    ("US/Mountain", "America/Denver"),
    ("US/Pacific", "America/Los_Angeles"),
    ("US/Alaska", "America/Anchorage"),
    ("US/Hawaii", "Pacific/Honolulu"),
    ("US/Arizona", "America/Phoenix"),
    ("America/Indianapolis", "America/Indiana/Indianapolis"),
    ("America/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ("Asia/Calcutta", "Asia/Kolkata"),
    ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
    ("Europe/Kiev", "Europe/Kyiv"),
    ("Australia/Canberra", "Australia/Sydney"),
];

/// A resolved time zone.
#[derive(Clone, Copy)]
pub(crate) enum Zone {
    Named(&'static ZoneDef),
    /// A fixed offset in seconds.
    Fixed(i32),
}

/// Resolves a zone ID (exact, then case-insensitive), an alias, or a `±HH[:MM]` offset.
pub(crate) fn resolve_zone(id: &str) -> Option<Zone> {
    let find = |id: &str| -> Option<&'static ZoneDef> {
        let canonical = ALIASES.iter().find(|(a, _)| *a == id).map_or(id, |(_, c)| *c);
        ZONES.iter().find(|z| z.id == canonical)
    };
    if let Some(z) = find(id) {
        return Some(Zone::Named(z));
    }
    let ci = ZONES
        .iter()
        .map(|z| z.id)
        .chain(ALIASES.iter().map(|(a, _)| *a))
        .find(|n| n.eq_ignore_ascii_case(id));
    if let Some(z) = ci.and_then(find) {
        return Some(Zone::Named(z));
    }
    parse_offset(id).map(Zone::Fixed)
}

/// `+05:30`, `-0800`, `+05` → seconds east of UTC.
pub(crate) fn parse_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || rest.chars().filter(|c| *c == ':').count() > 1 {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse::<i32>().ok()?, digits[2..].parse::<i32>().ok()?),
        _ => return None,
    };
    (h <= 18 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

fn nth_weekday(year: i32, month: Month, wd: Weekday, n: u8) -> Option<Date> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let shift = (7 + wd.number_days_from_monday() - first.weekday().number_days_from_monday()) % 7;
    first.checked_add(Duration::days(i64::from(shift) + 7 * i64::from(n - 1)))
}

fn last_weekday(year: i32, month: Month, wd: Weekday) -> Option<Date> {
    let last = Date::from_calendar_date(year, month, month.length(year)).ok()?;
    let shift = (7 + last.weekday().number_days_from_monday() - wd.number_days_from_monday()) % 7;
    last.checked_sub(Duration::days(i64::from(shift)))
}

/// Unix time of `date` at `hour` o'clock in a zone `offset` seconds east of UTC.
fn at(date: Option<Date>, hour: i64, offset: i64) -> i64 {
    date.map_or(i64::MIN, |d| {
        d.midnight().assume_utc().unix_timestamp() + hour * 3600 - offset
    })
}

impl ZoneDef {
    fn is_dst(&self, utc: OffsetDateTime) -> bool {
        let (y, t, std) = (utc.year(), utc.unix_timestamp(), i64::from(self.std_minutes) * 60);
        let dst = std + 3600;
        use Month::{April, March, November, October, September};
        match self.rule {
            Rule::None => false,
            Rule::Us => {
                let start = at(nth_weekday(y, March, Weekday::Sunday, 2), 2, std);
                let end = at(nth_weekday(y, November, Weekday::Sunday, 1), 2, dst);
                t >= start && t < end
            }
            Rule::Eu => {
                let start = at(last_weekday(y, March, Weekday::Sunday), 1, 0);
                let end = at(last_weekday(y, October, Weekday::Sunday), 1, 0);
                t >= start && t < end
            }
            Rule::Au | Rule::Nz => {
                let end = at(nth_weekday(y, April, Weekday::Sunday, 1), 2, std);
                let start = if self.rule == Rule::Au {
                    at(nth_weekday(y, October, Weekday::Sunday, 1), 2, std)
                } else {
                    at(last_weekday(y, September, Weekday::Sunday), 2, std)
                };
                t < end || t >= start
            }
            Rule::Egypt => {
                let start = at(last_weekday(y, April, Weekday::Friday), 0, std);
                let end = at(last_weekday(y, October, Weekday::Thursday), 24, dst);
                y >= 2023 && t >= start && t < end
            }
        }
    }
}

impl Zone {
    /// The zone's ID (`America/New_York`, or the offset as `+05:30`).
    pub(crate) fn id(&self) -> String {
        match self {
            Zone::Named(z) => z.id.to_owned(),
            Zone::Fixed(s) => format_offset(*s, true),
        }
    }

    /// The UTC offset at `utc`.
    pub(crate) fn offset_at(&self, utc: OffsetDateTime) -> UtcOffset {
        let secs = match self {
            Zone::Named(z) => z.std_minutes * 60 + if z.is_dst(utc) { 3600 } else { 0 },
            Zone::Fixed(s) => *s,
        };
        UtcOffset::from_whole_seconds(secs).unwrap_or(UtcOffset::UTC)
    }

    /// The short name (`EST`, `EDT`, or the offset).
    pub(crate) fn abbreviation(&self, utc: OffsetDateTime) -> String {
        match self {
            Zone::Named(z) if z.is_dst(utc) => z.dst_abbr.to_owned(),
            Zone::Named(z) => z.std_abbr.to_owned(),
            Zone::Fixed(s) => format_offset(*s, true),
        }
    }
}

/// `+05:30` (with colon) or `+0530`.
pub(crate) fn format_offset(secs: i32, colon: bool) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m) = (a / 3600, (a % 3600) / 60);
    if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn offset(id: &str, t: OffsetDateTime) -> Option<i32> {
        resolve_zone(id).map(|z| z.offset_at(t).whole_seconds())
    }

    #[test]
    fn est_follows_new_york_daylight_saving() {
        // Reference §1.6.7: Time.now("EST") in July 2015 prints -04:00.
        assert_eq!(offset("EST", datetime!(2015-07-31 17:18:37 UTC)), Some(-4 * 3600));
        assert_eq!(offset("EST", datetime!(2015-01-15 12:00 UTC)), Some(-5 * 3600));
        // 2015 US transitions: 8 March 07:00 UTC and 1 November 06:00 UTC.
        assert_eq!(
            offset("America/New_York", datetime!(2015-03-08 06:59 UTC)),
            Some(-5 * 3600)
        );
        assert_eq!(
            offset("America/New_York", datetime!(2015-03-08 07:00 UTC)),
            Some(-4 * 3600)
        );
        assert_eq!(
            offset("America/New_York", datetime!(2015-11-01 05:59 UTC)),
            Some(-4 * 3600)
        );
        assert_eq!(
            offset("America/New_York", datetime!(2015-11-01 06:00 UTC)),
            Some(-5 * 3600)
        );
    }

    #[test]
    fn other_rules_and_aliases() {
        assert_eq!(offset("Europe/Paris", datetime!(2015-07-01 0:00 UTC)), Some(7200));
        assert_eq!(offset("Europe/London", datetime!(2015-03-29 01:00 UTC)), Some(3600));
        assert_eq!(offset("Europe/London", datetime!(2015-03-29 00:59 UTC)), Some(0));
        assert_eq!(
            offset("Australia/Sydney", datetime!(2015-01-01 0:00 UTC)),
            Some(11 * 3600)
        );
        assert_eq!(offset("AET", datetime!(2015-07-01 0:00 UTC)), Some(10 * 3600));
        assert_eq!(
            offset("Pacific/Auckland", datetime!(2015-12-01 0:00 UTC)),
            Some(13 * 3600)
        );
        assert_eq!(offset("IST", datetime!(2015-07-01 0:00 UTC)), Some(19800));
        assert_eq!(offset("US/Pacific", datetime!(2015-07-01 0:00 UTC)), Some(-7 * 3600));
        assert_eq!(
            offset("America/Phoenix", datetime!(2015-07-01 0:00 UTC)),
            Some(-7 * 3600)
        );
        assert_eq!(offset("GMT", datetime!(2015-07-01 0:00 UTC)), Some(0));
        assert_eq!(
            offset("america/new_york", datetime!(2015-07-01 0:00 UTC)),
            Some(-4 * 3600)
        );
        assert_eq!(offset("+05:30", datetime!(2015-07-01 0:00 UTC)), Some(19800));
        assert_eq!(offset("-0800", datetime!(2015-07-01 0:00 UTC)), Some(-28800));
        assert!(resolve_zone("Mars/Olympus").is_none());
        assert!(resolve_zone("+25:00").is_none());
    }

    #[test]
    fn names() {
        let z = resolve_zone("EST").map(|z| (z.id(), z.abbreviation(datetime!(2015-07-31 0:00 UTC))));
        assert_eq!(z, Some(("America/New_York".into(), "EDT".into())));
        assert_eq!(format_offset(-16200, true), "-04:30");
    }
}
