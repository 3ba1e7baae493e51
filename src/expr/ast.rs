//! The parsed form of an expression.
//!
//! Chains of same-precedence operators and property paths are stored flat (a vector, not a
//! nested tree), so the tree's depth is bounded by the parser's nesting limit and evaluation
//! and dropping never recurse deeply.

use regex::Regex;

use crate::expr::error::Position;
use crate::expr::functions::Func;

/// A node and its source position.
#[derive(Debug, Clone)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub pos: Position,
}

/// The kinds of node.
#[derive(Debug, Clone)]
pub(crate) enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Box<str>),
    /// `{a, b}`
    List(Vec<Expr>),
    /// `{'k': v}`
    Map(Vec<(Box<str>, Expr)>),
    /// A bound object: `user`, `appuser`, `app`, `org`, `access`, `group`.
    Root(Root),
    /// A bare name inside a projection: a property of the current element.
    This(Box<str>),
    /// `base.seg.seg[...]...`
    Path(Box<Expr>, Vec<Seg>),
    /// A function call.
    Call(Box<Call>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    /// Unary `+` (checks the operand is a number).
    Pos(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    /// `lhs matches rhs`; the regex is compiled at parse time when `rhs` is a literal.
    Matches(Box<Expr>, Box<Expr>, Option<Box<Regex>>),
    /// `first op e op e ...` for `+ - * / %`, left-associative.
    Arith(Box<Expr>, Vec<(ArithOp, Position, Expr)>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `value ?: default`
    Elvis(Box<Expr>, Box<Expr>),
}

/// The objects in scope in a custom claim (Okta's Expression Language reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    User,
    AppUser,
    App,
    Org,
    Access,
    /// Only inside a `getFilteredGroups` group expression.
    Group,
}

/// One step of a path.
#[derive(Debug, Clone)]
pub(crate) enum Seg {
    Prop(Box<str>),
    Index(Expr, Position),
    Method(Method, Vec<Expr>, Position),
    /// `.![expr]`
    Project(Expr, Position),
}

/// Methods callable on values (Okta's Expression Language reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Groups,
    InternalProperty,
    LinkedObject,
}

impl Method {
    /// The method's name in source.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Method::Groups => "getGroups",
            Method::InternalProperty => "getInternalProperty",
            Method::LinkedObject => "getLinkedObject",
        }
    }
}

/// A call with its arguments and anything prepared from literal arguments.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub func: Func,
    pub name: &'static str,
    pub args: Vec<Expr>,
    pub prepared: Prepared,
}

/// Work done once at parse time for literal arguments.
#[derive(Debug, Clone)]
pub(crate) enum Prepared {
    None,
    /// A compiled regex (e.g. `isMemberOfGroupNameRegex("/.*admin.*/")`).
    Regex(Box<Regex>),
    /// The parsed group expression of `getFilteredGroups`.
    GroupExpr(Box<Expr>),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl CmpOp {
    /// The operator's symbol, for messages.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Gt => ">",
            CmpOp::Le => "<=",
            CmpOp::Ge => ">=",
        }
    }
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl ArithOp {
    /// The operator's symbol, for messages.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
        }
    }
}

impl Expr {
    /// Calls `f` on the names of profile attributes read as `user.<name>`,
    /// `user.profile.<name>` or `appuser.<name>` anywhere in the tree.
    pub(crate) fn visit_attributes<'s>(&'s self, f: &mut dyn FnMut(Root, &'s str)) {
        match &self.kind {
            ExprKind::Path(base, segs) => {
                if let ExprKind::Root(root @ (Root::User | Root::AppUser)) = base.kind {
                    let mut it = segs.iter();
                    let first = it.next();
                    match first {
                        Some(Seg::Prop(p)) if root == Root::User && &**p == "profile" => {
                            if let Some(Seg::Prop(q)) = it.next() {
                                f(root, q);
                            }
                        }
                        Some(Seg::Prop(p)) => f(root, p),
                        _ => {}
                    }
                }
                base.visit_attributes(f);
                for seg in segs {
                    match seg {
                        Seg::Prop(..) => {}
                        Seg::Index(e, _) | Seg::Project(e, _) => e.visit_attributes(f),
                        Seg::Method(_, args, _) => args.iter().for_each(|a| a.visit_attributes(f)),
                    }
                }
            }
            ExprKind::List(v) | ExprKind::And(v) | ExprKind::Or(v) => v.iter().for_each(|e| e.visit_attributes(f)),
            ExprKind::Map(v) => v.iter().for_each(|(_, e)| e.visit_attributes(f)),
            ExprKind::Call(c) => {
                c.args.iter().for_each(|a| a.visit_attributes(f));
                if let Prepared::GroupExpr(g) = &c.prepared {
                    g.visit_attributes(f);
                }
            }
            ExprKind::Not(e) | ExprKind::Neg(e) | ExprKind::Pos(e) => e.visit_attributes(f),
            ExprKind::Compare(_, a, b) | ExprKind::Matches(a, b, _) | ExprKind::Elvis(a, b) => {
                a.visit_attributes(f);
                b.visit_attributes(f);
            }
            ExprKind::Arith(first, rest) => {
                first.visit_attributes(f);
                rest.iter().for_each(|(_, _, e)| e.visit_attributes(f));
            }
            ExprKind::Ternary(a, b, c) => {
                a.visit_attributes(f);
                b.visit_attributes(f);
                c.visit_attributes(f);
            }
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Root(_)
            | ExprKind::This(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_symbols() {
        assert_eq!(CmpOp::Le.symbol(), "<=");
        assert_eq!(ArithOp::Rem.symbol(), "%");
        assert_eq!(Method::Groups.name(), "getGroups");
    }
}
