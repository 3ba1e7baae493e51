//! End to end over real HTTP: the library's axum adapter (`authserver::axum`) on an ephemeral
//! loopback port, driven by client libraries nobody here wrote — `openidconnect`, `oauth2`,
//! `reqwest` as the browser, `jsonwebtoken` as an independent verifier — and Okta's own Python and
//! Node SDKs (`okta_sdks`, when `.ci/okta-sdks` installed them).
//!
//! Each test starts its own server on the sample org (`examples/org.json`), with fixed keys, a
//! cheap password hash and (unless the test sets them) no rate limits, on the stores that
//! `AUTHSERVER_TEST_HOST_STORES` names: `memory` (the default), `sqlite` or `postgres` (a fresh
//! database on the server of `AUTHSERVER_TEST_POSTGRES`). CI runs the suite on all three.

#[path = "../sql_support/mod.rs"]
mod sql_support;
mod support;

mod adapter;
mod concurrency;
mod hardening;
mod host_checks;
mod management;
mod oauth2_flows;
mod oidc;
mod okta_sdks;
mod reauth;
mod requested_claims;
