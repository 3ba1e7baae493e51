//! The harness the modules run on: an `authserver` process over memory seeded from `org.json`
//! (`host`), the plans' variants and authorization requests (`request`), a scripted browser that
//! signs the user in and lands on the client's redirect URI (`browser`), the client's calls to the
//! token and userinfo endpoints (`endpoints`), the checks the suite's conditions make, one function
//! per condition or sequence (`checks`), and the happy flow every module starts with (`flow`).
//!
//! The host serves plain http on loopback, so the suite's https-only conditions
//! (`CheckDiscEndpointAllEndpointsAreHttps`, `CheckDiscEndpointDiscoveryUrl`'s scheme rule, the
//! `https` part of `AbstractJsonUriIsValidAndHttps` and `CheckDiscEndpointIssuerIsValidUrl`) are
//! checked for everything but the scheme.

mod browser;
mod checks;
mod endpoints;
mod flow;
mod host;
mod request;

pub use browser::*;
pub use checks::*;
pub use endpoints::*;
pub use flow::*;
pub use host::*;
pub use request::*;
