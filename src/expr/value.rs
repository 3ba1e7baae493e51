//! Runtime values. Values borrow from the context and the expression wherever they can, so a
//! property access never copies a profile; the final result is converted to JSON once.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Number, Value as Json};

use crate::expr::context::{AppData, GroupData, JsonMap, UserData};
use crate::expr::error::EvalErrorKind;
use crate::expr::{MAX_ARRAY_LEN, MAX_STRING_LEN};

/// A value during evaluation.
#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    List(Vec<Value<'a>>),
    Map(Vec<(Cow<'a, str>, Value<'a>)>),
    JsonArray(&'a [Json]),
    JsonObject(&'a JsonMap),
    User(&'a UserData<'a>),
    Group(&'a GroupData<'a>),
    GroupProfile(&'a GroupData<'a>),
    GroupSource(&'a GroupData<'a>),
    App(&'a AppData<'a>),
    Access(&'a [String]),
}

impl<'a> Value<'a> {
    /// Borrows a JSON value.
    pub(crate) fn from_json(j: &'a Json) -> Value<'a> {
        match j {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => number(n),
            Json::String(s) => Value::Str(Cow::Borrowed(s)),
            Json::Array(a) => Value::JsonArray(a),
            Json::Object(o) => Value::JsonObject(o),
        }
    }

    /// Takes ownership of a JSON value.
    pub(crate) fn from_owned_json(j: Json) -> Value<'static> {
        match j {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(b),
            Json::Number(n) => number(&n),
            Json::String(s) => Value::Str(Cow::Owned(s)),
            Json::Array(a) => Value::List(a.into_iter().map(Value::from_owned_json).collect()),
            Json::Object(o) => Value::Map(
                o.into_iter()
                    .map(|(k, v)| (Cow::Owned(k), Value::from_owned_json(v)))
                    .collect(),
            ),
        }
    }

    /// A borrowed string.
    pub(crate) fn str(s: &'a str) -> Value<'a> {
        Value::Str(Cow::Borrowed(s))
    }

    /// The type's name for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::List(_) | Value::JsonArray(_) | Value::Access(_) => "array",
            Value::Map(_) | Value::JsonObject(_) | Value::GroupProfile(_) | Value::GroupSource(_) => "object",
            Value::User(_) => "user",
            Value::Group(_) => "group",
            Value::App(_) => "app",
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The elements, if this is an array.
    pub(crate) fn items(&self) -> Option<Vec<Value<'a>>> {
        match self {
            Value::List(v) => Some(v.clone()),
            Value::JsonArray(a) => Some(a.iter().map(Value::from_json).collect()),
            Value::Access(s) => Some(s.iter().map(|s| Value::str(s)).collect()),
            _ => None,
        }
    }

    /// The number of elements, if this is an array.
    pub(crate) fn array_len(&self) -> Option<usize> {
        match self {
            Value::List(v) => Some(v.len()),
            Value::JsonArray(a) => Some(a.len()),
            Value::Access(s) => Some(s.len()),
            _ => None,
        }
    }

    /// The elements, if this is an array of at most [`MAX_ARRAY_LEN`] elements (checked
    /// before anything is copied).
    pub(crate) fn elements(&self) -> Result<Option<Vec<Value<'a>>>, EvalErrorKind> {
        check_array(self.array_len().unwrap_or(0))?;
        Ok(self.items())
    }

    /// A property (`x.name`). Unknown properties and properties of `null` are `null`
    /// (Okta's Expression Language reference: an attribute that was never populated is `null`).
    pub(crate) fn property(&self, name: &str) -> Value<'a> {
        match self {
            Value::JsonObject(m) => m.get(name).map_or(Value::Null, Value::from_json),
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k == name)
                .map_or(Value::Null, |(_, v)| v.clone()),
            Value::User(u) => {
                if name == "profile" {
                    return Value::JsonObject(u.profile);
                }
                match u.profile.get(name) {
                    Some(v) => Value::from_json(v),
                    None => match name {
                        "id" => Value::str(u.id),
                        "status" => Value::str(u.status),
                        _ => Value::Null,
                    },
                }
            }
            Value::Group(g) => match name {
                "id" => Value::str(g.id),
                "name" => Value::str(g.name),
                "description" => g.description.map_or(Value::Null, Value::str),
                "type" => Value::str(g.group_type),
                "objectClass" => g.object_class.map_or(Value::Null, |c| Value::List(vec![Value::str(c)])),
                "source" => Value::GroupSource(g),
                "profile" => Value::GroupProfile(g),
                _ => Value::Null,
            },
            Value::GroupProfile(g) => match name {
                "name" => Value::str(g.name),
                "description" => g.description.map_or(Value::Null, Value::str),
                _ => g
                    .profile
                    .and_then(|p| p.get(name))
                    .map_or(Value::Null, Value::from_json),
            },
            Value::GroupSource(g) => match name {
                "id" => g.source_id.map_or(Value::Null, Value::str),
                _ => Value::Null,
            },
            Value::App(a) => match name {
                "id" => Value::str(a.id),
                "clientId" => Value::str(a.client_id),
                "name" => Value::str(a.name),
                "label" => Value::str(a.label),
                "profile" => a.profile.map_or(Value::Null, Value::JsonObject),
                _ => Value::Null,
            },
            _ => Value::Null,
        }
    }

    /// Appends the value's text, as string concatenation renders it (SpEL/Java `toString`;
    /// `null` renders as `null`; Okta does not document this case).
    pub(crate) fn write_text(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Float(f) => out.push_str(&java_double(*f)),
            Value::Str(s) => out.push_str(s),
            Value::List(_) | Value::JsonArray(_) | Value::Access(_) => {
                out.push('[');
                for (i, v) in self.items().unwrap_or_default().iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write_text(out);
                }
                out.push(']');
            }
            other => match other.to_json() {
                Ok(j) => out.push_str(&j.to_string()),
                Err(_) => out.push_str("null"),
            },
        }
    }

    /// The text of a scalar, for functions taking strings (numbers and booleans convert, as
    /// SpEL's conversion service does). `None` for null, arrays and objects.
    pub(crate) fn as_text(&self) -> Option<Cow<'a, str>> {
        match self {
            Value::Str(s) => Some(s.clone()),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                let mut s = String::new();
                self.write_text(&mut s);
                Some(Cow::Owned(s))
            }
            _ => None,
        }
    }

    /// The number as `f64`, if numeric.
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// Converts to JSON (the claim value).
    pub(crate) fn to_json(&self) -> Result<Json, EvalErrorKind> {
        Ok(match self {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => {
                Json::Number(Number::from_f64(*f).ok_or_else(|| EvalErrorKind::Overflow("result".into()))?)
            }
            Value::Str(s) => Json::String(s.to_string()),
            Value::List(v) => Json::Array(v.iter().map(Value::to_json).collect::<Result<_, _>>()?),
            Value::Map(m) => Json::Object(
                m.iter()
                    .map(|(k, v)| Ok((k.to_string(), v.to_json()?)))
                    .collect::<Result<_, EvalErrorKind>>()?,
            ),
            Value::JsonArray(a) => Json::Array(a.to_vec()),
            Value::JsonObject(o) => Json::Object((*o).clone()),
            Value::User(u) => serde_json::json!({
                "id": u.id, "status": u.status, "profile": u.profile,
            }),
            Value::Group(g) => serde_json::json!({
                "id": g.id, "type": g.group_type, "profile": Value::GroupProfile(g).to_json()?,
            }),
            Value::GroupProfile(g) => {
                let mut m = g.profile.cloned().unwrap_or_default();
                m.insert("name".into(), Json::from(g.name));
                if let Some(d) = g.description {
                    m.insert("description".into(), Json::from(d));
                }
                Json::Object(m)
            }
            Value::GroupSource(g) => serde_json::json!({ "id": g.source_id }),
            Value::App(a) => serde_json::json!({
                "id": a.id, "clientId": a.client_id, "name": a.name, "label": a.label,
                "profile": a.profile,
            }),
            Value::Access(s) => Json::Array(s.iter().map(|s| Json::from(s.as_str())).collect()),
        })
    }
}

fn number(n: &Number) -> Value<'static> {
    if let Some(i) = n.as_i64() {
        Value::Int(i)
    } else {
        Value::Float(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// Formats a double the way Java's `Double.toString` does (`1.0`, `3.141`, `1.0E10`).
pub(crate) fn java_double(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let a = f.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = f.to_string();
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        if mantissa.contains('.') {
            format!("{mantissa}E{exp}")
        } else {
            format!("{mantissa}.0E{exp}")
        }
    }
}

/// SpEL equality: numbers compare by value across integer/decimal, no other coercion.
pub(crate) fn equals(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (x @ (Value::Int(_) | Value::Float(_)), y @ (Value::Int(_) | Value::Float(_))) => x.as_f64() == y.as_f64(),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Group(x), Value::Group(y)) => x.id == y.id,
        (Value::User(x), Value::User(y)) => x.id == y.id,
        (Value::App(x), Value::App(y)) => x.id == y.id,
        _ => match (a.items(), b.items()) {
            (Some(x), Some(y)) => x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| equals(p, q)),
            (None, None) if is_object(a) && is_object(b) => a.to_json().ok() == b.to_json().ok(),
            _ => false,
        },
    }
}

fn is_object(v: &Value<'_>) -> bool {
    matches!(
        v,
        Value::Map(_) | Value::JsonObject(_) | Value::GroupProfile(_) | Value::GroupSource(_)
    )
}

/// SpEL ordering: numbers by value, strings lexicographically, booleans false < true, and
/// `null` below everything. `None` when the types cannot be compared.
pub(crate) fn compare(a: &Value<'_>, b: &Value<'_>) -> Option<Ordering> {
    match (a, b) {
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        (Value::Null, _) => Some(Ordering::Less),
        (_, Value::Null) => Some(Ordering::Greater),
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (x @ (Value::Int(_) | Value::Float(_)), y @ (Value::Int(_) | Value::Float(_))) => {
            x.as_f64()?.partial_cmp(&y.as_f64()?)
        }
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Fails when a string is longer than [`MAX_STRING_LEN`].
pub(crate) fn check_string(len: usize) -> Result<(), EvalErrorKind> {
    if len > MAX_STRING_LEN {
        Err(EvalErrorKind::StringTooLong { max: MAX_STRING_LEN })
    } else {
        Ok(())
    }
}

/// Fails when an array is longer than [`MAX_ARRAY_LEN`].
pub(crate) fn check_array(len: usize) -> Result<(), EvalErrorKind> {
    if len > MAX_ARRAY_LEN {
        Err(EvalErrorKind::ArrayTooLong { max: MAX_ARRAY_LEN })
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::approx_constant)] // 3.141 is the reference's documented literal
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn java_double_formatting() {
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(3.141), "3.141");
        assert_eq!(java_double(-0.5), "-0.5");
        assert_eq!(java_double(1e10), "1.0E10");
        assert_eq!(java_double(1.5e-5), "1.5E-5");
    }

    #[test]
    fn equality_has_no_string_number_coercion() {
        // Reference §1.6.2: {1, 2, 3}.contains('one') is false (no type coercion).
        assert!(!equals(&Value::str("1"), &Value::Int(1)));
        assert!(equals(&Value::Int(10), &Value::Float(10.0)));
        assert!(equals(&Value::Null, &Value::Null));
        let j = json!([1, "a"]);
        let arr = Value::from_json(&j);
        assert!(equals(&arr, &Value::List(vec![Value::Int(1), Value::str("a")])));
    }

    #[test]
    fn ordering_puts_null_first_and_rejects_mixed_types() {
        assert_eq!(compare(&Value::Null, &Value::Int(0)), Some(Ordering::Less));
        assert_eq!(compare(&Value::str("a"), &Value::str("b")), Some(Ordering::Less));
        assert_eq!(compare(&Value::str("a"), &Value::Int(1)), None);
    }

    #[test]
    fn json_round_trip_and_missing_properties() {
        let j = json!({"a": {"b": [1, 2.5, "x", null, true]}});
        let v = Value::from_json(&j);
        let inner = v.property("a").property("b");
        assert_eq!(inner.to_json().ok(), Some(json!([1, 2.5, "x", null, true])));
        assert!(v.property("missing").property("deeper").is_null());
        let owned = Value::from_owned_json(j.clone());
        assert_eq!(owned.to_json().ok(), Some(j));
    }
}
