//! Filter expressions over events, in the SCIM syntax of the System Log API's `filter` parameter
//! (RFC 7644 §3.4.2.2): `eventType eq "user.session.start" and outcome.result eq "FAILURE"`.
//!
//! The grammar, loosest binding first:
//!
//! ```text
//! filter     = or-expr
//! or-expr    = and-expr *( "or" and-expr )
//! and-expr   = unary *( "and" unary )
//! unary      = "not" "(" or-expr ")" / "(" or-expr ")" / comparison
//! comparison = attribute "pr" / attribute operator string
//! operator   = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "ge" / "lt" / "le"
//! string     = a JSON string: double quotes, with `\"`, `\\`, `\n`, `\uXXXX`, … escapes
//! ```
//!
//! Attribute names are case-sensitive, as in Okta; the keywords `and`, `or`, `not` and the
//! operators are not. See [`EventFilter`] for the attributes and what each operator means.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use super::EntityRef;
use super::Event;
use super::fields::EventFields;

/// The operators, as listed in a syntax error.
const OPERATORS: &str = "eq,ne,co,sw,ew,pr,gt,ge,lt,le";

/// How deeply parentheses and `not` may nest.
const MAX_DEPTH: usize = 32;

/// A parsed filter expression over [`Event`]s, as the System Log API's `filter` parameter takes
/// it: comparisons of an attribute with a double-quoted string, combined with `and`, `or`, `not`
/// and parentheses (`and` binds tighter than `or`).
///
/// Attributes (case-sensitive):
///
/// | Attribute | Value compared |
/// |---|---|
/// | `uuid`, `eventType`, `displayMessage` | the event's field |
/// | `severity` | `INFO`, `WARN` or `ERROR` |
/// | `outcome.result`, `outcome.reason` | `SUCCESS` or `FAILURE`; the reason in words |
/// | `actor.id`, `actor.type`, `actor.alternateId`, `actor.displayName` | the actor's field |
/// | `client.id` | the requesting client's `client_id` |
/// | `target.id`, `target.type`, `target.alternateId`, `target.displayName` | any target's field |
/// | `debugContext.debugData.<key>` | the detail under `<key>` (numbers and booleans as their JSON text; an array matches when one of its items does; a key with dots that is not itself a key walks nested objects) |
///
/// Operators: `eq` (equal), `ne` (not `eq`: also true when the attribute is absent), `co`
/// (contains), `sw` (starts with), `ew` (ends with), `pr` (present, no value), and on
/// `severity` only, `gt`, `ge`, `lt`, `le` in the order `DEBUG` < `INFO` < `WARN` < `ERROR`.
/// Comparisons are case-sensitive. An attribute with several values (`target.*`, arrays in
/// `debugData`) satisfies a comparison when one of its values does.
///
/// ```
/// use authserver::event::{Event, EventFilter};
/// use time::OffsetDateTime;
///
/// let filter: EventFilter = r#"eventType sw "app.oauth2" and (outcome.result eq "FAILURE" or severity ge "WARN")"#
///     .parse()
///     .unwrap();
/// let refused = Event::failure("app.oauth2.as.token.grant", "refused", "no_matching_policy", "…", OffsetDateTime::now_utc());
/// assert!(filter.matches(&refused));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFilter {
    source: String,
    expr: Expr,
}

/// Why a filter expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// The expression is not well formed: an unknown operator, an unterminated string, a missing
    /// parenthesis, trailing text…
    #[error("{message}")]
    Syntax {
        /// What is wrong, ending with where (`… at position 16`).
        message: String,
        /// Where, in characters from the start of the expression (0-based).
        position: usize,
    },
    /// The attribute is not one a filter can name.
    #[error("field is not valid: {0}")]
    UnknownAttribute(String),
    /// The operator cannot be used with this attribute (ordering operators on anything but
    /// `severity`).
    #[error(
        "The supplied combination of operator and field is not currently supported. Operator: {operator}, Field: {attribute}"
    )]
    UnsupportedOperator {
        /// The operator, as written.
        operator: String,
        /// The attribute.
        attribute: String,
    },
}

impl EventFilter {
    /// Parses `source`.
    pub fn parse(source: &str) -> Result<Self, FilterError> {
        let mut parser = Parser {
            src: source,
            pos: 0,
            depth: 0,
            semantic: None,
        };
        let expr = parser.or_expr()?;
        parser.skip_ws();
        if parser.pos < source.len() {
            return Err(parser.unexpected());
        }
        match parser.semantic {
            Some(error) => Err(error),
            None => Ok(Self {
                source: source.to_owned(),
                expr,
            }),
        }
    }

    /// Whether `event` satisfies the expression.
    pub fn matches(&self, event: &Event) -> bool {
        self.expr.matches(event)
    }

    /// [`matches`](Self::matches) for any event's fields, such as a packed event read in place.
    pub(super) fn matches_fields(&self, event: &impl EventFields) -> bool {
        self.expr.matches(event)
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl FromStr for EventFilter {
    type Err = FilterError;

    fn from_str(source: &str) -> Result<Self, FilterError> {
        Self::parse(source)
    }
}

impl fmt::Display for EventFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    Compare {
        attribute: Attribute,
        operator: Operator,
        value: String,
    },
    /// Every one holds (a chain of `and`s, kept flat so that long chains do not nest deeply).
    All(Vec<Expr>),
    /// One holds.
    Any(Vec<Expr>),
    Not(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Pr,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Operator {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "co" => Self::Co,
            "sw" => Self::Sw,
            "ew" => Self::Ew,
            "pr" => Self::Pr,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }

    fn is_ordering(self) -> bool {
        matches!(self, Self::Gt | Self::Ge | Self::Lt | Self::Le)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntityField {
    Id,
    Type,
    AlternateId,
    DisplayName,
}

impl EntityField {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "type" => Self::Type,
            "alternateId" => Self::AlternateId,
            "displayName" => Self::DisplayName,
            _ => return None,
        })
    }

    fn of<'a>(self, entity: EntityRef<'a>) -> Option<&'a str> {
        match self {
            Self::Id => Some(entity.id),
            Self::Type => Some(entity.kind),
            Self::AlternateId => entity.alternate_id,
            Self::DisplayName => entity.display_name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Attribute {
    Uuid,
    EventType,
    Severity,
    DisplayMessage,
    OutcomeResult,
    OutcomeReason,
    Actor(EntityField),
    ClientId,
    Target(EntityField),
    DebugData(String),
}

impl Attribute {
    fn parse(name: &str) -> Option<Self> {
        if let Some(key) = name.strip_prefix("debugContext.debugData.") {
            return (!key.is_empty()).then(|| Self::DebugData(key.to_owned()));
        }
        if let Some(field) = name.strip_prefix("actor.") {
            return EntityField::parse(field).map(Self::Actor);
        }
        if let Some(field) = name.strip_prefix("target.") {
            return EntityField::parse(field).map(Self::Target);
        }
        Some(match name {
            "uuid" => Self::Uuid,
            "eventType" => Self::EventType,
            "severity" => Self::Severity,
            "displayMessage" => Self::DisplayMessage,
            "outcome.result" => Self::OutcomeResult,
            "outcome.reason" => Self::OutcomeReason,
            "client.id" => Self::ClientId,
            _ => return None,
        })
    }

    /// Whether one of the attribute's values in `event` passes `test`.
    fn any(&self, event: &impl EventFields, test: &mut dyn FnMut(&str) -> bool) -> bool {
        match self {
            Self::Uuid => test(event.uuid()),
            Self::EventType => test(event.event_type()),
            Self::Severity => test(event.severity().as_str()),
            Self::DisplayMessage => test(event.display_message()),
            Self::OutcomeResult => test(event.result().as_str()),
            Self::OutcomeReason => event.reason().is_some_and(test),
            Self::Actor(field) => event.actor().and_then(|actor| field.of(actor)).is_some_and(test),
            Self::ClientId => event.client_id().is_some_and(test),
            Self::Target(field) => event.targets().filter_map(|target| field.of(target)).any(test),
            Self::DebugData(key) => debug_value(event.debug_data(), key).is_some_and(|value| any_scalar(value, test)),
        }
    }
}

/// The detail under `key`, or, when there is none and `key` has dots, the value at that path
/// through nested objects.
fn debug_value<'a>(data: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    if let Some(value) = data.get(key) {
        return Some(value);
    }
    let mut segments = key.split('.');
    let mut value = data.get(segments.next()?)?;
    for segment in segments {
        value = value.as_object()?.get(segment)?;
    }
    Some(value)
}

/// Whether `value` (a string, number or boolean, or an array with one such item) passes `test`.
fn any_scalar(value: &Value, test: &mut dyn FnMut(&str) -> bool) -> bool {
    match value {
        Value::String(text) => test(text),
        Value::Number(number) => test(&number.to_string()),
        Value::Bool(flag) => test(if *flag { "true" } else { "false" }),
        Value::Array(items) => items.iter().any(|item| !item.is_array() && any_scalar(item, test)),
        Value::Null | Value::Object(_) => false,
    }
}

/// The rank of a severity name, in Okta's order `DEBUG` < `INFO` < `WARN` < `ERROR`.
fn severity_rank(name: &str) -> Option<u8> {
    ["DEBUG", "INFO", "WARN", "ERROR"]
        .iter()
        .position(|known| *known == name)
        .and_then(|rank| u8::try_from(rank).ok())
}

impl Expr {
    fn matches(&self, event: &impl EventFields) -> bool {
        match self {
            Expr::All(all) => all.iter().all(|expr| expr.matches(event)),
            Expr::Any(any) => any.iter().any(|expr| expr.matches(event)),
            Expr::Not(inner) => !inner.matches(event),
            Expr::Compare {
                attribute,
                operator,
                value,
            } => {
                let value = value.as_str();
                match operator {
                    Operator::Eq => attribute.any(event, &mut |v| v == value),
                    Operator::Ne => !attribute.any(event, &mut |v| v == value),
                    Operator::Co => attribute.any(event, &mut |v| v.contains(value)),
                    Operator::Sw => attribute.any(event, &mut |v| v.starts_with(value)),
                    Operator::Ew => attribute.any(event, &mut |v| v.ends_with(value)),
                    Operator::Pr => attribute.any(event, &mut |_| true),
                    Operator::Gt | Operator::Ge | Operator::Lt | Operator::Le => {
                        let Some(wanted) = severity_rank(value) else {
                            return false;
                        };
                        attribute.any(event, &mut |v| {
                            severity_rank(v).is_some_and(|rank| match operator {
                                Operator::Gt => rank > wanted,
                                Operator::Ge => rank >= wanted,
                                Operator::Lt => rank < wanted,
                                _ => rank <= wanted,
                            })
                        })
                    }
                }
            }
        }
    }
}

/// A recursive-descent parser over the expression's text; `pos` is a byte offset.
struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
    /// The first attribute or operator-combination error, reported once the whole expression
    /// has parsed (syntax errors come first).
    semantic: Option<FilterError>,
}

fn is_attribute_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '$')
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    /// The character position of byte offset `at`.
    fn position(&self, at: usize) -> usize {
        self.src[..at].chars().count()
    }

    fn syntax(&self, at: usize, message: impl fmt::Display) -> FilterError {
        let position = self.position(at);
        FilterError::Syntax {
            message: format!("{message} at position {position}"),
            position,
        }
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// The run of attribute characters at the current position (possibly empty).
    fn word(&self) -> &'a str {
        let rest = self.rest();
        let end = rest.find(|c: char| !is_attribute_char(c)).unwrap_or(rest.len());
        &rest[..end]
    }

    /// An error for whatever is at the current position.
    fn unexpected(&self) -> FilterError {
        let word = self.word();
        match self.rest().chars().next() {
            None => self.syntax(self.pos, "Unexpected end of filter"),
            Some(_) if !word.is_empty() => self.syntax(self.pos, format_args!("Unexpected '{word}'")),
            Some(c) => self.syntax(self.pos, format_args!("Unexpected '{c}'")),
        }
    }

    /// Consumes `keyword` (case-insensitive) if it is the next word.
    fn keyword(&mut self, keyword: &str) -> bool {
        self.skip_ws();
        let word = self.word();
        if word.eq_ignore_ascii_case(keyword) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn or_expr(&mut self) -> Result<Expr, FilterError> {
        let mut any = vec![self.and_expr()?];
        while self.keyword("or") {
            any.push(self.and_expr()?);
        }
        Ok(if any.len() == 1 { any.remove(0) } else { Expr::Any(any) })
    }

    fn and_expr(&mut self) -> Result<Expr, FilterError> {
        let mut all = vec![self.unary()?];
        while self.keyword("and") {
            all.push(self.unary()?);
        }
        Ok(if all.len() == 1 { all.remove(0) } else { Expr::All(all) })
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        self.skip_ws();
        if self.rest().starts_with('(') {
            return self.group();
        }
        let word = self.word();
        if word.eq_ignore_ascii_case("not") && self.src[self.pos + word.len()..].trim_start().starts_with('(') {
            self.pos += word.len();
            self.skip_ws();
            return Ok(Expr::Not(Box::new(self.group()?)));
        }
        self.comparison()
    }

    /// `( or-expr )`, at an opening parenthesis.
    fn group(&mut self) -> Result<Expr, FilterError> {
        if self.depth == MAX_DEPTH {
            return Err(self.syntax(self.pos, "Filter nested too deeply"));
        }
        self.pos += 1;
        self.depth += 1;
        let inner = self.or_expr()?;
        self.depth -= 1;
        self.skip_ws();
        if !self.rest().starts_with(')') {
            return Err(match self.rest().chars().next() {
                None => self.syntax(self.pos, "Expected ')' but the filter ended"),
                Some(_) => self.syntax(self.pos, "Expected ')'"),
            });
        }
        self.pos += 1;
        Ok(inner)
    }

    fn comparison(&mut self) -> Result<Expr, FilterError> {
        let name = self.word();
        if name.is_empty() {
            return Err(match self.rest().chars().next() {
                None => self.syntax(self.pos, "Expected an attribute but the filter ended"),
                Some(c) => self.syntax(self.pos, format_args!("Unexpected '{c}'")),
            });
        }
        self.pos += name.len();
        let attribute = Attribute::parse(name);
        if attribute.is_none() && self.semantic.is_none() {
            self.semantic = Some(FilterError::UnknownAttribute(name.to_owned()));
        }

        self.skip_ws();
        let at = self.pos;
        let operator_word = match self
            .rest()
            .find(|c: char| c.is_whitespace() || c == '"' || c == '(' || c == ')')
        {
            Some(end) => &self.rest()[..end],
            None => self.rest(),
        };
        let Some(operator) = Operator::parse(operator_word) else {
            let position = self.position(at);
            let message = if operator_word.is_empty() {
                format!("Missing attribute operator at position {position}. Expected: {OPERATORS}")
            } else {
                format!(
                    "Unrecognized attribute operator '{operator_word}' at position {position}. Expected: {OPERATORS}"
                )
            };
            return Err(FilterError::Syntax { message, position });
        };
        self.pos += operator_word.len();
        if operator.is_ordering()
            && attribute.as_ref().is_some_and(|a| *a != Attribute::Severity)
            && self.semantic.is_none()
        {
            self.semantic = Some(FilterError::UnsupportedOperator {
                operator: operator_word.to_owned(),
                attribute: name.to_owned(),
            });
        }

        let value = if operator == Operator::Pr {
            String::new()
        } else {
            self.skip_ws();
            let value_at = self.pos;
            let value = self.string()?;
            if operator.is_ordering() && attribute == Some(Attribute::Severity) && severity_rank(&value).is_none() {
                return Err(self.syntax(
                    value_at,
                    format_args!("'{value}' is not a severity (DEBUG, INFO, WARN or ERROR)"),
                ));
            }
            value
        };
        Ok(Expr::Compare {
            // Without a valid attribute, `semantic` holds the error and this expression is never
            // returned.
            attribute: attribute.unwrap_or(Attribute::Uuid),
            operator,
            value,
        })
    }

    /// A double-quoted JSON string.
    fn string(&mut self) -> Result<String, FilterError> {
        let start = self.pos;
        if !self.rest().starts_with('"') {
            return Err(match self.rest().chars().next() {
                None => self.syntax(start, "Expected a quoted string but the filter ended"),
                Some(_) => self.syntax(start, "Expected a quoted string"),
            });
        }
        let mut escaped = false;
        let mut end = None;
        for (offset, c) in self.rest().char_indices().skip(1) {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                end = Some(start + offset + 1);
                break;
            }
        }
        let Some(end) = end else {
            return Err(self.syntax(start, "Unterminated string starting"));
        };
        let literal = &self.src[start..end];
        let value = serde_json::from_str::<String>(literal)
            .map_err(|_| self.syntax(start, "Invalid escape or control character in the string starting"))?;
        self.pos = end;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Entity, Severity};
    use time::macros::datetime;

    fn event() -> Event {
        Event::failure(
            "app.oauth2.as.token.grant",
            "OAuth2 token request refused",
            "no_matching_policy",
            "Policy evaluation failed",
            datetime!(2026-11-22 10:00 UTC),
        )
        .with_client("0oa1")
        .with_actor(Entity {
            alternate_id: Some("jane@example.com".into()),
            ..Entity::new("User", "00u1")
        })
        .with_target(Entity::new("AuthorizationServer", "default"))
        .with_target(Entity::new("Policy", "00p1"))
        .with_detail("requestedScopes", ["openid", "payments:read"])
        .with_detail("attempt", 3)
        .with_detail("nested", serde_json::json!({"grant": {"type": "password"}}))
        .with_detail("quote", "say \"hi\"\\now")
    }

    fn matches(filter: &str) -> bool {
        EventFilter::parse(filter)
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(&event())
    }

    fn syntax_error(filter: &str) -> (String, usize) {
        match EventFilter::parse(filter) {
            Err(FilterError::Syntax { message, position }) => (message, position),
            other => panic!("{filter}: expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn eq_on_each_attribute() {
        for filter in [
            r#"outcome.result eq "FAILURE""#,
            r#"outcome.reason eq "Policy evaluation failed""#,
            r#"eventType eq "app.oauth2.as.token.grant""#,
            r#"severity eq "INFO""#,
            r#"displayMessage eq "OAuth2 token request refused""#,
            r#"actor.id eq "00u1""#,
            r#"actor.type eq "User""#,
            r#"actor.alternateId eq "jane@example.com""#,
            r#"client.id eq "0oa1""#,
            r#"target.id eq "default""#,
            r#"target.id eq "00p1""#,
            r#"target.type eq "Policy""#,
            r#"debugContext.debugData.reasonCode eq "no_matching_policy""#,
            r#"debugContext.debugData.requestedScopes eq "payments:read""#,
            r#"debugContext.debugData.attempt eq "3""#,
            r#"debugContext.debugData.nested.grant.type eq "password""#,
        ] {
            assert!(matches(filter), "{filter}");
        }
        for filter in [
            r#"outcome.result eq "SUCCESS""#,
            r#"outcome.result eq "failure""#,
            r#"eventType eq "app.oauth2.as.token""#,
            r#"actor.id eq "00u2""#,
            r#"actor.displayName eq "Jane""#,
            r#"client.id eq "0oa""#,
            r#"target.id eq "nope""#,
            r#"debugContext.debugData.reasonCode eq "other""#,
            r#"debugContext.debugData.missing eq "x""#,
        ] {
            assert!(!matches(filter), "{filter}");
        }
    }

    #[test]
    fn the_other_operators() {
        assert!(matches(r#"eventType sw "app.oauth2.as""#));
        assert!(!matches(r#"eventType sw "user.""#));
        assert!(matches(r#"eventType ew ".grant""#));
        assert!(matches(r#"eventType co "token""#));
        assert!(!matches(r#"eventType co "session""#));
        assert!(matches(r#"actor.id ne "00u2""#));
        assert!(!matches(r#"actor.id ne "00u1""#));
        assert!(
            matches(r#"actor.displayName ne "x""#),
            "ne is true for an absent attribute"
        );
        assert!(matches("actor.alternateId pr"));
        assert!(!matches("actor.displayName pr"));
        assert!(matches("debugContext.debugData.reasonCode pr"));
        assert!(!matches("debugContext.debugData.missing pr"));
        assert!(matches(r#"severity ge "INFO""#));
        assert!(matches(r#"severity gt "DEBUG""#));
        assert!(!matches(r#"severity ge "WARN""#));
        assert!(matches(r#"severity lt "WARN""#));
        assert!(matches(r#"severity le "INFO""#));
        let warn = event().with_severity(Severity::Warn);
        assert!(EventFilter::parse(r#"severity ge "WARN""#).unwrap().matches(&warn));
    }

    #[test]
    fn operators_and_keywords_are_case_insensitive_attributes_are_not() {
        assert!(matches(r#"eventType SW "app" AND outcome.result Eq "FAILURE""#));
        assert_eq!(
            EventFilter::parse(r#"eventtype eq "x""#),
            Err(FilterError::UnknownAttribute("eventtype".into()))
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        // false and false or true = (false and false) or true = true
        assert!(matches(
            r#"eventType eq "x" and actor.id eq "y" or client.id eq "0oa1""#
        ));
        // true or false and false = true or (false and false) = true
        assert!(matches(
            r#"client.id eq "0oa1" or eventType eq "x" and actor.id eq "y""#
        ));
        // Parentheses regroup: (true or false) and false = false
        assert!(!matches(
            r#"(client.id eq "0oa1" or eventType eq "x") and actor.id eq "y""#
        ));
        assert!(matches(
            r#"((client.id eq "0oa1")) and (actor.id eq "y" or (target.id eq "default"))"#
        ));
        assert!(matches(r#"not (actor.id eq "y")"#));
        assert!(!matches(r#"not(actor.id eq "00u1")"#));
        assert!(matches(r#"eventType sw "app" and not (outcome.result eq "SUCCESS")"#));
    }

    #[test]
    fn string_escapes() {
        assert!(matches(r#"debugContext.debugData.quote eq "say \"hi\"\\now""#));
        assert!(matches(r#"debugContext.debugData.quote co "\"hi\"""#));
        assert!(matches(r#"eventType eq "app.oauth2.as.token.gr\u0061nt""#));
        assert!(
            !matches(r#"debugContext.debugData.quote eq "say \"hi\"\now""#),
            "\\n is a newline"
        );
        let (message, position) = syntax_error(r#"eventType eq "bad \q escape""#);
        assert_eq!(position, 13);
        assert!(message.starts_with("Invalid escape"), "{message}");
    }

    #[test]
    fn unknown_attributes() {
        assert_eq!(
            EventFilter::parse(r#"some_invalid_field eq "x""#),
            Err(FilterError::UnknownAttribute("some_invalid_field".into()))
        );
        assert_eq!(
            EventFilter::parse(r#"published gt "2026-01-01T00:00:00Z""#),
            Err(FilterError::UnknownAttribute("published".into()))
        );
        assert_eq!(
            EventFilter::parse(r#"actor.email eq "x""#),
            Err(FilterError::UnknownAttribute("actor.email".into()))
        );
        assert_eq!(
            EventFilter::parse(r#"debugContext.debugData. eq "x""#),
            Err(FilterError::UnknownAttribute("debugContext.debugData.".into()))
        );
        // Syntax errors are reported before attribute errors.
        assert!(matches!(
            EventFilter::parse(r#"nope eq "x" and"#),
            Err(FilterError::Syntax { .. })
        ));
    }

    #[test]
    fn unknown_and_unsupported_operators() {
        // Okta's example: `display_message eqq "Create okta user"` fails at position 16.
        let (message, position) = syntax_error(r#"eventType eqq "Create okta user""#);
        assert_eq!(position, 10);
        assert_eq!(
            message,
            "Unrecognized attribute operator 'eqq' at position 10. Expected: eq,ne,co,sw,ew,pr,gt,ge,lt,le"
        );
        let (message, _) = syntax_error(r#"eventType "x""#);
        assert!(message.starts_with("Missing attribute operator"), "{message}");
        let (message, _) = syntax_error("eventType");
        assert!(message.starts_with("Missing attribute operator"), "{message}");
        assert_eq!(
            EventFilter::parse(r#"eventType gt "a""#),
            Err(FilterError::UnsupportedOperator {
                operator: "gt".into(),
                attribute: "eventType".into()
            })
        );
        let (message, position) = syntax_error(r#"severity ge "LOUD""#);
        assert_eq!(position, 12);
        assert!(message.contains("not a severity"), "{message}");
    }

    #[test]
    fn malformed_expressions() {
        let (message, position) = syntax_error(r#"eventType eq "unterminated"#);
        assert_eq!(
            (message.as_str(), position),
            ("Unterminated string starting at position 13", 13)
        );
        let (message, position) = syntax_error(r#"eventType eq "x" garbage"#);
        assert_eq!(
            (message.as_str(), position),
            ("Unexpected 'garbage' at position 17", 17)
        );
        let (message, _) = syntax_error(r#"eventType eq "x")"#);
        assert_eq!(message, "Unexpected ')' at position 16");
        let (message, _) = syntax_error(r#"(eventType eq "x""#);
        assert_eq!(message, "Expected ')' but the filter ended at position 17");
        let (message, _) = syntax_error(r#"eventType eq "x" and"#);
        assert_eq!(message, "Expected an attribute but the filter ended at position 20");
        let (message, _) = syntax_error(r#"eventType eq "x" or or"#);
        assert!(message.starts_with("Missing attribute operator"), "{message}");
        let (message, _) = syntax_error(r#"eventType eq x"#);
        assert_eq!(message, "Expected a quoted string at position 13");
        let (message, _) = syntax_error(r#"eventType eq"#);
        assert_eq!(message, "Expected a quoted string but the filter ended at position 12");
        let (message, _) = syntax_error("");
        assert_eq!(message, "Expected an attribute but the filter ended at position 0");
        let (message, _) = syntax_error(r#"() "#);
        assert_eq!(message, "Unexpected ')' at position 1");
        let (message, _) = syntax_error(r#"eventType eq "é" !"#);
        assert_eq!(message, "Unexpected '!' at position 17", "positions count characters");
        let deep = format!("{}eventType pr{}", "(".repeat(40), ")".repeat(40));
        let (message, _) = syntax_error(&deep);
        assert!(message.starts_with("Filter nested too deeply"), "{message}");
    }

    #[test]
    fn long_chains_do_not_nest() {
        let chain = vec![r#"eventType sw "app""#; 5000].join(" and ");
        assert!(matches(&chain));
        let chain = vec![r#"eventType eq "x""#; 5000].join(" or ");
        assert!(!matches(&chain));
    }

    #[test]
    fn keeps_its_source() {
        let source = r#"eventType eq "x""#;
        let filter: EventFilter = source.parse().unwrap();
        assert_eq!(filter.as_str(), source);
        assert_eq!(filter.to_string(), source);
    }
}
