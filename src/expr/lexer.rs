//! Tokenizer: source text to a flat list of positioned tokens.
//!
//! String literals use either quote style; a quote inside is written twice (`'it''s'`),
//! and a backslash is an ordinary character (Okta's Expression Language reference).

use crate::expr::error::{ParseError, ParseErrorKind, Position};

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Colon,
    Question,
    /// `?:`
    Elvis,
    /// `?.` (rejected by the parser)
    SafeNav,
    /// `.![`
    Project,
    /// `.?[`, `.^[`, `.$[` (rejected by the parser)
    Select,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Caret,
    EqEq,
    NotEq,
    Lt,
    Gt,
    Le,
    Ge,
    Bang,
    AndAnd,
    OrOr,
    /// `=` (rejected by the parser)
    Assign,
    /// `#`, `@` (rejected by the parser)
    Hash,
    At,
    Eof,
}

impl Tok {
    /// A short description for error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("identifier {s}"),
            Tok::Str(_) => "string literal".into(),
            Tok::Int(i) => format!("number {i}"),
            Tok::Float(f) => format!("number {f}"),
            Tok::Eof => "end of expression".into(),
            other => format!("'{}'", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Dot => ".",
            Tok::Colon => ":",
            Tok::Question => "?",
            Tok::Elvis => "?:",
            Tok::SafeNav => "?.",
            Tok::Project => ".![",
            Tok::Select => ".?[",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::Caret => "^",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::Gt => ">",
            Tok::Le => "<=",
            Tok::Ge => ">=",
            Tok::Bang => "!",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Assign => "=",
            Tok::Hash => "#",
            Tok::At => "@",
            Tok::Ident(_) | Tok::Str(_) | Tok::Int(_) | Tok::Float(_) | Tok::Eof => "",
        }
    }
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: Position,
}

struct Lexer<'s> {
    chars: std::iter::Peekable<std::str::Chars<'s>>,
    pos: Position,
}

impl Lexer<'_> {
    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.pos.line = self.pos.line.saturating_add(1);
            self.pos.column = 1;
        } else {
            self.pos.column = self.pos.column.saturating_add(1);
        }
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Peeks the character after the next one.
    fn peek2(&self) -> Option<char> {
        let mut it = self.chars.clone();
        it.next();
        it.next()
    }
}

/// Splits `src` into tokens, ending with [`Tok::Eof`].
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, ParseError> {
    let mut lx = Lexer {
        chars: src.chars().peekable(),
        pos: Position::START,
    };
    let mut out = Vec::new();
    loop {
        while matches!(lx.peek(), Some(c) if c.is_whitespace()) {
            lx.bump();
        }
        let pos = lx.pos;
        let Some(c) = lx.bump() else {
            out.push(Token { tok: Tok::Eof, pos });
            return Ok(out);
        };
        let tok = match c {
            '\'' | '"' => string(&mut lx, c, pos)?,
            '0'..='9' => number(&mut lx, c, pos)?,
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let mut s = String::from(c);
                while let Some(n) = lx.peek() {
                    if n.is_alphanumeric() || n == '_' || n == '$' {
                        s.push(n);
                        lx.bump();
                    } else {
                        break;
                    }
                }
                Tok::Ident(s)
            }
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '{' => Tok::LBrace,
            '}' => Tok::RBrace,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            ',' => Tok::Comma,
            ':' => Tok::Colon,
            '+' => Tok::Plus,
            '-' => Tok::Minus,
            '*' => Tok::Star,
            '/' => Tok::Slash,
            '%' => Tok::Percent,
            '^' => Tok::Caret,
            '#' => Tok::Hash,
            '@' => Tok::At,
            '.' => {
                let next = lx.peek();
                if matches!(next, Some('!' | '?' | '^' | '$')) && lx.peek2() == Some('[') {
                    lx.bump();
                    lx.bump();
                    if next == Some('!') { Tok::Project } else { Tok::Select }
                } else {
                    Tok::Dot
                }
            }
            '?' => {
                if lx.eat(':') {
                    Tok::Elvis
                } else if lx.eat('.') {
                    Tok::SafeNav
                } else {
                    Tok::Question
                }
            }
            '=' => {
                if lx.eat('=') {
                    Tok::EqEq
                } else {
                    Tok::Assign
                }
            }
            '!' => {
                if lx.eat('=') {
                    Tok::NotEq
                } else {
                    Tok::Bang
                }
            }
            '<' => {
                if lx.eat('=') {
                    Tok::Le
                } else {
                    Tok::Lt
                }
            }
            '>' => {
                if lx.eat('=') {
                    Tok::Ge
                } else {
                    Tok::Gt
                }
            }
            '&' if lx.eat('&') => Tok::AndAnd,
            '|' if lx.eat('|') => Tok::OrOr,
            '&' | '|' => {
                let hint = if c == '&' { "use && or AND" } else { "use || or OR" };
                return Err(ParseError::new(ParseErrorKind::UnexpectedChar(c), pos).with_hint(hint));
            }
            '\u{2018}' | '\u{2019}' | '\u{201C}' | '\u{201D}' => {
                return Err(
                    ParseError::new(ParseErrorKind::UnexpectedChar(c), pos).with_hint("typographic quote; use ' or \"")
                );
            }
            other => return Err(ParseError::new(ParseErrorKind::UnexpectedChar(other), pos)),
        };
        out.push(Token { tok, pos });
    }
}

fn string(lx: &mut Lexer<'_>, quote: char, start: Position) -> Result<Tok, ParseError> {
    let mut s = String::new();
    loop {
        match lx.bump() {
            None => return Err(ParseError::new(ParseErrorKind::UnterminatedString, start)),
            Some(c) if c == quote => {
                if lx.eat(quote) {
                    s.push(quote);
                } else {
                    return Ok(Tok::Str(s));
                }
            }
            Some(c) => s.push(c),
        }
    }
}

fn number(lx: &mut Lexer<'_>, first: char, start: Position) -> Result<Tok, ParseError> {
    let mut text = String::from(first);
    let mut is_float = false;
    let digits = |lx: &mut Lexer<'_>, text: &mut String| {
        while let Some(d @ '0'..='9') = lx.peek() {
            text.push(d);
            lx.bump();
        }
    };
    digits(lx, &mut text);
    if lx.peek() == Some('.') && matches!(lx.peek2(), Some('0'..='9')) {
        is_float = true;
        text.push('.');
        lx.bump();
        digits(lx, &mut text);
    }
    if matches!(lx.peek(), Some('e' | 'E')) {
        let mut ahead = lx.chars.clone();
        ahead.next();
        let sign = ahead.peek().copied();
        let has_sign = matches!(sign, Some('+' | '-'));
        if has_sign {
            ahead.next();
        }
        if matches!(ahead.peek(), Some('0'..='9')) {
            is_float = true;
            text.push('e');
            lx.bump();
            if has_sign {
                text.extend(lx.bump());
            }
            digits(lx, &mut text);
        }
    }
    let invalid = || ParseError::new(ParseErrorKind::InvalidNumber(text.clone()), start);
    if is_float {
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Tok::Float(f)),
            _ => Err(invalid()),
        }
    } else {
        text.parse::<i64>().map(Tok::Int).map_err(|_| invalid())
    }
}

#[cfg(test)]
#[allow(clippy::approx_constant)] // 3.141 is the reference's documented literal
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        match tokenize(src) {
            Ok(t) => t.into_iter().map(|t| t.tok).collect(),
            Err(e) => panic!("tokenize {src:?}: {e}"),
        }
    }

    #[test]
    fn strings_in_both_quote_styles_with_doubled_quotes() {
        // Reference §1.2: both quote styles; SpEL doubles a quote inside a literal.
        assert_eq!(toks("'it''s'"), vec![Tok::Str("it's".into()), Tok::Eof]);
        assert_eq!(toks(r#""say ""hi""""#), vec![Tok::Str("say \"hi\"".into()), Tok::Eof]);
        assert_eq!(toks(r#""a'b""#), vec![Tok::Str("a'b".into()), Tok::Eof]);
    }

    #[test]
    fn backslash_is_ordinary() {
        // Reference §1.2: "XDOMAIN\" + ... yields XDOMAIN\wchurchill.
        assert_eq!(toks(r#""XDOMAIN\""#), vec![Tok::Str("XDOMAIN\\".into()), Tok::Eof]);
    }

    #[test]
    fn numbers_and_indexing() {
        assert_eq!(
            toks("1234 3.141 {1}[0] 1e3"),
            vec![
                Tok::Int(1234),
                Tok::Float(3.141),
                Tok::LBrace,
                Tok::Int(1),
                Tok::RBrace,
                Tok::LBracket,
                Tok::Int(0),
                Tok::RBracket,
                Tok::Float(1000.0),
                Tok::Eof
            ]
        );
        assert!(tokenize("99999999999999999999").is_err());
    }

    #[test]
    fn operators() {
        assert_eq!(
            toks("a ?: b ?. .![ .?[ == != <= >= && || ="),
            vec![
                Tok::Ident("a".into()),
                Tok::Elvis,
                Tok::Ident("b".into()),
                Tok::SafeNav,
                Tok::Project,
                Tok::Select,
                Tok::EqEq,
                Tok::NotEq,
                Tok::Le,
                Tok::Ge,
                Tok::AndAnd,
                Tok::OrOr,
                Tok::Assign,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn positions_are_line_and_column() {
        let t = tokenize("a\n  b").unwrap_or_default();
        assert_eq!(t[1].pos, Position { line: 2, column: 3 });
    }

    #[test]
    fn errors() {
        // Reference §1.2: smart quotes make the expression fail.
        let e = tokenize("\u{201C}x\u{201D}").err();
        assert!(matches!(
            e,
            Some(ParseError {
                kind: ParseErrorKind::UnexpectedChar('\u{201C}'),
                ..
            })
        ));
        let e = tokenize("'abc").err();
        assert!(matches!(
            e,
            Some(ParseError {
                kind: ParseErrorKind::UnterminatedString,
                ..
            })
        ));
        assert!(tokenize("a & b").is_err());
    }
}
