//! The expression language: parse any text; evaluate what parses against a full user context and
//! an empty one. A crash, a panic, or an input that runs past libFuzzer's `-timeout` is a finding:
//! every evaluation is bounded by `MAX_EVAL_STEPS`, so none should take long.
//!
//! Oracles beyond "no panic": evaluation is deterministic (the same result twice), the source is
//! kept as written, and a successful result is JSON that serializes.
#![no_main]

use std::sync::OnceLock;

use authserver::expr::{Expression, MAX_SOURCE_LEN};
use authserver_fuzz::expression::Fixture;
use libfuzzer_sys::fuzz_target;

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let fixture = FIXTURE.get_or_init(Fixture::new);
    let Ok(expression) = Expression::parse(source) else {
        return;
    };
    assert!(source.len() <= MAX_SOURCE_LEN, "an over-long source parsed");
    assert_eq!(expression.source(), source);
    let _ = expression.referenced_attributes();
    let first = fixture.with_context(|ctx| expression.evaluate(ctx));
    if let Ok(value) = &first {
        serde_json::to_vec(value).expect("a result serializes");
    }
    // Evaluation is a pure function of the expression and the context.
    let second = fixture.with_context(|ctx| expression.evaluate(ctx));
    assert_eq!(
        format!("{first:?}"),
        format!("{second:?}"),
        "evaluation is not deterministic"
    );
    let _ = Fixture::with_empty_context(|ctx| expression.evaluate(ctx));
});
