//! Building blocks of the OAuth endpoints (authorize, token, introspect, revoke, …): request
//! parameters as RFC 6749 requires them to be read, and client credentials from the
//! `Authorization` header.

mod params;

pub use params::{MAX_PARAMS_LEN, Params, ParamsError, basic_credentials};
