//! The OpenID Foundation conformance suite's OP test modules, re-expressed over HTTP against the
//! example host (the `authserver` binary), one test per module, named after it.
//!
//! The plans: `oidcc-basic-certification-test-plan` (`code`), `oidcc-implicit-certification-test-plan`
//! (`id_token`, `id_token token`), `oidcc-hybrid-certification-test-plan` (`code id_token`,
//! `code token`, `code id_token token`), `oidcc-formpost-basic-certification-test-plan` (`code`
//! with `response_mode=form_post`), `oidcc-config-certification-test-plan`,
//! `oidcc-rp-initiated-logout-certification-test-plan`, and the module `oidcc-server-rotate-keys`.
//! A module that several plans run under several response types loops over those variants.
//!
//! Each test's doc comment names the module, its plans, and the conditions it asserts with their
//! levels (FAILURE or WARNING); both levels are asserted. The suite's clients are static clients
//! of `org.json` (the plans' `static_client`), the server metadata comes from discovery. Where the
//! suite waits for a human (a screenshot of an error page, a second login), the test looks at the
//! page or signs in again itself. The host serves plain http on loopback, so the https-only rules
//! are not checked (see `support`).

mod support;

mod discovery;
mod flows;
mod logout;
mod request_objects;
mod rotate_keys;
mod scopes;
mod sessions;
mod tokens;
mod userinfo;
