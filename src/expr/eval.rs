//! The evaluator: walks the tree over a [`Context`], borrowing wherever it can.
//!
//! Semantics follow SpEL as Okta uses it (Okta's Expression Language reference; where it is silent,
//! SpEL's own rules): `&&`, `||`, `!` and the ternary condition need booleans (`null` is an error,
//! as in SpEL); `==` compares numbers by value and never coerces strings; `+` concatenates when
//! either side is a string (`null` renders as `null`); property access on `null` or a missing
//! attribute gives `null`.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use regex::Regex;

use crate::expr::ast::{ArithOp, CmpOp, Expr, ExprKind, Method, Root, Seg};
use crate::expr::context::{Context, GroupData};
use crate::expr::error::{EvalError, EvalErrorKind, Position};
use crate::expr::functions;
use crate::expr::value::{Value, check_array, check_string, compare, equals};

type R<T> = Result<T, EvalError>;

/// What one or several evaluations may spend: steps (nodes visited, elements processed, and
/// regexes built at evaluation time, charged by their size and by the text they match), counted
/// together against one limit. One budget serves every claim of a token, so many claims cannot
/// add up to more than one token's worth of work.
///
/// It also keeps the regexes built at evaluation time, by pattern, so that evaluations sharing
/// the budget compile a pattern once.
///
/// ```
/// use authserver::expr::{Budget, Context, EvalErrorKind, Expression};
///
/// let ctx = Context::new(time::OffsetDateTime::UNIX_EPOCH);
/// let budget = Budget::new(6);
/// let sum = Expression::parse("1 + 2 + 3")?;
/// assert_eq!(sum.evaluate_within(&ctx, &budget)?, serde_json::json!(6));
/// assert_eq!(budget.spent(), 4);
/// let error = sum.evaluate_within(&ctx, &budget).unwrap_err();
/// assert_eq!(error.kind, EvalErrorKind::BudgetExceeded(6));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Budget {
    limit: u32,
    spent: Cell<u32>,
    /// Regexes compiled from patterns built at evaluation time, by pattern, so a projection that
    /// matches against the same pattern compiles it once.
    regexes: RefCell<Vec<(String, Rc<Regex>)>>,
}

impl Budget {
    /// A budget of `limit` steps.
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            spent: Cell::new(0),
            regexes: RefCell::new(Vec::new()),
        }
    }

    /// The steps it allows.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The steps spent so far (at most one charge beyond [`limit`](Self::limit)).
    pub fn spent(&self) -> u32 {
        self.spent.get()
    }
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("limit", &self.limit)
            .field("spent", &self.spent.get())
            .finish_non_exhaustive()
    }
}

/// Per-evaluation state: the context and the budget it spends.
pub(crate) struct Evaluator<'a> {
    pub ctx: &'a Context<'a>,
    budget: &'a Budget,
}

/// Steps charged for compiling a regex built at evaluation time, besides
/// [`REGEX_COMPILE_STEPS_PER_BYTE`] per byte of pattern: compiling costs far more than a step.
pub(crate) const REGEX_COMPILE_STEPS: usize = 5_000;
/// Steps charged per byte of a pattern compiled at evaluation time.
pub(crate) const REGEX_COMPILE_STEPS_PER_BYTE: usize = 50;
/// Steps charged per byte of text matched against a regex built at evaluation time (its
/// program may be as large as [`functions::DYNAMIC_REGEX_SIZE_LIMIT`] allows).
pub(crate) const DYNAMIC_MATCH_STEPS_PER_BYTE: usize = 8;
/// How many regexes built at evaluation time one budget keeps compiled.
const REGEX_CACHE: usize = 16;

/// What bare names refer to at a point of evaluation.
#[derive(Default, Clone, Copy)]
pub(crate) struct Scope<'x, 's> {
    /// `group` inside a `getFilteredGroups` group expression.
    pub group: Option<&'x GroupData<'x>>,
    /// The current element inside a projection `.![...]`.
    pub this: Option<&'s Value<'x>>,
}

fn at(pos: Position) -> impl Fn(EvalErrorKind) -> EvalError {
    move |k| EvalError::new(k, pos)
}

fn type_err(op: &str, expected: &'static str, found: &Value<'_>) -> EvalErrorKind {
    EvalErrorKind::Type {
        op: op.into(),
        expected,
        found: found.type_name(),
    }
}

impl<'a> Evaluator<'a> {
    /// An evaluator spending `budget`.
    pub(crate) fn new(ctx: &'a Context<'a>, budget: &'a Budget) -> Self {
        Evaluator { ctx, budget }
    }

    /// The regex `build` makes of `pattern`, built at evaluation time: from the budget's
    /// cache, or compiled and charged [`REGEX_COMPILE_STEPS`] plus
    /// [`REGEX_COMPILE_STEPS_PER_BYTE`] per byte of pattern.
    pub(crate) fn dynamic_regex(
        &self,
        op: &str,
        pattern: &str,
        build: impl FnOnce(&str) -> Result<Regex, String>,
    ) -> Result<Rc<Regex>, EvalErrorKind> {
        if let Some((_, regex)) = self.budget.regexes.borrow().iter().find(|(p, _)| p == pattern) {
            return Ok(Rc::clone(regex));
        }
        self.charge(REGEX_COMPILE_STEPS.saturating_add(pattern.len().saturating_mul(REGEX_COMPILE_STEPS_PER_BYTE)))?;
        let regex = Rc::new(build(pattern).map_err(|reason| EvalErrorKind::InvalidValue { op: op.into(), reason })?);
        let mut cache = self.budget.regexes.borrow_mut();
        if cache.len() == REGEX_CACHE {
            cache.remove(0);
        }
        cache.push((pattern.to_owned(), Rc::clone(&regex)));
        Ok(regex)
    }

    /// Whether `regex` matches `text`, charging a step per byte of text for a regex prepared
    /// when the expression was parsed, and [`DYNAMIC_MATCH_STEPS_PER_BYTE`] for one built at
    /// evaluation time.
    pub(crate) fn is_match(&self, regex: &Regex, text: &str, dynamic: bool) -> Result<bool, EvalErrorKind> {
        let per_byte = if dynamic { DYNAMIC_MATCH_STEPS_PER_BYTE } else { 1 };
        self.charge(text.len().saturating_mul(per_byte).saturating_add(1))?;
        Ok(regex.is_match(text))
    }

    /// Counts `n` steps against the budget.
    pub(crate) fn charge(&self, n: usize) -> Result<(), EvalErrorKind> {
        let budget = self.budget;
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        let s = budget.spent.get().saturating_add(n);
        budget.spent.set(s);
        if s > budget.limit {
            Err(EvalErrorKind::BudgetExceeded(budget.limit))
        } else {
            Ok(())
        }
    }

    /// Evaluates a node.
    pub(crate) fn eval<'x>(&'x self, e: &'x Expr, sc: &Scope<'x, '_>) -> R<Value<'x>> {
        self.charge(1).map_err(at(e.pos))?;
        Ok(match &e.kind {
            ExprKind::Null => Value::Null,
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Str(s) => Value::str(s),
            ExprKind::List(items) => {
                let v = items.iter().map(|i| self.eval(i, sc)).collect::<R<Vec<_>>>()?;
                Value::List(v)
            }
            ExprKind::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| Ok((Cow::Borrowed(&**k), self.eval(v, sc)?)))
                    .collect::<R<Vec<_>>>()?,
            ),
            ExprKind::Root(r) => self.root(*r, sc),
            ExprKind::This(name) => sc.this.map_or(Value::Null, |t| t.property(name)),
            ExprKind::Path(base, segs) => {
                let mut v = self.eval(base, sc)?;
                for seg in segs {
                    v = self.segment(v, seg, sc)?;
                }
                v
            }
            ExprKind::Call(c) => {
                let args = c.args.iter().map(|a| self.eval(a, sc)).collect::<R<Vec<_>>>()?;
                functions::call(self, c.func, c.name, args, &c.prepared).map_err(at(e.pos))?
            }
            ExprKind::Not(x) => Value::Bool(!self.boolean(x, "operator !", sc)?),
            ExprKind::Neg(x) => match self.eval(x, sc)? {
                Value::Int(i) => Value::Int(
                    i.checked_neg()
                        .ok_or_else(|| EvalError::new(EvalErrorKind::Overflow("operator -".into()), e.pos))?,
                ),
                Value::Float(f) => Value::Float(-f),
                other => return Err(EvalError::new(type_err("operator -", "number", &other), e.pos)),
            },
            ExprKind::Pos(x) => match self.eval(x, sc)? {
                v @ (Value::Int(_) | Value::Float(_)) => v,
                other => return Err(EvalError::new(type_err("operator +", "number", &other), e.pos)),
            },
            ExprKind::And(items) => {
                for i in items {
                    if !self.boolean(i, "operator &&", sc)? {
                        return Ok(Value::Bool(false));
                    }
                }
                Value::Bool(true)
            }
            ExprKind::Or(items) => {
                for i in items {
                    if self.boolean(i, "operator ||", sc)? {
                        return Ok(Value::Bool(true));
                    }
                }
                Value::Bool(false)
            }
            ExprKind::Compare(op, a, b) => {
                let (a, b) = (self.eval(a, sc)?, self.eval(b, sc)?);
                Value::Bool(comparison(*op, &a, &b).map_err(at(e.pos))?)
            }
            ExprKind::Matches(a, b, regex) => {
                let (a, b) = (self.eval(a, sc)?, self.eval(b, sc)?);
                Value::Bool(self.matches_op(&a, &b, regex.as_deref()).map_err(at(e.pos))?)
            }
            ExprKind::Arith(first, rest) => {
                let mut acc = self.eval(first, sc)?;
                for (op, pos, x) in rest {
                    let rhs = self.eval(x, sc)?;
                    acc = arith(*op, acc, rhs).map_err(at(*pos))?;
                }
                acc
            }
            ExprKind::Ternary(c, a, b) => {
                if self.boolean(c, "operator ?:", sc)? {
                    self.eval(a, sc)?
                } else {
                    self.eval(b, sc)?
                }
            }
            ExprKind::Elvis(a, b) => match self.eval(a, sc)? {
                Value::Null => self.eval(b, sc)?,
                Value::Str(s) if s.is_empty() => self.eval(b, sc)?,
                v => v,
            },
        })
    }

    fn boolean<'x>(&'x self, e: &'x Expr, op: &str, sc: &Scope<'x, '_>) -> R<bool> {
        match self.eval(e, sc)? {
            Value::Bool(b) => Ok(b),
            other => Err(EvalError::new(type_err(op, "boolean", &other), e.pos)),
        }
    }

    fn root<'x>(&'x self, r: Root, sc: &Scope<'x, '_>) -> Value<'x> {
        let ctx = self.ctx;
        match r {
            Root::User => ctx.user.as_ref().map_or(Value::Null, Value::User),
            Root::AppUser => ctx.appuser.map_or(Value::Null, Value::JsonObject),
            Root::App => ctx.app.as_ref().map_or(Value::Null, Value::App),
            Root::Org => ctx.org.map_or(Value::Null, Value::JsonObject),
            Root::Access => Value::Map(vec![(Cow::Borrowed("scope"), Value::Access(ctx.scopes))]),
            Root::Group => sc.group.map_or(Value::Null, Value::Group),
        }
    }

    fn segment<'x>(&'x self, v: Value<'x>, seg: &'x Seg, sc: &Scope<'x, '_>) -> R<Value<'x>> {
        match seg {
            Seg::Prop(name) => Ok(v.property(name)),
            Seg::Index(ix, pos) => {
                let i = self.eval(ix, sc)?;
                index(v, &i).map_err(at(*pos))
            }
            Seg::Method(m, args, pos) => {
                let args = args.iter().map(|a| self.eval(a, sc)).collect::<R<Vec<_>>>()?;
                self.method(*m, v, args).map_err(at(*pos))
            }
            Seg::Project(inner, pos) => {
                if v.is_null() {
                    return Ok(Value::Null);
                }
                let items = v
                    .elements()
                    .map_err(at(*pos))?
                    .ok_or_else(|| EvalError::new(type_err("projection .![]", "array", &v), *pos))?;
                let mut out = Vec::with_capacity(items.len());
                for item in &items {
                    let inner_sc = Scope {
                        group: sc.group,
                        this: Some(item),
                    };
                    out.push(self.eval(inner, &inner_sc)?);
                }
                Ok(Value::List(out))
            }
        }
    }

    fn method<'x>(&'x self, m: Method, recv: Value<'x>, args: Vec<Value<'x>>) -> Result<Value<'x>, EvalErrorKind> {
        let user = match recv {
            Value::Null => return Ok(Value::Null),
            Value::User(u) => u,
            other => return Err(type_err(m.name(), "user", &other)),
        };
        match m {
            Method::Groups => functions::get_groups(self, user, &args),
            Method::InternalProperty => match args.first() {
                Some(Value::Str(p)) if p == "id" => Ok(Value::str(user.id)),
                Some(Value::Str(p)) if p == "status" => Ok(Value::str(user.status)),
                Some(Value::Str(p)) => Err(EvalErrorKind::InvalidValue {
                    op: m.name().into(),
                    reason: format!("unknown internal property {p:?} (expected \"id\" or \"status\")"),
                }),
                Some(other) => Err(type_err(m.name(), "string", other)),
                None => Ok(Value::Null),
            },
            Method::LinkedObject => {
                let name = match args.first() {
                    Some(Value::Str(s)) => s,
                    Some(other) => return Err(type_err(m.name(), "string", other)),
                    None => return Ok(Value::Null),
                };
                let is_context_user = self.ctx.user.as_ref().is_some_and(|u| u.id == user.id);
                Ok(self
                    .ctx
                    .linked_objects
                    .iter()
                    .find(|l| is_context_user && l.relationship == name.as_ref())
                    .map_or(Value::Null, |l| Value::User(&l.user)))
            }
        }
    }
}

/// `a[i]`: arrays and strings by integer index, objects by key. Out of range or `null` → `null`.
fn index<'x>(v: Value<'x>, i: &Value<'_>) -> Result<Value<'x>, EvalErrorKind> {
    match (&v, i) {
        (Value::Null, _) => Ok(Value::Null),
        (Value::Str(s), Value::Int(n)) => Ok(usize::try_from(*n)
            .ok()
            .and_then(|n| s.chars().nth(n))
            .map_or(Value::Null, |c| Value::Str(Cow::Owned(c.to_string())))),
        (_, Value::Int(n)) if v.type_name() == "array" => {
            let Ok(n) = usize::try_from(*n) else {
                return Ok(Value::Null);
            };
            Ok(match v {
                Value::List(mut items) if n < items.len() => items.swap_remove(n),
                Value::JsonArray(a) => a.get(n).map_or(Value::Null, Value::from_json),
                Value::Access(s) => s.get(n).map_or(Value::Null, |s| Value::str(s)),
                _ => Value::Null,
            })
        }
        (_, Value::Str(k)) if v.type_name() == "object" || v.type_name() == "user" => Ok(v.property(k)),
        _ => Err(EvalErrorKind::InvalidValue {
            op: "index [ ]".into(),
            reason: format!("cannot index {} with {}", v.type_name(), i.type_name()),
        }),
    }
}

fn comparison(op: CmpOp, a: &Value<'_>, b: &Value<'_>) -> Result<bool, EvalErrorKind> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    if let CmpOp::Eq | CmpOp::Ne = op {
        return Ok(equals(a, b) == (op == CmpOp::Eq));
    }
    let ord = compare(a, b).ok_or_else(|| EvalErrorKind::InvalidValue {
        op: format!("operator {}", op.symbol()),
        reason: format!("cannot compare {} with {}", a.type_name(), b.type_name()),
    })?;
    Ok(match op {
        CmpOp::Lt => ord == Less,
        CmpOp::Gt => ord == Greater,
        CmpOp::Le => ord != Greater,
        CmpOp::Ge => ord != Less,
        CmpOp::Eq | CmpOp::Ne => ord == Equal,
    })
}

impl Evaluator<'_> {
    /// `text matches pattern`: a whole-string match (SpEL); `null` never matches.
    fn matches_op(&self, a: &Value<'_>, b: &Value<'_>, pre: Option<&Regex>) -> Result<bool, EvalErrorKind> {
        let op = "operator matches";
        if a.is_null() {
            return Ok(false);
        }
        let text = a.as_text().ok_or_else(|| type_err(op, "string", a))?;
        match pre {
            Some(regex) => self.is_match(regex, &text, false),
            None => {
                let Value::Str(p) = b else {
                    return Err(type_err(op, "string pattern", b));
                };
                let regex = self.dynamic_regex(op, p, |p| functions::build_dynamic_regex(p, true))?;
                self.is_match(&regex, &text, true)
            }
        }
    }
}

/// `+ - * / %` with SpEL semantics; integer division truncates; overflow is an error.
fn arith<'x>(op: ArithOp, a: Value<'x>, b: Value<'x>) -> Result<Value<'x>, EvalErrorKind> {
    let name = || format!("operator {}", op.symbol());
    if op == ArithOp::Add && (matches!(a, Value::Str(_)) || matches!(b, Value::Str(_))) {
        let mut s = match a {
            Value::Str(s) => s.into_owned(),
            other => {
                let mut s = String::new();
                other.write_text(&mut s);
                s
            }
        };
        b.write_text(&mut s);
        check_string(s.len())?;
        return Ok(Value::Str(Cow::Owned(s)));
    }
    match (&a, &b) {
        (Value::Int(x), Value::Int(y)) => {
            let (x, y) = (*x, *y);
            if matches!(op, ArithOp::Div | ArithOp::Rem) && y == 0 {
                return Err(EvalErrorKind::DivisionByZero);
            }
            let r = match op {
                ArithOp::Add => x.checked_add(y),
                ArithOp::Sub => x.checked_sub(y),
                ArithOp::Mul => x.checked_mul(y),
                ArithOp::Div => x.checked_div(y),
                ArithOp::Rem => x.checked_rem(y),
            };
            r.map(Value::Int).ok_or_else(|| EvalErrorKind::Overflow(name()))
        }
        _ => {
            let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
                let bad = if a.as_f64().is_none() { &a } else { &b };
                let expected = if op == ArithOp::Add {
                    "numbers or a string"
                } else {
                    "numbers"
                };
                return Err(type_err(&name(), expected, bad));
            };
            let r = match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div => x / y,
                ArithOp::Rem => x % y,
            };
            if r.is_finite() {
                Ok(Value::Float(r))
            } else {
                Err(EvalErrorKind::Overflow(name()))
            }
        }
    }
}

/// Checks a list length produced by a function or projection.
pub(crate) fn list<'x>(v: Vec<Value<'x>>) -> Result<Value<'x>, EvalErrorKind> {
    check_array(v.len())?;
    Ok(Value::List(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_arithmetic_is_checked() {
        // Reference §1.3 (❓ arithmetic): SpEL semantics, integer division for integers.
        let r = arith(ArithOp::Div, Value::Int(7), Value::Int(2));
        assert!(matches!(r, Ok(Value::Int(3))));
        let r = arith(ArithOp::Rem, Value::Int(7), Value::Int(0));
        assert_eq!(r.err(), Some(EvalErrorKind::DivisionByZero));
        let r = arith(ArithOp::Mul, Value::Int(i64::MAX), Value::Int(2));
        assert!(matches!(r, Err(EvalErrorKind::Overflow(_))));
        let r = arith(ArithOp::Div, Value::Float(1.0), Value::Int(0));
        assert!(matches!(r, Err(EvalErrorKind::Overflow(_))));
    }

    #[test]
    fn plus_concatenates_with_null_as_text() {
        // Reference §1.3 / Appendix B: null + "x" is "nullx" (SpEL).
        let r = arith(ArithOp::Add, Value::Null, Value::str("x"));
        assert!(matches!(r, Ok(Value::Str(s)) if s == "nullx"));
        let r = arith(ArithOp::Add, Value::str("a"), Value::Float(1.5));
        assert!(matches!(r, Ok(Value::Str(s)) if s == "a1.5"));
        let r = arith(ArithOp::Sub, Value::str("a"), Value::Int(1));
        assert!(matches!(r, Err(EvalErrorKind::Type { found: "string", .. })));
    }

    #[test]
    fn matches_is_whole_string() {
        // Reference §1.3: SpEL whole-string match; inline flags accepted.
        let ctx = Context::new(time::macros::datetime!(2020-01-01 0:00 UTC));
        let budget = Budget::new(crate::expr::MAX_EVAL_STEPS);
        let ev = Evaluator::new(&ctx, &budget);
        let r = ev.matches_op(&Value::str("Engineer"), &Value::str("(?i)engineer"), None);
        assert_eq!(r, Ok(true));
        let r = ev.matches_op(&Value::str("Senior Engineer"), &Value::str("(?i)engineer"), None);
        assert_eq!(r, Ok(false));
        assert_eq!(ev.matches_op(&Value::Null, &Value::str("x"), None), Ok(false));
    }

    #[test]
    fn indexing_out_of_range_is_null() {
        let l = Value::List(vec![Value::Int(1)]);
        assert!(matches!(index(l.clone(), &Value::Int(0)), Ok(Value::Int(1))));
        assert!(matches!(index(l.clone(), &Value::Int(5)), Ok(Value::Null)));
        assert!(matches!(index(l, &Value::Int(-1)), Ok(Value::Null)));
        assert!(index(Value::Int(3), &Value::Int(0)).is_err());
    }
}
