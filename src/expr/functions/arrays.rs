//! `Arrays.*` (Okta's Expression Language reference).
//!
//! Every array argument may also be a comma-separated string, split on `,` with each element
//! trimmed; when every element is a number the elements become numbers (so
//! `Arrays.flatten('10, 20')` is `{10, 20}`). `null` counts as an empty array, which gives the
//! documented `Arrays.size(NULL)` → 0 and `Arrays.isEmpty(NULL)` → true. `remove` removes every
//! occurrence; `get` out of range is `null`.

use std::borrow::Cow;

use crate::expr::error::EvalErrorKind;
use crate::expr::eval::{Evaluator, list};
use crate::expr::functions::{Func, int_arg};
use crate::expr::value::{Value, check_array, check_string, equals};

type R<'x> = Result<Value<'x>, EvalErrorKind>;

/// The elements of an array argument.
fn array<'x>(name: &str, v: &Value<'x>) -> Result<Vec<Value<'x>>, EvalErrorKind> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Str(s) => Ok(split_csv(s)),
        other => other.elements()?.ok_or_else(|| EvalErrorKind::Type {
            op: name.into(),
            expected: "array or comma-separated string",
            found: other.type_name(),
        }),
    }
}

/// `"10, 20"` → `{10, 20}`; `"a, b"` → `{"a", "b"}`; `""` → `{}`.
fn split_csv<'x>(s: &Cow<'x, str>) -> Vec<Value<'x>> {
    if s.trim().is_empty() {
        return Vec::new();
    }
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let numbers: Option<Vec<Value<'x>>> = parts
        .iter()
        .map(|p| {
            p.parse::<i64>()
                .map(Value::Int)
                .ok()
                .or_else(|| p.parse::<f64>().ok().filter(|f| f.is_finite()).map(Value::Float))
        })
        .collect();
    numbers.unwrap_or_else(|| {
        parts
            .into_iter()
            .map(|p| Value::Str(Cow::Owned(p.to_owned())))
            .collect()
    })
}

pub(super) fn call<'x>(ev: &Evaluator<'_>, func: Func, name: &'static str, args: Vec<Value<'x>>) -> R<'x> {
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    if func == Func::ArrFlatten {
        return flatten(ev, name, &args);
    }
    let mut items = array(name, arg(0))?;
    ev.charge(items.len())?;
    match func {
        Func::ArrAdd => {
            items.push(arg(1).clone());
            list(items)
        }
        Func::ArrRemove => {
            let target = arg(1);
            items.retain(|v| !equals(v, target));
            list(items)
        }
        Func::ArrClear => Ok(Value::List(Vec::new())),
        Func::ArrGet => {
            let i = int_arg(name, arg(1))?;
            let i = usize::try_from(i).ok().filter(|i| *i < items.len());
            Ok(i.map_or(Value::Null, |i| items.swap_remove(i)))
        }
        Func::ArrContains => Ok(Value::Bool(items.iter().any(|v| equals(v, arg(1))))),
        Func::ArrSize => Ok(Value::Int(i64::try_from(items.len()).unwrap_or(i64::MAX))),
        Func::ArrIsEmpty => Ok(Value::Bool(items.is_empty())),
        Func::ArrToCsv => {
            let mut out = String::new();
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                v.write_text(&mut out);
                check_string(out.len())?;
            }
            Ok(Value::Str(Cow::Owned(out)))
        }
        _ => Ok(Value::Null),
    }
}

/// `Arrays.flatten(values…)`: nested arrays (and comma-separated strings) are spread, at any
/// depth, without recursion.
fn flatten<'x>(ev: &Evaluator<'_>, name: &str, args: &[Value<'x>]) -> R<'x> {
    let mut out = Vec::new();
    let mut stack: Vec<Value<'x>> = args.iter().rev().cloned().collect();
    while let Some(v) = stack.pop() {
        ev.charge(1)?;
        match v {
            Value::Null => {}
            Value::Str(_) | Value::List(_) | Value::JsonArray(_) | Value::Access(_) => {
                let items = array(name, &v)?;
                check_array(stack.len().saturating_add(items.len()))?;
                stack.extend(items.into_iter().rev());
            }
            other => {
                out.push(other);
                check_array(out.len())?;
            }
        }
    }
    Ok(Value::List(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::context::Context;
    use serde_json::json;

    fn run(func: Func, args: Vec<Value<'_>>) -> Result<serde_json::Value, EvalErrorKind> {
        let ctx = Context::new(time::OffsetDateTime::UNIX_EPOCH);
        let budget = crate::expr::eval::Budget::new(crate::expr::MAX_EVAL_STEPS);
        let ev = Evaluator::new(&ctx, &budget);
        call(&ev, func, "test", args)?.to_json()
    }

    fn ints(v: &[i64]) -> Value<'static> {
        Value::List(v.iter().map(|i| Value::Int(*i)).collect())
    }

    #[test]
    fn documented_examples() {
        // Reference §1.6.2, documented input → output pairs.
        assert_eq!(
            run(Func::ArrAdd, vec![ints(&[10, 20, 30]), Value::Int(40)]),
            Ok(json!([10, 20, 30, 40]))
        );
        assert_eq!(
            run(Func::ArrRemove, vec![ints(&[10, 20, 30]), Value::Int(20)]),
            Ok(json!([10, 30]))
        );
        assert_eq!(
            run(Func::ArrRemove, vec![ints(&[2, 3]), Value::Int(1)]),
            Ok(json!([2, 3]))
        );
        assert_eq!(run(Func::ArrClear, vec![ints(&[10, 20])]), Ok(json!([])));
        assert_eq!(run(Func::ArrGet, vec![ints(&[0, 1, 2]), Value::Int(0)]), Ok(json!(0)));
        assert_eq!(
            run(Func::ArrFlatten, vec![Value::Int(10), ints(&[20, 30]), Value::Int(40)]),
            Ok(json!([10, 20, 30, 40]))
        );
        assert_eq!(
            run(Func::ArrFlatten, vec![Value::str("10, 20, 30, 40")]),
            Ok(json!([10, 20, 30, 40]))
        );
        assert_eq!(
            run(Func::ArrContains, vec![ints(&[10, 20, 30]), Value::Int(10)]),
            Ok(json!(true))
        );
        assert_eq!(
            run(Func::ArrContains, vec![ints(&[10, 20, 30]), Value::Int(50)]),
            Ok(json!(false))
        );
        assert_eq!(
            run(Func::ArrContains, vec![ints(&[1, 2, 3]), Value::str("one")]),
            Ok(json!(false))
        );
        assert_eq!(run(Func::ArrSize, vec![ints(&[10, 20, 30])]), Ok(json!(3)));
        assert_eq!(run(Func::ArrSize, vec![Value::Null]), Ok(json!(0)));
        assert_eq!(run(Func::ArrIsEmpty, vec![ints(&[10, 20])]), Ok(json!(false)));
        assert_eq!(run(Func::ArrIsEmpty, vec![Value::Null]), Ok(json!(true)));
        let words = Value::List(["This", "is", " a ", "test"].iter().map(|s| Value::str(s)).collect());
        assert_eq!(run(Func::ArrToCsv, vec![words]), Ok(json!("This,is, a ,test")));
    }

    #[test]
    fn add_keeps_duplicates_and_remove_removes_all() {
        // Reference §1.6.2 (IE: duplicates kept) and Appendix B (remove every occurrence).
        let l = Value::List(vec![Value::str("one"), Value::str("two")]);
        assert_eq!(
            run(Func::ArrAdd, vec![l, Value::str("two")]),
            Ok(json!(["one", "two", "two"]))
        );
        assert_eq!(
            run(Func::ArrRemove, vec![ints(&[1, 2, 1]), Value::Int(1)]),
            Ok(json!([2]))
        );
    }

    #[test]
    fn comma_separated_strings_are_arrays() {
        assert_eq!(run(Func::ArrSize, vec![Value::str("a, b,c")]), Ok(json!(3)));
        assert_eq!(
            run(Func::ArrContains, vec![Value::str("a, b"), Value::str("b")]),
            Ok(json!(true))
        );
        assert_eq!(run(Func::ArrSize, vec![Value::str("")]), Ok(json!(0)));
        assert_eq!(run(Func::ArrGet, vec![ints(&[1]), Value::Int(3)]), Ok(json!(null)));
        assert!(run(Func::ArrSize, vec![Value::Int(3)]).is_err());
    }

    #[test]
    fn flatten_is_deep_and_bounded() {
        let nested = Value::List(vec![Value::List(vec![Value::List(vec![Value::Int(1)])]), Value::Int(2)]);
        assert_eq!(run(Func::ArrFlatten, vec![nested]), Ok(json!([1, 2])));
        let big = Value::List(vec![Value::Int(0); 9_000]);
        let r = run(Func::ArrFlatten, vec![big.clone(), big]);
        assert!(matches!(r, Err(EvalErrorKind::ArrayTooLong { .. })));
    }
}
