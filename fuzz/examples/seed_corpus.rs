//! Writes the seed corpora under `fuzz/corpus/<target>/` from the repository's tests (the
//! expression language's and the System Log filter's test inputs, read from their source files)
//! and from requests built here in the targets' own input formats (see `src/`), using the same
//! fixed keys, clients and ids the targets set up.
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example seed_corpus
//! ```
//!
//! Files are named by a hash of their content, so rerunning adds nothing twice; stale files are
//! not removed (delete the folder first to start over).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = fuzz.parent().expect("the fuzz crate sits in the repository");
    let corpus = fuzz.join("corpus");

    let expr_tests = read(&root.join("src/expr/tests.rs"));
    let mut expressions = literal_arguments(&expr_tests, &["eval(", "eval_err(", "run(", "Expression::parse("]);
    // The doctest of `authserver::expr` and a few shapes the tests build with `format!`.
    expressions.extend(
        [
            "(appuser != null) ? appuser.userName : app.clientId",
            r#"isMemberOfGroupName("Admins") ? "admin" : "user""#,
            "user.items.![n matches user.pattern]",
            "user.items.![user.items.![i]]",
            "1 + 1 + 1 + 1 + 1 + 1 + 1 + 1",
            "user.a.a.a.a.a.a.a.a",
            "true && true && true && true",
            "((((((((1))))))))",
        ]
        .map(String::from),
    );
    write_all(
        &corpus.join("expression"),
        expressions.iter().map(|s| s.as_bytes().to_vec()),
    );

    let filter_src = read(&root.join("src/event/filter.rs"));
    let tests = filter_src.split("mod tests").nth(1).unwrap_or_default();
    let mut filters = raw_literals(tests);
    filters.retain(|f| !f.is_empty());
    filters.extend(
        [
            "actor.alternateId pr",
            "debugContext.debugData.reasonCode pr",
            r#"severity ge "WARN""#,
            r#"eventType sw "app" and not (outcome.result eq "SUCCESS")"#,
        ]
        .map(String::from),
    );
    let mut system_log: Vec<Vec<u8>> = filters
        .iter()
        .map(|f| authserver_fuzz::events::filter_input(f))
        .collect();
    system_log.extend(
        authserver_fuzz::events::query_seeds()
            .into_iter()
            .map(String::into_bytes),
    );
    write_all(&corpus.join("system_log_filter"), system_log);

    write_all(&corpus.join("jose"), authserver_fuzz::jose::seeds());
    write_all(&corpus.join("params"), params_seeds());
    write_all(
        &corpus.join("management"),
        authserver_fuzz::management::seeds().into_iter().map(String::into_bytes),
    );
    write_all(
        &corpus.join("endpoints"),
        authserver_fuzz::endpoints::seeds().into_iter().map(String::into_bytes),
    );
}

/// Form bodies and queries of the kinds the endpoints receive, and `Authorization` headers, in
/// the `params` target's format: a first byte choosing what is parsed, then the text.
fn params_seeds() -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let forms = [
        "grant_type=client_credentials&scope=a%3Aread+b%3Awrite&empty=",
        "scope=a&scope=b",
        "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "client_id=0oa1&response_type=code&scope=openid%20profile&redirect_uri=https://app.example.com/callback&state=s&nonce=n&code_challenge_method=S256&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "token=abc&token_type_hint=refresh_token",
        "a=%FF%FE&b=%zz&=v&k=",
        "&&&=&a==b&",
        "grant_type=password&username=ann%40example.com&password=p%2Bw%26d",
    ];
    let headers = [
        format!("Basic {}", b64("client:secret")),
        format!("Basic {}", b64("my%20client:p%3Ass%25w+rd")),
        format!("basic {}", b64("a:b=c&d")),
        "Basic Y2xpZW50OnNlY3JldA==".to_owned(),
        "Bearer abc".to_owned(),
        "Basic !!!".to_owned(),
        format!("Basic {}", b64("no-colon")),
        format!("Basic {}", b64("%FF:x")),
    ];
    let mut out = Vec::new();
    for form in forms {
        out.push([b"P".as_slice(), form.as_bytes()].concat());
    }
    for header in headers {
        out.push([b"B".as_slice(), header.as_bytes()].concat());
    }
    out
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write_all(dir: &PathBuf, inputs: impl IntoIterator<Item = Vec<u8>>) {
    fs::create_dir_all(dir).expect("corpus folder");
    let mut written = BTreeSet::new();
    for input in inputs {
        let name = format!("{:016x}", fnv1a(&input));
        if written.insert(name.clone()) {
            fs::write(dir.join(name), &input).expect("corpus file");
        }
    }
    println!("{}: {} files", dir.display(), written.len());
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The string literals that directly follow any of `calls` (`eval(` then a literal).
fn literal_arguments(source: &str, calls: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for call in calls {
        let mut rest = source;
        while let Some(at) = rest.find(call) {
            let after = rest[at + call.len()..].trim_start();
            if let Some((literal, _)) = string_literal(after) {
                out.push(literal);
            }
            rest = &rest[at + call.len()..];
        }
    }
    out
}

/// Every raw string literal (`r"…"`, `r#"…"#`) in `source`.
fn raw_literals(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("r#\"").or_else(|| rest.find("r\"")) {
        match string_literal(&rest[at..]) {
            Some((literal, len)) => {
                out.push(literal);
                rest = &rest[at + len..];
            }
            None => rest = &rest[at + 1..],
        }
    }
    out
}

/// A Rust string literal at the start of `text` (plain with escapes, or raw), decoded, and its
/// length in the source.
fn string_literal(text: &str) -> Option<(String, usize)> {
    if let Some(raw) = text.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let body = raw[hashes..].strip_prefix('"')?;
        let close = format!("\"{}", "#".repeat(hashes));
        let end = body.find(&close)?;
        return Some((body[..end].to_owned(), 1 + hashes + 1 + end + close.len()));
    }
    let body = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 2)),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                'u' => {
                    let mut hex = String::new();
                    for (_, h) in chars.by_ref() {
                        match h {
                            '{' => {}
                            '}' => break,
                            h => hex.push(h),
                        }
                    }
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                '\n' => {
                    // A line continuation: the newline and the next line's indentation go.
                    let rest = chars.as_str();
                    let skip = rest.len() - rest.trim_start().len();
                    for _ in 0..rest[..skip].chars().count() {
                        chars.next();
                    }
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}
