//! The function library: the registry the parser checks names and arity against, and the
//! dispatcher the evaluator calls. Each family lives in its own file.

mod arrays;
mod convert;
mod groups;
mod iso3166;
mod joda;
mod strings;
mod time_fns;
mod zones;

use regex::{Regex, RegexBuilder};

use crate::expr::ast::Prepared;
use crate::expr::error::EvalErrorKind;
use crate::expr::eval::Evaluator;
use crate::expr::value::Value;

pub(crate) use joda::validate_pattern;
pub(crate) use zones::resolve_zone;

/// Upper bound on a compiled regex (and its lazy DFA), in bytes.
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Every supported function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Append,
    Join,
    Len,
    RemoveSpaces,
    Replace,
    ReplaceFirst,
    StartsWith,
    StringContains,
    StringSwitch,
    Substring,
    SubstringAfter,
    SubstringBefore,
    ToUpperCase,
    ToLowerCase,
    ArrAdd,
    ArrRemove,
    ArrClear,
    ArrGet,
    ArrFlatten,
    ArrContains,
    ArrSize,
    ArrIsEmpty,
    ArrToCsv,
    ToInt,
    ToNum,
    IsoAlpha2,
    IsoAlpha3,
    IsoNumeric,
    IsoName,
    MemberOfGroupName,
    MemberOfGroup,
    MemberOfAnyGroup,
    MemberOfGroupNameStartsWith,
    MemberOfGroupNameContains,
    MemberOfGroupNameRegex,
    GetFilteredGroups,
    GroupsContains,
    GroupsStartsWith,
    GroupsEndsWith,
    TimeNow,
    FromWindowsToIso,
    FromUnixToIso,
    FromStringToIso,
    FromIsoToWindows,
    FromIsoToUnix,
    FromIsoToString,
    HasDirectoryUser,
    FindDirectoryUser,
    HasWorkdayUser,
    FindWorkdayUser,
}

/// A function's name and accepted argument counts.
pub(crate) struct FuncSpec {
    pub name: &'static str,
    pub func: Func,
    pub min: usize,
    /// `None` for varargs.
    pub max: Option<usize>,
}

const fn spec(name: &'static str, func: Func, min: usize, max: Option<usize>) -> FuncSpec {
    FuncSpec { name, func, min, max }
}

/// Namespaces of the classic static-style functions.
pub(crate) const NAMESPACES: &[&str] = &["String", "Arrays", "Convert", "Iso3166Convert", "Groups", "Time"];

/// The registry (Okta's Expression Language reference). Deprecated global string functions are
/// listed too.
pub(crate) static FUNCTIONS: &[FuncSpec] = &[
    spec("String.append", Func::Append, 2, Some(2)),
    spec("String.join", Func::Join, 1, None),
    spec("String.len", Func::Len, 1, Some(1)),
    spec("String.removeSpaces", Func::RemoveSpaces, 1, Some(1)),
    spec("String.replace", Func::Replace, 3, Some(3)),
    spec("String.replaceFirst", Func::ReplaceFirst, 3, Some(3)),
    spec("String.startsWith", Func::StartsWith, 2, Some(2)),
    spec("String.stringContains", Func::StringContains, 2, Some(2)),
    spec("String.stringSwitch", Func::StringSwitch, 4, None),
    spec("String.substring", Func::Substring, 3, Some(3)),
    spec("String.substringAfter", Func::SubstringAfter, 2, Some(2)),
    spec("String.substringBefore", Func::SubstringBefore, 2, Some(2)),
    spec("String.toUpperCase", Func::ToUpperCase, 1, Some(1)),
    spec("String.toLowerCase", Func::ToLowerCase, 1, Some(1)),
    spec("toUpperCase", Func::ToUpperCase, 1, Some(1)),
    spec("toLowerCase", Func::ToLowerCase, 1, Some(1)),
    spec("toUppercase", Func::ToUpperCase, 1, Some(1)),
    spec("toLowercase", Func::ToLowerCase, 1, Some(1)),
    spec("substring", Func::Substring, 3, Some(3)),
    spec("substringAfter", Func::SubstringAfter, 2, Some(2)),
    spec("substringBefore", Func::SubstringBefore, 2, Some(2)),
    spec("Arrays.add", Func::ArrAdd, 2, Some(2)),
    spec("Arrays.remove", Func::ArrRemove, 2, Some(2)),
    spec("Arrays.clear", Func::ArrClear, 1, Some(1)),
    spec("Arrays.get", Func::ArrGet, 2, Some(2)),
    spec("Arrays.flatten", Func::ArrFlatten, 1, None),
    spec("Arrays.contains", Func::ArrContains, 2, Some(2)),
    spec("Arrays.size", Func::ArrSize, 1, Some(1)),
    spec("Arrays.isEmpty", Func::ArrIsEmpty, 1, Some(1)),
    spec("Arrays.toCsvString", Func::ArrToCsv, 1, Some(1)),
    spec("Convert.toInt", Func::ToInt, 1, Some(1)),
    spec("Convert.toNum", Func::ToNum, 1, Some(1)),
    spec("Iso3166Convert.toAlpha2", Func::IsoAlpha2, 1, Some(1)),
    spec("Iso3166Convert.toAlpha3", Func::IsoAlpha3, 1, Some(1)),
    spec("Iso3166Convert.toNumeric", Func::IsoNumeric, 1, Some(1)),
    spec("Iso3166Convert.toName", Func::IsoName, 1, Some(1)),
    spec("isMemberOfGroupName", Func::MemberOfGroupName, 1, Some(1)),
    spec("isMemberOfGroup", Func::MemberOfGroup, 1, Some(1)),
    spec("isMemberOfAnyGroup", Func::MemberOfAnyGroup, 1, None),
    spec(
        "isMemberOfGroupNameStartsWith",
        Func::MemberOfGroupNameStartsWith,
        1,
        Some(1),
    ),
    spec(
        "isMemberOfGroupNameContains",
        Func::MemberOfGroupNameContains,
        1,
        Some(1),
    ),
    spec("isMemberOfGroupNameRegex", Func::MemberOfGroupNameRegex, 1, Some(1)),
    spec("getFilteredGroups", Func::GetFilteredGroups, 3, Some(3)),
    spec("Groups.contains", Func::GroupsContains, 3, Some(3)),
    spec("Groups.startsWith", Func::GroupsStartsWith, 3, Some(3)),
    spec("Groups.endsWith", Func::GroupsEndsWith, 3, Some(3)),
    spec("Time.now", Func::TimeNow, 0, Some(2)),
    spec("Time.fromWindowsToIso8601", Func::FromWindowsToIso, 1, Some(1)),
    spec("Time.fromUnixToIso8601", Func::FromUnixToIso, 1, Some(1)),
    spec("Time.fromStringToIso8601", Func::FromStringToIso, 2, Some(2)),
    spec("Time.fromIso8601ToWindows", Func::FromIsoToWindows, 1, Some(1)),
    spec("Time.fromIso8601ToUnix", Func::FromIsoToUnix, 1, Some(1)),
    spec("Time.fromIso8601ToString", Func::FromIsoToString, 2, Some(2)),
    spec("hasDirectoryUser", Func::HasDirectoryUser, 0, Some(0)),
    spec("findDirectoryUser", Func::FindDirectoryUser, 0, Some(0)),
    spec("hasWorkdayUser", Func::HasWorkdayUser, 0, Some(0)),
    spec("findWorkdayUser", Func::FindWorkdayUser, 0, Some(0)),
];

/// Documented functions that are rejected at parse time, with the reason.
pub(crate) static UNSUPPORTED: &[(&str, &str)] = &[
    (
        "getManagerUser",
        "it needs Active Directory manager resolution; use user.getLinkedObject(\"manager\")",
    ),
    ("getManagerAppUser", "it needs Active Directory manager resolution"),
    ("getAssistantUser", "it needs Active Directory assistant resolution"),
    ("getAssistantAppUser", "it needs Active Directory assistant resolution"),
];

/// Looks a function up by its full name (`String.len`, `isMemberOfGroup`).
pub(crate) fn lookup(name: &str) -> Option<&'static FuncSpec> {
    FUNCTIONS.iter().find(|s| s.name == name)
}

/// The closest known name to `name` (case-insensitive match first, then edit distance).
pub(crate) fn suggest<'c>(name: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let lower = name.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = if c.eq_ignore_ascii_case(name) {
            0
        } else {
            edit_distance(&lower, &c.to_ascii_lowercase())
        };
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let threshold = (name.chars().count() / 3).max(2);
    best.filter(|(d, _)| *d <= threshold).map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The compiled-size limit of a regex whose pattern is built at evaluation time: smaller than
/// [`REGEX_SIZE_LIMIT`], since every evaluation may compile one and matching costs grow with it.
pub(crate) const DYNAMIC_REGEX_SIZE_LIMIT: usize = 64 * 1024;

/// Compiles a regex built at evaluation time, under [`DYNAMIC_REGEX_SIZE_LIMIT`].
pub(crate) fn build_dynamic_regex(pattern: &str, whole: bool) -> Result<Regex, String> {
    build_regex_limited(pattern, whole, DYNAMIC_REGEX_SIZE_LIMIT)
}

/// Compiles a regex under [`REGEX_SIZE_LIMIT`]. `whole` anchors it to the whole input, as
/// SpEL's `matches` does (Okta does not document the anchoring; its expression language is a
/// subset of SpEL).
pub(crate) fn build_regex(pattern: &str, whole: bool) -> Result<Regex, String> {
    build_regex_limited(pattern, whole, REGEX_SIZE_LIMIT)
}

fn build_regex_limited(pattern: &str, whole: bool, limit: usize) -> Result<Regex, String> {
    let anchored;
    let p = if whole {
        anchored = format!("^(?:{pattern})$");
        anchored.as_str()
    } else {
        pattern
    };
    RegexBuilder::new(p)
        .size_limit(limit)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

/// The regex of `isMemberOfGroupNameRegex`: one leading and one trailing `/` are delimiters,
/// and the rest must match the whole group name (Okta's Expression Language reference documents
/// `isMemberOfGroupNameRegex("/.*admin.*")` without saying what the slashes mean; our choice).
pub(crate) fn group_name_regex(pattern: &str) -> Result<Regex, String> {
    build_regex(group_name_pattern(pattern), true)
}

/// The pattern of `isMemberOfGroupNameRegex` without its delimiting slashes.
pub(crate) fn group_name_pattern(pattern: &str) -> &str {
    let p = pattern.strip_prefix('/').unwrap_or(pattern);
    p.strip_suffix('/').unwrap_or(p)
}

/// Checks literal arguments at parse time and prepares what can be prepared.
/// `args` holds the literal string arguments (`None` where not a string literal).
pub(crate) fn prepare_literals(func: Func, args: &[Option<&str>]) -> Result<Prepared, String> {
    let arg = |i: usize| args.get(i).copied().flatten();
    match func {
        Func::MemberOfGroupNameRegex => match arg(0) {
            Some(p) => Ok(Prepared::Regex(Box::new(group_name_regex(p)?))),
            None => Ok(Prepared::None),
        },
        Func::TimeNow => {
            if let Some(z) = arg(0).filter(|z| resolve_zone(z).is_none()) {
                return Err(format!("unknown time zone {z:?}"));
            }
            if let Some(p) = arg(1) {
                validate_pattern(p)?;
            }
            Ok(Prepared::None)
        }
        Func::FromStringToIso | Func::FromIsoToString => {
            if let Some(p) = arg(1) {
                validate_pattern(p)?;
            }
            Ok(Prepared::None)
        }
        _ => Ok(Prepared::None),
    }
}

/// Calls a function on evaluated arguments.
pub(crate) fn call<'x>(
    ev: &'x Evaluator<'_>,
    func: Func,
    name: &'static str,
    args: Vec<Value<'x>>,
    prepared: &'x Prepared,
) -> Result<Value<'x>, EvalErrorKind> {
    use Func::*;
    match func {
        Append | Join | Len | RemoveSpaces | Replace | ReplaceFirst | StartsWith | StringContains | StringSwitch
        | Substring | SubstringAfter | SubstringBefore | ToUpperCase | ToLowerCase => strings::call(func, name, args),
        ArrAdd | ArrRemove | ArrClear | ArrGet | ArrFlatten | ArrContains | ArrSize | ArrIsEmpty | ArrToCsv => {
            arrays::call(ev, func, name, args)
        }
        ToInt | ToNum => convert::call(func, name, args),
        IsoAlpha2 | IsoAlpha3 | IsoNumeric | IsoName => iso3166::call(func, name, args),
        MemberOfGroupName
        | MemberOfGroup
        | MemberOfAnyGroup
        | MemberOfGroupNameStartsWith
        | MemberOfGroupNameContains
        | MemberOfGroupNameRegex
        | GetFilteredGroups
        | GroupsContains
        | GroupsStartsWith
        | GroupsEndsWith
        | HasDirectoryUser
        | FindDirectoryUser
        | HasWorkdayUser
        | FindWorkdayUser => groups::call(ev, func, name, args, prepared),
        TimeNow | FromWindowsToIso | FromUnixToIso | FromStringToIso | FromIsoToWindows | FromIsoToUnix
        | FromIsoToString => time_fns::call(ev, func, name, args),
    }
}

/// The text of a string-like argument; `None` for `null`. Arrays and objects are type errors.
pub(crate) fn text_arg<'x>(name: &str, v: &Value<'x>) -> Result<Option<std::borrow::Cow<'x, str>>, EvalErrorKind> {
    if v.is_null() {
        return Ok(None);
    }
    v.as_text().map(Some).ok_or_else(|| EvalErrorKind::Type {
        op: name.into(),
        expected: "string",
        found: v.type_name(),
    })
}

/// Like [`text_arg`], but `null` is a type error too.
pub(crate) fn required_text<'x>(name: &str, v: &Value<'x>) -> Result<std::borrow::Cow<'x, str>, EvalErrorKind> {
    text_arg(name, v)?.ok_or_else(|| EvalErrorKind::Type {
        op: name.into(),
        expected: "string",
        found: "null",
    })
}

/// An integer argument (an integral decimal is accepted).
pub(crate) fn int_arg(name: &str, v: &Value<'_>) -> Result<i64, EvalErrorKind> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(*f as i64),
        other => Err(EvalErrorKind::Type {
            op: name.into(),
            expected: "integer",
            found: other.type_name(),
        }),
    }
}

pub(crate) use groups::get_groups;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_by_edit_distance() {
        let names = FUNCTIONS.iter().map(|s| s.name);
        assert_eq!(suggest("String.substrngAfter", names), Some("String.substringAfter"));
        let names = FUNCTIONS.iter().map(|s| s.name);
        assert_eq!(suggest("String.touppercase", names), Some("String.toUpperCase"));
        let names = FUNCTIONS.iter().map(|s| s.name);
        assert_eq!(suggest("frobnicate", names), None);
    }

    #[test]
    fn registry_names_are_unique_and_namespaced() {
        for (i, a) in FUNCTIONS.iter().enumerate() {
            assert!(FUNCTIONS[i + 1..].iter().all(|b| b.name != a.name), "{}", a.name);
            if let Some((ns, _)) = a.name.split_once('.') {
                assert!(NAMESPACES.contains(&ns), "{}", a.name);
            }
        }
    }

    #[test]
    fn group_name_regex_strips_delimiters_and_matches_whole_name() {
        // Reference §1.6.4: isMemberOfGroupNameRegex("/.*admin.*").
        let r = group_name_regex("/.*admin.*").map_err(|e| e.to_string());
        assert!(r.as_ref().is_ok_and(|r| r.is_match("sysadmins")));
        let r = group_name_regex("/admin/").map_err(|e| e.to_string());
        assert!(r.as_ref().is_ok_and(|r| r.is_match("admin") && !r.is_match("admins")));
    }

    #[test]
    fn regex_size_is_limited() {
        assert!(build_regex("\\w{1000}{1000}", false).is_err());
    }
}
