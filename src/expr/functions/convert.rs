//! `Convert.toInt` and `Convert.toNum` (Okta's Expression Language reference).
//!
//! `toInt` rounds half up (Java `Math.round`) and wraps to a 32-bit integer, as the documented
//! Identity Engine equivalents do (`2147483647.7` → `-2147483648`, `'-2147483649'` →
//! `2147483647`). Non-numeric strings are errors; `null` gives `null`.

use crate::expr::error::EvalErrorKind;
use crate::expr::functions::Func;
use crate::expr::value::Value;

/// Parses a decimal number the way `Double.parseDouble` does for plain decimals
/// (surrounding whitespace allowed; no hex, no `NaN`/`Infinity`).
fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let ok = !body.is_empty()
        && body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'));
    if !ok {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Java `(int) Math.round(x)`.
fn round_to_i32(x: f64) -> i64 {
    let long = (x + 0.5).floor() as i64; // saturating, like Math.round(double)
    i64::from(long as i32) // wraps, like a (int) cast of a long
}

pub(super) fn call<'x>(func: Func, name: &'static str, args: Vec<Value<'x>>) -> Result<Value<'x>, EvalErrorKind> {
    let v = args.into_iter().next().unwrap_or(Value::Null);
    let bad = |s: &str| EvalErrorKind::InvalidValue {
        op: name.into(),
        reason: format!("{s:?} is not a number"),
    };
    let n: f64 = match &v {
        Value::Null => return Ok(Value::Null),
        Value::Int(i) if func == Func::ToInt => return Ok(Value::Int(i64::from(*i as i32))),
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Str(s) if func == Func::ToInt => {
            if let Ok(i) = s.trim().parse::<i64>() {
                return Ok(Value::Int(i64::from(i as i32)));
            }
            parse_number(s).ok_or_else(|| bad(s))?
        }
        Value::Str(s) => parse_number(s).ok_or_else(|| bad(s))?,
        other => {
            return Err(EvalErrorKind::Type {
                op: name.into(),
                expected: "number or numeric string",
                found: other.type_name(),
            });
        }
    };
    Ok(match func {
        Func::ToInt => Value::Int(round_to_i32(n)),
        _ => Value::Float(n),
    })
}

#[cfg(test)]
#[allow(clippy::approx_constant)] // 3.141 is the reference's documented literal
mod tests {
    use super::*;
    use serde_json::json;

    fn run(func: Func, v: Value<'_>) -> Result<serde_json::Value, EvalErrorKind> {
        call(func, "test", vec![v])?.to_json()
    }

    #[test]
    fn documented_examples() {
        // Reference §1.6.3.
        assert_eq!(run(Func::ToInt, Value::str("1234")), Ok(json!(1234)));
        assert_eq!(run(Func::ToInt, Value::Float(123.4)), Ok(json!(123)));
        assert_eq!(run(Func::ToInt, Value::Float(123.6)), Ok(json!(124)));
        assert_eq!(run(Func::ToNum, Value::str("3.141")), Ok(json!(3.141)));
    }

    #[test]
    fn identity_engine_edge_cases() {
        // Reference §1.6.3: IE edge cases applied to Convert.toInt.
        assert_eq!(run(Func::ToInt, Value::Float(-1.6)), Ok(json!(-2)));
        assert_eq!(run(Func::ToInt, Value::Float(1.1)), Ok(json!(1)));
        assert_eq!(run(Func::ToInt, Value::Float(2147483647.7)), Ok(json!(-2147483648)));
        assert_eq!(run(Func::ToInt, Value::str("-2147483649")), Ok(json!(2147483647)));
        assert!(run(Func::ToInt, Value::str("123This is a test")).is_err());
        assert_eq!(run(Func::ToInt, Value::Null), Ok(json!(null)));
        assert!(run(Func::ToNum, Value::str("NaN")).is_err());
        assert!(run(Func::ToNum, Value::Bool(true)).is_err());
        assert_eq!(run(Func::ToNum, Value::Int(2)), Ok(json!(2.0)));
    }
}
