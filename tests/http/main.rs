//! End to end over real HTTP: the example server's router (`examples/server`) on an ephemeral
//! loopback port, driven by client libraries nobody here wrote — `openidconnect`, `oauth2`,
//! `reqwest` as the browser, `jsonwebtoken` as an independent verifier.
//!
//! Each test starts its own server on the sample org (`examples/org.json`), with fixed keys, a
//! cheap password hash and (unless the test sets them) no rate limits.

#[allow(dead_code)]
#[path = "../../examples/server/host/mod.rs"]
mod host;

mod support;

mod host_checks;
mod management;
mod oauth2_flows;
mod oidc;
