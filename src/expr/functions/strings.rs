//! `String.*` and the deprecated global string functions (Okta's Expression Language reference).
//!
//! Decisions for what Okta's documentation leaves open (our choices): a `null` input gives
//! `null` (the predicates `startsWith`/`stringContains` give `false`); matching in
//! `replace`/`replaceFirst` is literal; `removeSpaces` removes U+0020 only; `substringAfter`
//! of a missing separator is `""` and `substringBefore` is the input; indexes count Unicode
//! characters and out-of-range indexes are errors; `join` skips `null` parts and spreads arrays.

use std::borrow::Cow;

use crate::expr::error::EvalErrorKind;
use crate::expr::functions::{Func, int_arg, required_text, text_arg};
use crate::expr::value::{Value, check_string};

type R<'x> = Result<Value<'x>, EvalErrorKind>;

fn owned<'x>(s: String) -> R<'x> {
    check_string(s.len())?;
    Ok(Value::Str(Cow::Owned(s)))
}

/// Keeps a borrowed string borrowed when slicing it.
fn slice<'x>(s: Cow<'x, str>, range: std::ops::Range<usize>) -> Value<'x> {
    Value::Str(match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.get(range).unwrap_or("")),
        Cow::Owned(o) => Cow::Owned(o.get(range).unwrap_or("").to_owned()),
    })
}

pub(super) fn call<'x>(func: Func, name: &'static str, args: Vec<Value<'x>>) -> R<'x> {
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    // The input; null in, null out (predicates: false).
    let Some(input) = text_arg(name, arg(0))? else {
        return Ok(match func {
            Func::StartsWith | Func::StringContains => Value::Bool(false),
            Func::StringSwitch => arg(1).clone(),
            Func::Join => join(name, &args)?,
            _ => Value::Null,
        });
    };
    match func {
        Func::Append => {
            let mut s = input.into_owned();
            s.push_str(&required_text(name, arg(1))?);
            owned(s)
        }
        Func::Join => join(name, &args),
        Func::Len => Ok(Value::Int(i64::try_from(input.chars().count()).unwrap_or(i64::MAX))),
        Func::RemoveSpaces => Ok(Value::Str(Cow::Owned(input.replace(' ', "")))),
        Func::Replace | Func::ReplaceFirst => {
            let from = required_text(name, arg(1))?;
            let to = required_text(name, arg(2))?;
            let count = if func == Func::Replace {
                if from.is_empty() {
                    input.chars().count() + 1
                } else {
                    input.matches(&*from).count()
                }
            } else {
                usize::from(input.contains(&*from))
            };
            let grow = count.saturating_mul(to.len());
            check_string(input.len().saturating_add(grow))?;
            let out = if func == Func::Replace {
                input.replace(&*from, &to)
            } else {
                input.replacen(&*from, &to, 1)
            };
            owned(out)
        }
        Func::StartsWith => Ok(Value::Bool(input.starts_with(&*required_text(name, arg(1))?))),
        Func::StringContains => Ok(Value::Bool(input.contains(&*required_text(name, arg(1))?))),
        Func::StringSwitch => {
            for pair in args.get(2..).unwrap_or_default().chunks(2) {
                let [key, value] = pair else { continue };
                if input.contains(&*required_text(name, key)?) {
                    return Ok(value.clone());
                }
            }
            Ok(arg(1).clone())
        }
        Func::Substring => {
            let start = int_arg(name, arg(1))?;
            let end = int_arg(name, arg(2))?;
            let len = input.chars().count();
            let in_range = |i: i64| usize::try_from(i).ok().filter(|i| *i <= len);
            let (Some(s), Some(e)) = (in_range(start), in_range(end)) else {
                return Err(EvalErrorKind::InvalidValue {
                    op: name.into(),
                    reason: format!("index out of range: {start}..{end} of a {len}-character string"),
                });
            };
            if s > e {
                return Err(EvalErrorKind::InvalidValue {
                    op: name.into(),
                    reason: format!("start {s} is after end {e}"),
                });
            }
            let byte = |i: usize| input.char_indices().nth(i).map_or(input.len(), |(b, _)| b);
            let (bs, be) = (byte(s), byte(e));
            Ok(slice(input, bs..be))
        }
        Func::SubstringAfter => {
            let sep = required_text(name, arg(1))?;
            Ok(match input.find(&*sep) {
                Some(i) => {
                    let from = i + sep.len();
                    let end = input.len();
                    slice(input, from..end)
                }
                None => Value::str(""),
            })
        }
        Func::SubstringBefore => {
            let sep = required_text(name, arg(1))?;
            Ok(match input.find(&*sep) {
                Some(i) => slice(input, 0..i),
                None => Value::Str(input),
            })
        }
        Func::ToUpperCase => owned(input.to_uppercase()),
        Func::ToLowerCase => owned(input.to_lowercase()),
        _ => Ok(Value::Null),
    }
}

/// `String.join(separator, parts…)`: arrays among the parts are spread, `null`s skipped.
fn join<'x>(name: &str, args: &[Value<'x>]) -> R<'x> {
    let sep = required_text(name, args.first().unwrap_or(&Value::Null))?;
    let mut out = String::new();
    let mut first = true;
    for part in args.get(1..).unwrap_or_default() {
        let items = match part.elements()? {
            Some(items) => items,
            None => vec![part.clone()],
        };
        for item in items.iter().filter(|v| !v.is_null()) {
            if !first {
                out.push_str(&sep);
            }
            first = false;
            out.push_str(&required_text(name, item)?);
            check_string(out.len())?;
        }
    }
    owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value<'_> {
        Value::str(v)
    }

    fn run(func: Func, args: Vec<Value<'_>>) -> Result<serde_json::Value, EvalErrorKind> {
        call(func, "test", args)?.to_json()
    }

    fn text(func: Func, args: Vec<Value<'_>>) -> String {
        match run(func, args) {
            Ok(serde_json::Value::String(s)) => s,
            other => panic!("expected a string, got {other:?}"),
        }
    }

    #[test]
    fn documented_examples() {
        // Reference §1.6.1, documented input → output pairs.
        assert_eq!(text(Func::Append, vec![s("This is"), s(" a test")]), "This is a test");
        assert_eq!(
            text(Func::Join, vec![s(","), s("This"), s("is"), s("a"), s("test")]),
            "This,is,a,test"
        );
        assert_eq!(
            text(Func::Join, vec![s(""), s("This"), s("is"), s("a"), s("test")]),
            "Thisisatest"
        );
        assert_eq!(run(Func::Len, vec![s("This")]), Ok(4.into()));
        assert_eq!(text(Func::RemoveSpaces, vec![s("This is a test")]), "Thisisatest");
        assert_eq!(
            text(Func::Replace, vec![s("This is a test"), s("is"), s("at")]),
            "That at a test"
        );
        assert_eq!(
            text(Func::ReplaceFirst, vec![s("This is a test"), s("is"), s("at")]),
            "That is a test"
        );
        assert_eq!(run(Func::StartsWith, vec![s("Kiss"), s("K")]), Ok(true.into()));
        assert_eq!(
            run(Func::StringContains, vec![s("This is a test"), s("test")]),
            Ok(true.into())
        );
        assert_eq!(
            run(Func::StringContains, vec![s("This is a test"), s("doesn'tExist")]),
            Ok(false.into())
        );
        assert_eq!(
            text(Func::Substring, vec![s("This is a test"), Value::Int(2), Value::Int(9)]),
            "is is a"
        );
        assert_eq!(
            text(Func::Substring, vec![s("Alexander"), Value::Int(1), Value::Int(4)]),
            "lex"
        );
        assert_eq!(
            text(Func::Substring, vec![s("Churchill"), Value::Int(0), Value::Int(6)]),
            "Church"
        );
        assert_eq!(text(Func::SubstringAfter, vec![s("abc@okta.com"), s("@")]), "okta.com");
        assert_eq!(text(Func::SubstringBefore, vec![s("abc@okta.com"), s("@")]), "abc");
        assert_eq!(
            text(Func::SubstringAfter, vec![s("john.doe@okta.com"), s(".")]),
            "doe@okta.com"
        );
        assert_eq!(text(Func::ToUpperCase, vec![s("This")]), "THIS");
        assert_eq!(text(Func::ToLowerCase, vec![s("ThiS")]), "this");
    }

    #[test]
    fn string_switch_examples() {
        // Reference §1.6.1: substring keys, argument order, first match wins.
        let sw = |args: &[&str]| text(Func::StringSwitch, args.iter().map(|a| s(a)).collect());
        assert_eq!(sw(&["This is a test", "default", "key1", "value1"]), "default");
        assert_eq!(sw(&["This is a test", "default", "test", "value1"]), "value1");
        assert_eq!(
            sw(&[
                "First match wins",
                "default",
                "absent",
                "value1",
                "wins",
                "value2",
                "match",
                "value3"
            ]),
            "value2"
        );
        assert_eq!(sw(&["Substrings count", "default", "ring", "value1"]), "value1");
    }

    #[test]
    fn undocumented_edges_follow_appendix_b() {
        assert_eq!(run(Func::SubstringAfter, vec![s("abc"), s("@")]), Ok("".into()));
        assert_eq!(run(Func::SubstringBefore, vec![s("abc"), s("@")]), Ok("abc".into()));
        assert_eq!(run(Func::ToUpperCase, vec![Value::Null]), Ok(serde_json::Value::Null));
        assert_eq!(run(Func::StartsWith, vec![Value::Null, s("a")]), Ok(false.into()));
        assert_eq!(text(Func::Replace, vec![s("a.b.c"), s("."), s("-")]), "a-b-c");
        assert_eq!(text(Func::RemoveSpaces, vec![s("a b\tc")]), "ab\tc");
        assert!(run(Func::Substring, vec![s("abc"), Value::Int(1), Value::Int(9)]).is_err());
        assert!(run(Func::Substring, vec![s("abc"), Value::Int(2), Value::Int(1)]).is_err());
        assert_eq!(
            text(Func::Substring, vec![s("héllo"), Value::Int(1), Value::Int(2)]),
            "é"
        );
        let parts = Value::List(vec![s("a"), Value::Null, s("b")]);
        assert_eq!(text(Func::Join, vec![s(" "), parts]), "a b");
        assert!(run(Func::Append, vec![Value::List(vec![]), s("x")]).is_err());
    }

    #[test]
    fn replace_cannot_blow_up() {
        let big = "x".repeat(1000);
        let r = call(Func::Replace, "String.replace", vec![s(&big), s(""), s(&big)]);
        assert!(matches!(r, Err(EvalErrorKind::StringTooLong { .. })));
    }
}
