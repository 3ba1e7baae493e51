//! The Okta Expression Language (classic dialect) for custom claim values, as Okta's Expression
//! Language reference describes it
//! (<https://developer.okta.com/docs/reference/okta-expression-language/>).
//!
//! An [`Expression`] is parsed once, when a claim is created or loaded, and evaluated per token
//! against a [`Context`] of borrowed data. Evaluation is pure: the current time is
//! [`Context::now`], and nothing is read from the system. A `null` result means "leave the claim
//! out" (as Okta's 2017 "OAuth 2.0 and Okta" page says); an [`EvalError`] means the token request
//! fails with `user_claim_evaluation_failure`.
//!
//! ```
//! use authserver::expr::{Context, Expression, JsonMap, UserData, GroupData, AppData};
//! use serde_json::json;
//!
//! let sub = Expression::parse("(appuser != null) ? appuser.userName : app.clientId")?;
//! let role = Expression::parse(r#"isMemberOfGroupName("Admins") ? "admin" : "user""#)?;
//!
//! let profile: JsonMap = json!({"login": "ann@example.com", "email": "ann@example.com"})
//!     .as_object().cloned().unwrap_or_default();
//! let groups = [GroupData::new("00g1", "Admins", "OKTA_GROUP")];
//! let app = AppData { id: "0oa1", client_id: "client-1", name: "oidc_client", label: "Portal", profile: None };
//! let ctx = Context {
//!     user: Some(UserData { id: "00u1", status: "ACTIVE", profile: &profile, groups: &groups }),
//!     app: Some(app),
//!     ..Context::new(time::OffsetDateTime::UNIX_EPOCH)
//! };
//! assert_eq!(sub.evaluate(&ctx)?, json!("client-1"));
//! assert_eq!(role.evaluate(&ctx)?, json!("admin"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Syntax
//!
//! | Construct | Notes |
//! |---|---|
//! | `'text'`, `"text"` | a quote inside is doubled (`'it''s'`); backslash is an ordinary character |
//! | `123`, `3.14`, `1e3` | integers are 64-bit; decimals are `f64` |
//! | `true`, `false`, `null` | case-insensitive (`True`, `NULL`) |
//! | `{1, 2}`, `{}`, `{'k': v}`, `{:}` | inline lists and maps |
//! | `x.y`, `x[0]`, `x['k']`, `x.m(args)` | property, index, method; `null` or missing → `null` |
//! | `coll.![expr]` | projection; bare names in `expr` are properties of the element |
//! | `+ - * / %`, `div`, `mod` | `+` concatenates when either side is a string; integer `/` truncates |
//! | `== != < > <= >=`, `eq ne lt gt le ge` | no string/number coercion; `null` sorts first |
//! | `matches` | whole-string regex match (SpEL); the `regex` crate's syntax |
//! | `&& \|\| !`, `and or not` | word forms case-insensitive; operands must be booleans |
//! | `c ? a : b`, `a ?: b` | Elvis uses `b` when `a` is `null` or `""` |
//!
//! Rejected at parse time with a clear error: assignment `=`, `?.`, `.?[ ]`, `^`, `#var`,
//! `@bean`, `T(...)`, `new`, `instanceof`, `between`, `session`, `idpuser`, explicit app
//! references, and unknown functions or identifiers (with a "did you mean" suggestion).
//!
//! # Bindings
//!
//! `user` (`user.firstName` or `user.profile.firstName`; `user.id`, `user.status`), `appuser`,
//! `app` (`id`, `clientId`, `name`, `label`, `profile`), `org`, `access.scope`, and `group`
//! inside a `getFilteredGroups` group expression. See [`Context`].
//!
//! # Functions
//!
//! | Family | Supported |
//! |---|---|
//! | String | `String.append`, `join`, `len`, `removeSpaces`, `replace`, `replaceFirst`, `startsWith`, `stringContains`, `stringSwitch`, `substring`, `substringAfter`, `substringBefore`, `toUpperCase`, `toLowerCase`; deprecated globals `toUpperCase`/`toUppercase`, `toLowerCase`/`toLowercase`, `substring`, `substringBefore`, `substringAfter` |
//! | Arrays | `Arrays.add`, `remove`, `clear`, `get`, `flatten`, `contains`, `size`, `isEmpty`, `toCsvString` (arrays may be comma-separated strings) |
//! | Conversion | `Convert.toInt`, `Convert.toNum`, `Iso3166Convert.toAlpha2`, `toAlpha3`, `toNumeric`, `toName` |
//! | Membership | `isMemberOfGroupName`, `isMemberOfGroup`, `isMemberOfAnyGroup`, `isMemberOfGroupNameStartsWith`, `isMemberOfGroupNameContains`, `isMemberOfGroupNameRegex` |
//! | Group lists | `getFilteredGroups(allowlist, groupExpression, limit)`, `Groups.contains`, `Groups.startsWith`, `Groups.endsWith`, `user.getGroups(criteria…)` with `.![name]` projections |
//! | Time | `Time.now([zone[, pattern]])`, `Time.fromWindowsToIso8601`, `fromUnixToIso8601`, `fromStringToIso8601`, `fromIso8601ToWindows`, `fromIso8601ToUnix`, `fromIso8601ToString` (Joda patterns; built-in zone table) |
//! | User | `user.getInternalProperty("id" \| "status")`, `user.getLinkedObject(name)` ([`Context::linked_objects`]) |
//! | Directory | `hasDirectoryUser()`, `findDirectoryUser()`, `hasWorkdayUser()`, `findWorkdayUser()` ([`Context::directory_users`], [`Context::workday_users`]) |
//!
//! **Unsupported** (parse error): `getManagerUser`, `getManagerAppUser`, `getAssistantUser`,
//! `getAssistantAppUser` (they need Active Directory manager/assistant resolution; use
//! `user.getLinkedObject("manager")`), and the Identity Engine dialect (`user.isMemberOf`,
//! method-style string functions).
//!
//! # Limits
//!
//! [`MAX_SOURCE_LEN`], [`MAX_DEPTH`], [`MAX_STRING_LEN`], [`MAX_ARRAY_LEN`] and
//! [`MAX_EVAL_STEPS`] bound every parse and evaluation (a [`Budget`] can share the steps among
//! several evaluations); regexes are compiled by the `regex`
//! crate (linear time) under a 1 MiB size limit, and literal regexes once, at parse time.

mod ast;
mod context;
mod error;
mod eval;
mod functions;
mod lexer;
mod parser;
mod value;

use std::fmt;

pub use context::{AppData, Context, GroupData, JsonMap, LinkedUser, UserData};
pub use error::{EvalError, EvalErrorKind, ParseError, ParseErrorKind, Position};
pub use eval::Budget;

/// Longest accepted source, in bytes. Okta limits claim values to 1024 characters
/// (Okta's guide "Customize tokens returned from Okta with custom claims"); the management layer
/// enforces that. This bound protects the parser.
pub const MAX_SOURCE_LEN: usize = 4096;
/// Deepest nesting of parentheses, lists, maps, calls, conditionals and unary operators.
pub const MAX_DEPTH: usize = 64;
/// Longest string an evaluation may build, in bytes.
pub const MAX_STRING_LEN: usize = 64 * 1024;
/// Longest array an evaluation may build.
pub const MAX_ARRAY_LEN: usize = 10_000;
/// Most evaluation steps (nodes visited plus elements processed, regexes built at evaluation time
/// charged by size and by the text they match) of an [`Expression::evaluate`]; a token's claims
/// share one budget of this size (see [`Budget`]).
pub const MAX_EVAL_STEPS: u32 = 1_000_000;

/// A parsed expression: its source and syntax tree. Cheap to evaluate many times.
#[derive(Clone)]
pub struct Expression {
    source: Box<str>,
    ast: ast::Expr,
}

/// Which profile a referenced attribute belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// The Okta user profile (`user.x`, `user.profile.x`).
    User,
    /// The app user profile (`appuser.x`).
    AppUser,
}

impl Expression {
    /// Parses `source`. Unknown names, wrong argument counts, invalid literal regexes, time
    /// zones and patterns, and inputs over the limits are errors.
    pub fn parse(source: &str) -> Result<Expression, ParseError> {
        let ast = parser::parse(source, false)?;
        Ok(Expression {
            source: source.into(),
            ast,
        })
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates against `ctx` with a budget of its own ([`MAX_EVAL_STEPS`]). `Value::Null` means
    /// the claim is left out.
    pub fn evaluate(&self, ctx: &Context<'_>) -> Result<serde_json::Value, EvalError> {
        self.evaluate_within(ctx, &Budget::new(MAX_EVAL_STEPS))
    }

    /// Evaluates against `ctx`, spending `budget`, which other evaluations may share: a token's
    /// claims spend one budget. Running out is [`EvalErrorKind::BudgetExceeded`].
    pub fn evaluate_within(&self, ctx: &Context<'_>, budget: &Budget) -> Result<serde_json::Value, EvalError> {
        let ev = eval::Evaluator::new(ctx, budget);
        let v = ev.eval(&self.ast, &eval::Scope::default())?;
        v.to_json().map_err(|k| EvalError::new(k, self.ast.pos))
    }

    /// The profile attributes the expression reads (`user.x`, `user.profile.x`, `appuser.x`),
    /// in order of appearance, without duplicates, so callers can check them against a
    /// profile schema when the claim is created (Okta's Expression Language reference requires
    /// referenced attributes to exist; what an unknown one does at token time is undocumented).
    pub fn referenced_attributes(&self) -> Vec<(Profile, String)> {
        let mut out: Vec<(Profile, String)> = Vec::new();
        self.ast.visit_attributes(&mut |root, name| {
            let p = if root == ast::Root::User {
                Profile::User
            } else {
                Profile::AppUser
            };
            if !out.iter().any(|(q, n)| *q == p && n == name) {
                out.push((p, name.to_owned()));
            }
        });
        out
    }
}

impl fmt::Debug for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Expression").field(&self.source).finish()
    }
}

impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl PartialEq for Expression {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Expression {}

impl std::str::FromStr for Expression {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Expression::parse(s)
    }
}

#[cfg(test)]
mod tests;
