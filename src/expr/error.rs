//! Parse and evaluation errors, with the source position they refer to.

use std::fmt;

/// A 1-based line and column (counted in characters) in an expression's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Position {
    /// Line number, starting at 1.
    pub line: u32,
    /// Column number in characters, starting at 1.
    pub column: u32,
}

impl Position {
    /// The first character of the source.
    pub const START: Position = Position { line: 1, column: 1 };
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Why an expression could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The source is empty or only whitespace.
    #[error("the expression is empty")]
    Empty,
    /// The source is longer than [`MAX_SOURCE_LEN`](crate::expr::MAX_SOURCE_LEN) bytes.
    #[error("the expression is {len} bytes long; the limit is {max}")]
    TooLong {
        /// Length of the source in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// Parentheses, lists, calls or unary operators nest deeper than
    /// [`MAX_DEPTH`](crate::expr::MAX_DEPTH).
    #[error("the expression nests deeper than {max} levels")]
    TooDeep {
        /// The nesting limit.
        max: usize,
    },
    /// A character that cannot start any token.
    #[error("unexpected character {0:?}")]
    UnexpectedChar(char),
    /// A string literal without its closing quote.
    #[error("unterminated string literal")]
    UnterminatedString,
    /// A number literal that is malformed or out of range.
    #[error("invalid number {0}")]
    InvalidNumber(String),
    /// A token where another was expected.
    #[error("unexpected {found}; expected {expected}")]
    Unexpected {
        /// Description of the token found.
        found: String,
        /// What the parser expected instead.
        expected: &'static str,
    },
    /// A call to a function that does not exist.
    #[error("unknown function {0}")]
    UnknownFunction(String),
    /// A method call on a value with an unknown method name.
    #[error("unknown method {0}")]
    UnknownMethod(String),
    /// A bare name that is neither a bound object nor a function.
    #[error("unknown identifier {0}")]
    UnknownIdentifier(String),
    /// A call with the wrong number of arguments.
    #[error("{function} expects {expected} argument(s), found {found}")]
    Arity {
        /// The function's name.
        function: String,
        /// The accepted counts, e.g. `2` or `at least 1`.
        expected: String,
        /// The number of arguments given.
        found: usize,
    },
    /// A documented Okta or SpEL feature this implementation does not support.
    #[error("{0} is not supported")]
    Unsupported(String),
    /// A literal argument that is invalid for its function (bad regex, time zone, pattern…).
    #[error("invalid argument to {function}: {reason}")]
    InvalidArgument {
        /// The function or operator.
        function: String,
        /// Why the argument is invalid.
        reason: String,
    },
}

/// An expression that could not be parsed, with where and why.
///
/// Displayed as `<reason> at <line>:<column>[; <hint>]`, e.g.
/// `unknown function String.substrngAfter at 1:8; did you mean String.substringAfter?`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at {pos}{}", hint_suffix(.hint))]
#[non_exhaustive]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Where in the source.
    pub pos: Position,
    /// A suggestion, such as the nearest known function name.
    pub hint: Option<String>,
}

impl ParseError {
    /// Creates an error without a hint.
    pub(crate) fn new(kind: ParseErrorKind, pos: Position) -> Self {
        ParseError { kind, pos, hint: None }
    }

    /// Adds a hint.
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

fn hint_suffix(hint: &Option<String>) -> String {
    match hint {
        Some(h) => format!("; {h}"),
        None => String::new(),
    }
}

/// Why an evaluation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalErrorKind {
    /// An operand or argument has the wrong type.
    #[error("{op}: expected {expected}, found {found}")]
    Type {
        /// The operator or function.
        op: String,
        /// The expected type(s).
        expected: &'static str,
        /// The type found.
        found: &'static str,
    },
    /// An argument has the right type but an unusable value.
    #[error("{op}: {reason}")]
    InvalidValue {
        /// The operator or function.
        op: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// Integer division or remainder by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// Integer arithmetic overflowed 64 bits, or a number is not finite.
    #[error("{0}: numeric overflow")]
    Overflow(String),
    /// A string grew past [`MAX_STRING_LEN`](crate::expr::MAX_STRING_LEN) bytes.
    #[error("string longer than {max} bytes")]
    StringTooLong {
        /// The limit in bytes.
        max: usize,
    },
    /// An array grew past [`MAX_ARRAY_LEN`](crate::expr::MAX_ARRAY_LEN) elements.
    #[error("array longer than {max} elements")]
    ArrayTooLong {
        /// The limit in elements.
        max: usize,
    },
    /// A group function matched more groups than its limit allows
    /// (Okta: `too_many_groups_in_groups_claim`).
    #[error("{function} matched {found} groups, more than the limit of {limit}")]
    TooManyGroups {
        /// The function.
        function: &'static str,
        /// The limit in force.
        limit: usize,
        /// How many groups matched.
        found: usize,
    },
    /// The evaluation took more than [`MAX_EVAL_STEPS`](crate::expr::MAX_EVAL_STEPS) steps.
    #[error("evaluation exceeded its budget of {0} steps")]
    BudgetExceeded(u32),
    /// A group expression given as a non-literal string failed to parse.
    #[error("group expression: {0}")]
    GroupExpression(Box<ParseError>),
}

/// An evaluation failure, with the position of the operator or call that failed.
///
/// Claims map this to Okta's `user_claim_evaluation_failure` (one of Okta's published OAuth 2.0
/// error codes).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind} at {pos}")]
#[non_exhaustive]
pub struct EvalError {
    /// What went wrong.
    pub kind: EvalErrorKind,
    /// The position of the failing node.
    pub pos: Position,
}

impl EvalError {
    /// Creates an error at a position.
    pub(crate) fn new(kind: EvalErrorKind, pos: Position) -> Self {
        EvalError { kind, pos }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_display_includes_position_and_hint() {
        let e = ParseError::new(
            ParseErrorKind::UnknownFunction("String.substrngAfter".into()),
            Position { line: 1, column: 8 },
        )
        .with_hint("did you mean String.substringAfter?");
        assert_eq!(
            e.to_string(),
            "unknown function String.substrngAfter at 1:8; did you mean String.substringAfter?"
        );
    }

    #[test]
    fn eval_error_display_names_operator_and_types() {
        let e = EvalError::new(
            EvalErrorKind::Type {
                op: "operator -".into(),
                expected: "number",
                found: "string",
            },
            Position { line: 2, column: 3 },
        );
        assert_eq!(e.to_string(), "operator -: expected number, found string at 2:3");
    }
}
