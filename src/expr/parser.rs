//! Recursive-descent parser from tokens to [`Expr`], with SpEL precedence:
//! ternary/Elvis < `or` < `and` < relational < `+ -` < `* / %` < unary < postfix.
//!
//! Names are resolved here: unknown functions, methods and identifiers and wrong argument
//! counts are parse errors, and literal regexes, time zones, patterns and group expressions
//! are checked (and compiled) once.

use crate::expr::ast::{ArithOp, Call, CmpOp, Expr, ExprKind, Method, Prepared, Root, Seg};
use crate::expr::error::{ParseError, ParseErrorKind, Position};
use crate::expr::functions::{self, FUNCTIONS, Func, NAMESPACES, UNSUPPORTED};
use crate::expr::lexer::{Tok, Token, tokenize};
use crate::expr::{MAX_DEPTH, MAX_SOURCE_LEN};

type R<T> = Result<T, ParseError>;

/// Names bound in claim expressions (Okta's Expression Language reference).
const ROOTS: &[&str] = &["user", "appuser", "app", "org", "access"];

/// Parses a claim expression. With `group_mode`, `group` is bound (a `getFilteredGroups`
/// group expression) and `getFilteredGroups` itself is not allowed.
pub(crate) fn parse(src: &str, group_mode: bool) -> R<Expr> {
    if src.len() > MAX_SOURCE_LEN {
        return Err(ParseError::new(
            ParseErrorKind::TooLong {
                len: src.len(),
                max: MAX_SOURCE_LEN,
            },
            Position::START,
        ));
    }
    let toks = tokenize(src)?;
    if let Some(Token { tok: Tok::Eof, pos }) = toks.first() {
        return Err(ParseError::new(ParseErrorKind::Empty, *pos));
    }
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
        projection: 0,
        group_mode,
    };
    let e = p.expr()?;
    p.expect(&Tok::Eof, "end of expression")?;
    Ok(e)
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    depth: usize,
    projection: usize,
    group_mode: bool,
}

fn err<T>(kind: ParseErrorKind, pos: Position) -> R<T> {
    Err(ParseError::new(kind, pos))
}

fn unsupported<T>(what: &str, pos: Position) -> R<T> {
    err(ParseErrorKind::Unsupported(what.into()), pos)
}

fn node(kind: ExprKind, pos: Position) -> Expr {
    Expr { kind, pos }
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.peek_at(0)
    }

    fn peek_at(&self, n: usize) -> &Tok {
        self.toks
            .get(self.i + n)
            .or(self.toks.last())
            .map_or(&Tok::Eof, |t| &t.tok)
    }

    fn pos(&self) -> Position {
        self.toks
            .get(self.i)
            .or(self.toks.last())
            .map_or(Position::START, |t| t.pos)
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s.eq_ignore_ascii_case(word))
    }

    fn unexpected<T>(&self, expected: &'static str) -> R<T> {
        err(
            ParseErrorKind::Unexpected {
                found: self.peek().describe(),
                expected,
            },
            self.pos(),
        )
    }

    fn expect(&mut self, tok: &Tok, expected: &'static str) -> R<()> {
        if self.peek() == tok {
            self.bump();
            Ok(())
        } else {
            self.unexpected(expected)
        }
    }

    /// Enters one nesting level.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        if self.depth >= MAX_DEPTH {
            return err(ParseErrorKind::TooDeep { max: MAX_DEPTH }, self.pos());
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn expr(&mut self) -> R<Expr> {
        self.nested(Self::ternary)
    }

    fn ternary(&mut self) -> R<Expr> {
        let cond = self.or()?;
        let pos = self.pos();
        match self.peek() {
            Tok::Question => {
                self.bump();
                let then = self.expr()?;
                self.expect(&Tok::Colon, "':' of the conditional operator")?;
                let other = self.expr()?;
                Ok(node(
                    ExprKind::Ternary(Box::new(cond), Box::new(then), Box::new(other)),
                    pos,
                ))
            }
            Tok::Elvis => {
                self.bump();
                let default = self.expr()?;
                Ok(node(ExprKind::Elvis(Box::new(cond), Box::new(default)), pos))
            }
            Tok::Assign => Err(
                ParseError::new(ParseErrorKind::Unsupported("assignment (=)".into()), pos)
                    .with_hint("use == to compare"),
            ),
            _ => Ok(cond),
        }
    }

    fn or(&mut self) -> R<Expr> {
        let first = self.and()?;
        let pos = first.pos;
        let mut items = vec![first];
        while matches!(self.peek(), Tok::OrOr) || self.is_word("or") {
            self.bump();
            items.push(self.and()?);
        }
        Ok(fold_list(items, pos, ExprKind::Or))
    }

    fn and(&mut self) -> R<Expr> {
        let first = self.relational()?;
        let pos = first.pos;
        let mut items = vec![first];
        while matches!(self.peek(), Tok::AndAnd) || self.is_word("and") {
            self.bump();
            items.push(self.relational()?);
        }
        Ok(fold_list(items, pos, ExprKind::And))
    }

    fn relational(&mut self) -> R<Expr> {
        let lhs = self.sum()?;
        let pos = self.pos();
        let op = match self.peek() {
            Tok::EqEq => Some(CmpOp::Eq),
            Tok::NotEq => Some(CmpOp::Ne),
            Tok::Lt => Some(CmpOp::Lt),
            Tok::Gt => Some(CmpOp::Gt),
            Tok::Le => Some(CmpOp::Le),
            Tok::Ge => Some(CmpOp::Ge),
            Tok::Ident(w) => match w.to_ascii_lowercase().as_str() {
                "eq" => Some(CmpOp::Eq),
                "ne" => Some(CmpOp::Ne),
                "lt" => Some(CmpOp::Lt),
                "gt" => Some(CmpOp::Gt),
                "le" => Some(CmpOp::Le),
                "ge" => Some(CmpOp::Ge),
                "matches" => {
                    self.bump();
                    let rhs = self.sum()?;
                    let regex = match &rhs.kind {
                        ExprKind::Str(p) => Some(Box::new(functions::build_regex(p, true).map_err(|reason| {
                            ParseError::new(
                                ParseErrorKind::InvalidArgument {
                                    function: "matches".into(),
                                    reason,
                                },
                                rhs.pos,
                            )
                        })?)),
                        _ => None,
                    };
                    return Ok(node(ExprKind::Matches(Box::new(lhs), Box::new(rhs), regex), pos));
                }
                "instanceof" | "between" => {
                    return unsupported(&format!("the {w} operator"), pos);
                }
                _ => None,
            },
            _ => None,
        };
        let Some(op) = op else { return Ok(lhs) };
        self.bump();
        let rhs = self.sum()?;
        Ok(node(ExprKind::Compare(op, Box::new(lhs), Box::new(rhs)), pos))
    }

    fn sum(&mut self) -> R<Expr> {
        self.arith(true)
    }

    fn arith(&mut self, additive: bool) -> R<Expr> {
        let first = if additive { self.arith(false)? } else { self.unary()? };
        let mut rest = Vec::new();
        loop {
            let pos = self.pos();
            let op = match (additive, self.peek()) {
                (true, Tok::Plus) => ArithOp::Add,
                (true, Tok::Minus) => ArithOp::Sub,
                (false, Tok::Star) => ArithOp::Mul,
                (false, Tok::Slash) => ArithOp::Div,
                (false, Tok::Percent) => ArithOp::Rem,
                (false, Tok::Caret) => return unsupported("the power operator ^", pos),
                (false, _) if self.is_word("div") => ArithOp::Div,
                (false, _) if self.is_word("mod") => ArithOp::Rem,
                _ => break,
            };
            self.bump();
            let operand = if additive { self.arith(false)? } else { self.unary()? };
            rest.push((op, pos, operand));
        }
        if rest.is_empty() {
            Ok(first)
        } else {
            let pos = first.pos;
            Ok(node(ExprKind::Arith(Box::new(first), rest), pos))
        }
    }

    fn unary(&mut self) -> R<Expr> {
        let pos = self.pos();
        let ctor: fn(Box<Expr>) -> ExprKind = match self.peek() {
            Tok::Bang => ExprKind::Not,
            Tok::Minus => ExprKind::Neg,
            Tok::Plus => ExprKind::Pos,
            _ if self.is_word("not") => ExprKind::Not,
            _ => return self.postfix(),
        };
        self.bump();
        let inner = self.nested(Self::unary)?;
        Ok(node(ctor(Box::new(inner)), pos))
    }

    fn postfix(&mut self) -> R<Expr> {
        let base = self.primary()?;
        let mut segs = Vec::new();
        loop {
            let pos = self.pos();
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    let name_pos = self.pos();
                    let Tok::Ident(name) = self.bump() else {
                        self.i -= 1;
                        return self.unexpected("a property or method name after '.'");
                    };
                    if matches!(self.peek(), Tok::LParen) {
                        let method = self.method(&name, name_pos)?;
                        let args = self.args()?;
                        check_arity(method.name(), method_arity(method), args.len(), name_pos)?;
                        segs.push(Seg::Method(method, args, name_pos));
                    } else {
                        segs.push(Seg::Prop(name.into()));
                    }
                }
                Tok::LBracket => {
                    self.bump();
                    let index = self.expr()?;
                    self.expect(&Tok::RBracket, "']'")?;
                    segs.push(Seg::Index(index, pos));
                }
                Tok::Project => {
                    self.bump();
                    self.projection += 1;
                    let inner = self.expr();
                    self.projection -= 1;
                    let inner = inner?;
                    self.expect(&Tok::RBracket, "']' closing the projection")?;
                    segs.push(Seg::Project(inner, pos));
                }
                Tok::Select => return unsupported("collection selection (.?[ ], .^[ ], .$[ ])", pos),
                Tok::SafeNav => return unsupported("safe navigation (?.)", pos),
                _ => break,
            }
        }
        if segs.is_empty() {
            Ok(base)
        } else {
            let pos = base.pos;
            Ok(node(ExprKind::Path(Box::new(base), segs), pos))
        }
    }

    fn method(&self, name: &str, pos: Position) -> R<Method> {
        Ok(match name {
            "getGroups" => Method::Groups,
            "getInternalProperty" => Method::InternalProperty,
            "getLinkedObject" => Method::LinkedObject,
            "isMemberOf" => {
                return Err(ParseError::new(
                    ParseErrorKind::Unsupported("user.isMemberOf (Identity Engine only)".into()),
                    pos,
                )
                .with_hint("use user.getGroups(...) or isMemberOfGroup(...)"));
            }
            _ => {
                let known = ["getGroups", "getInternalProperty", "getLinkedObject"];
                let e = ParseError::new(ParseErrorKind::UnknownMethod(name.into()), pos);
                return Err(match functions::suggest(name, known.into_iter()) {
                    Some(s) => e.with_hint(format!("did you mean {s}?")),
                    None => e,
                });
            }
        })
    }

    fn args(&mut self) -> R<Vec<Expr>> {
        self.expect(&Tok::LParen, "'('")?;
        let mut args = Vec::new();
        if matches!(self.peek(), Tok::RParen) {
            self.bump();
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            match self.bump() {
                Tok::Comma => {}
                Tok::RParen => return Ok(args),
                _ => {
                    self.i -= 1;
                    return self.unexpected("',' or ')'");
                }
            }
        }
    }

    fn primary(&mut self) -> R<Expr> {
        let pos = self.pos();
        let kind = match self.bump() {
            Tok::Int(i) => ExprKind::Int(i),
            Tok::Float(f) => ExprKind::Float(f),
            Tok::Str(s) => ExprKind::Str(s.into()),
            Tok::LParen => {
                let e = self.expr()?;
                self.expect(&Tok::RParen, "')'")?;
                return Ok(e);
            }
            Tok::LBrace => return self.nested(|p| p.brace(pos)),
            Tok::Ident(name) => return self.identifier(name, pos),
            Tok::Hash => return unsupported("variable and function references (#)", pos),
            Tok::At => return unsupported("bean references (@)", pos),
            _ => {
                self.i -= 1;
                return self.unexpected("a value");
            }
        };
        Ok(node(kind, pos))
    }

    /// After `{`: a list `{a, b}`, a map `{'k': v}`, `{}` or `{:}`.
    fn brace(&mut self, pos: Position) -> R<Expr> {
        if matches!(self.peek(), Tok::RBrace) {
            self.bump();
            return Ok(node(ExprKind::List(Vec::new()), pos));
        }
        if matches!(self.peek(), Tok::Colon) && matches!(self.peek_at(1), Tok::RBrace) {
            self.bump();
            self.bump();
            return Ok(node(ExprKind::Map(Vec::new()), pos));
        }
        let is_map = matches!(self.peek(), Tok::Str(_) | Tok::Ident(_)) && matches!(self.peek_at(1), Tok::Colon);
        if is_map {
            let mut entries = Vec::new();
            loop {
                let key = match self.bump() {
                    Tok::Str(s) | Tok::Ident(s) => s,
                    _ => {
                        self.i -= 1;
                        return self.unexpected("a map key");
                    }
                };
                self.expect(&Tok::Colon, "':' after the map key")?;
                entries.push((key.into_boxed_str(), self.expr()?));
                match self.bump() {
                    Tok::Comma => {}
                    Tok::RBrace => return Ok(node(ExprKind::Map(entries), pos)),
                    _ => {
                        self.i -= 1;
                        return self.unexpected("',' or '}'");
                    }
                }
            }
        }
        let mut items = Vec::new();
        loop {
            items.push(self.expr()?);
            match self.bump() {
                Tok::Comma => {}
                Tok::RBrace => return Ok(node(ExprKind::List(items), pos)),
                _ => {
                    self.i -= 1;
                    return self.unexpected("',' or '}'");
                }
            }
        }
    }

    fn identifier(&mut self, name: String, pos: Position) -> R<Expr> {
        let lit = match name.to_ascii_lowercase().as_str() {
            "true" => Some(ExprKind::Bool(true)),
            "false" => Some(ExprKind::Bool(false)),
            "null" => Some(ExprKind::Null),
            _ => None,
        };
        if let Some(kind) = lit {
            return Ok(node(kind, pos));
        }
        if matches!(self.peek(), Tok::LParen) {
            return self.call(name, pos);
        }
        if NAMESPACES.contains(&name.as_str()) {
            self.expect(&Tok::Dot, "'.' after a function namespace")?;
            let member_pos = self.pos();
            let Tok::Ident(member) = self.bump() else {
                self.i -= 1;
                return self.unexpected("a function name");
            };
            if !matches!(self.peek(), Tok::LParen) {
                return self.unexpected("'(' after a function name");
            }
            return self.call(format!("{name}.{member}"), member_pos);
        }
        let root = match name.as_str() {
            "user" => Root::User,
            "appuser" => Root::AppUser,
            "app" => Root::App,
            "org" => Root::Org,
            "access" => Root::Access,
            "group" if self.group_mode => Root::Group,
            "session" | "idpuser" => {
                return unsupported(&format!("{name} in token claim expressions"), pos);
            }
            "new" => return unsupported("constructor references (new)", pos),
            _ if self.projection > 0 => return Ok(node(ExprKind::This(name.into()), pos)),
            _ => {
                let e = ParseError::new(ParseErrorKind::UnknownIdentifier(name.clone()), pos);
                let candidates = ROOTS.iter().chain(NAMESPACES).copied();
                return Err(match functions::suggest(&name, candidates) {
                    Some(s) => e.with_hint(format!("did you mean {s}?")),
                    None if matches!(self.peek(), Tok::Dot) => {
                        e.with_hint("explicit app references aren't supported in OAuth 2.0/OIDC custom claims")
                    }
                    None => e.with_hint("text must be quoted, e.g. \"value\""),
                });
            }
        };
        Ok(node(ExprKind::Root(root), pos))
    }

    fn call(&mut self, name: String, pos: Position) -> R<Expr> {
        let Some(spec) = functions::lookup(&name) else {
            if let Some((_, why)) = UNSUPPORTED.iter().find(|(n, _)| *n == name) {
                return Err(ParseError::new(ParseErrorKind::Unsupported(name), pos).with_hint(*why));
            }
            if name == "T" {
                return unsupported("type references T(...)", pos);
            }
            let e = ParseError::new(ParseErrorKind::UnknownFunction(name.clone()), pos);
            let candidates = FUNCTIONS.iter().map(|s| s.name);
            return Err(match functions::suggest(&name, candidates) {
                Some(s) => e.with_hint(format!("did you mean {s}?")),
                None => e,
            });
        };
        if self.group_mode && spec.func == Func::GetFilteredGroups {
            return unsupported("getFilteredGroups inside a group expression", pos);
        }
        let args = self.args()?;
        check_arity(spec.name, (spec.min, spec.max), args.len(), pos)?;
        if spec.func == Func::StringSwitch && args.len() % 2 != 0 {
            return err(
                ParseErrorKind::Arity {
                    function: spec.name.into(),
                    expected: "an input, a default and key/value pairs (an even number)".into(),
                    found: args.len(),
                },
                pos,
            );
        }
        let prepared = self.prepare(spec.func, spec.name, &args)?;
        let call = Call {
            func: spec.func,
            name: spec.name,
            args,
            prepared,
        };
        Ok(node(ExprKind::Call(Box::new(call)), pos))
    }

    fn prepare(&self, func: Func, name: &str, args: &[Expr]) -> R<Prepared> {
        let invalid = |reason: String, pos: Position| {
            ParseError::new(
                ParseErrorKind::InvalidArgument {
                    function: name.into(),
                    reason,
                },
                pos,
            )
        };
        if func == Func::GetFilteredGroups {
            if let Some(Expr {
                kind: ExprKind::Str(src),
                pos,
            }) = args.get(1)
            {
                let e = parse(src, true).map_err(|e| invalid(format!("group expression: {e}"), *pos))?;
                return Ok(Prepared::GroupExpr(Box::new(e)));
            }
            return Ok(Prepared::None);
        }
        let literals: Vec<Option<&str>> = args
            .iter()
            .map(|a| match &a.kind {
                ExprKind::Str(s) => Some(&**s),
                _ => None,
            })
            .collect();
        let pos = args.first().map_or(self.pos(), |a| a.pos);
        functions::prepare_literals(func, &literals).map_err(|r| invalid(r, pos))
    }
}

fn fold_list(mut items: Vec<Expr>, pos: Position, ctor: fn(Vec<Expr>) -> ExprKind) -> Expr {
    match items.pop() {
        Some(only) if items.is_empty() => only,
        Some(last) => {
            items.push(last);
            node(ctor(items), pos)
        }
        None => node(ctor(items), pos),
    }
}

fn method_arity(m: Method) -> (usize, Option<usize>) {
    match m {
        Method::Groups => (0, None),
        Method::InternalProperty | Method::LinkedObject => (1, Some(1)),
    }
}

fn check_arity(name: &str, (min, max): (usize, Option<usize>), found: usize, pos: Position) -> R<()> {
    if found >= min && max.is_none_or(|m| found <= m) {
        return Ok(());
    }
    let expected = match max {
        Some(m) if m == min => m.to_string(),
        Some(m) => format!("{min} to {m}"),
        None => format!("at least {min}"),
    };
    err(
        ParseErrorKind::Arity {
            function: name.into(),
            expected,
            found,
        },
        pos,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(src: &str) -> ParseError {
        match parse(src, false) {
            Ok(e) => panic!("{src}: expected an error, parsed {e:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn unknown_function_is_positioned_with_suggestion() {
        // Brief example: a misspelt String function.
        let e = error(r#"String.substrngAfter(user.login, "@")"#);
        assert_eq!(
            e.to_string(),
            "unknown function String.substrngAfter at 1:8; did you mean String.substringAfter?"
        );
        let e = error("  isMemberOfGroupNam('x')");
        assert_eq!(e.pos, Position { line: 1, column: 3 });
        assert_eq!(e.hint.as_deref(), Some("did you mean isMemberOfGroupName?"));
    }

    #[test]
    fn arity_is_checked() {
        let e = error("String.len('a', 'b')");
        assert_eq!(e.to_string(), "String.len expects 1 argument(s), found 2 at 1:8");
        assert!(matches!(
            error("getFilteredGroups({})").kind,
            ParseErrorKind::Arity { .. }
        ));
        assert!(matches!(
            error("String.stringSwitch('a', 'd', 'k')").kind,
            ParseErrorKind::Arity { .. }
        ));
        assert!(matches!(
            error("user.getInternalProperty()").kind,
            ParseErrorKind::Arity { .. }
        ));
        assert!(matches!(
            error("Time.now('UTC', 'yyyy', 1)").kind,
            ParseErrorKind::Arity { .. }
        ));
    }

    #[test]
    fn bare_words_and_unknown_names() {
        // Reference §1.2: a bare word without quotes is not a value.
        let e = error("Sales");
        assert!(matches!(e.kind, ParseErrorKind::UnknownIdentifier(_)));
        assert_eq!(e.hint.as_deref(), Some("text must be quoted, e.g. \"value\""));
        assert_eq!(error("usr.login").hint.as_deref(), Some("did you mean user?"));
        // Reference §1.5: explicit app references are not supported in OAuth claims.
        let e = error("google.email");
        assert!(e.hint.as_deref().is_some_and(|h| h.contains("explicit app references")));
        assert!(matches!(
            error("user.getGroop()").kind,
            ParseErrorKind::UnknownMethod(_)
        ));
        assert!(matches!(error("String.len").kind, ParseErrorKind::Unexpected { .. }));
        assert!(matches!(error("group.name").kind, ParseErrorKind::UnknownIdentifier(_)));
        assert!(parse("group.name", true).is_ok());
    }

    #[test]
    fn unsupported_features_are_rejected() {
        // Reference §1.3 (unsupported SpEL features) and §1.5 (session, idpuser).
        for src in [
            "user.login = 'x'",
            "user?.login",
            "user.groups.?[name == 'x']",
            "2 ^ 3",
            "#root",
            "@bean",
            "T(java.lang.Math)",
            "new String('x')",
            "1 instanceof 2",
            "session.amr",
            "idpuser.email",
            "getManagerUser('active_directory').firstName",
            "user.isMemberOf({'group.id': 'x'})",
            "getFilteredGroups({'x'}, 'getFilteredGroups({}, \"group.id\", 1)', 1)",
        ] {
            let e = error(src);
            assert!(
                matches!(
                    e.kind,
                    ParseErrorKind::Unsupported(_) | ParseErrorKind::InvalidArgument { .. }
                ),
                "{src}: {e}"
            );
        }
        assert_eq!(error("user.login = 'x'").hint.as_deref(), Some("use == to compare"));
    }

    #[test]
    fn literal_arguments_are_checked_once() {
        assert!(matches!(
            error("isMemberOfGroupNameRegex('(')").kind,
            ParseErrorKind::InvalidArgument { .. }
        ));
        assert!(matches!(
            error("user.title matches '['").kind,
            ParseErrorKind::InvalidArgument { .. }
        ));
        assert!(matches!(
            error("Time.now('Mars/Base')").kind,
            ParseErrorKind::InvalidArgument { .. }
        ));
        assert!(matches!(
            error("Time.now('UTC', 'qqq')").kind,
            ParseErrorKind::InvalidArgument { .. }
        ));
        assert!(matches!(
            error("getFilteredGroups({'x'}, 'group.', 1)").kind,
            ParseErrorKind::InvalidArgument { .. }
        ));
        let e = parse("isMemberOfGroupNameRegex('/adm.*/')", false).map(|e| e.kind);
        assert!(matches!(e, Ok(ExprKind::Call(c)) if matches!(c.prepared, Prepared::Regex(_))));
        let e = parse("getFilteredGroups({'x'}, 'group.name', 1)", false).map(|e| e.kind);
        assert!(matches!(e, Ok(ExprKind::Call(c)) if matches!(c.prepared, Prepared::GroupExpr(_))));
    }

    #[test]
    fn syntax_errors() {
        assert!(matches!(error("").kind, ParseErrorKind::Empty));
        assert!(matches!(error("   ").kind, ParseErrorKind::Empty));
        let e = error("1 +");
        assert_eq!(e.to_string(), "unexpected end of expression; expected a value at 1:4");
        let e = error("(1 + 2");
        assert!(matches!(e.kind, ParseErrorKind::Unexpected { expected: "')'", .. }));
        assert!(matches!(error("1 2").kind, ParseErrorKind::Unexpected { .. }));
        assert!(matches!(error("1 < 2 < 3").kind, ParseErrorKind::Unexpected { .. }));
        assert!(matches!(error("{1, }").kind, ParseErrorKind::Unexpected { .. }));
        assert!(matches!(error("a ? b").kind, ParseErrorKind::UnknownIdentifier(_)));
        assert!(matches!(error("true ? 1").kind, ParseErrorKind::Unexpected { .. }));
        let e = error("true &&\n  )");
        assert_eq!(e.pos, Position { line: 2, column: 3 });
    }

    #[test]
    fn nesting_and_length_are_bounded() {
        // Bounded input (design principle 4): no stack overflow on any input.
        for src in [
            "(".repeat(100_000),
            "!".repeat(100_000),
            format!("{}1", "-".repeat(100_000)),
        ] {
            assert!(matches!(error(&src).kind, ParseErrorKind::TooLong { .. }));
        }
        for src in [
            format!("{}1{}", "(".repeat(2000), ")".repeat(2000)),
            format!("{}true", "!".repeat(4000)),
            format!("{}1", "not ".repeat(1000)),
            format!("{}1{}", "{".repeat(2000), "}".repeat(2000)),
            format!("{}1", "true ? 1 : ".repeat(300)),
            format!("{}{}", "toUpperCase(".repeat(300), ")".repeat(300)),
        ] {
            assert!(
                matches!(error(&src).kind, ParseErrorKind::TooDeep { .. }),
                "{}",
                &src[..20]
            );
        }
        let ok = format!("{}1{}", "(".repeat(MAX_DEPTH - 1), ")".repeat(MAX_DEPTH - 1));
        assert!(parse(&ok, false).is_ok());
    }

    #[test]
    fn precedence_shapes() {
        let e = parse("a_b", false).err();
        assert!(e.is_some());
        let e = parse("1 + 2 * 3 == 7 && true || false", false).map(|e| e.kind);
        assert!(matches!(e, Ok(ExprKind::Or(v)) if matches!(v[0].kind, ExprKind::And(_))));
        let e = parse("1 - 2 + 3", false).map(|e| e.kind);
        assert!(matches!(e, Ok(ExprKind::Arith(_, rest)) if rest.len() == 2));
        let e = parse("user.a.b[0].c", false).map(|e| e.kind);
        assert!(matches!(e, Ok(ExprKind::Path(_, segs)) if segs.len() == 4));
    }
}
