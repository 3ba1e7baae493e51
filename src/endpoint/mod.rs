//! The OAuth endpoints' request and response values: request parameters as RFC 6749 requires
//! them to be read, client credentials from the `Authorization` header, OAuth errors, and
//! responses for the host to write out. The endpoints themselves are methods of
//! [`AuthServer`](crate::AuthServer).

mod error;
mod params;
mod response;

pub use error::{ErrorCode, OAuthError};
pub use params::{MAX_PARAMS_LEN, Params, ParamsError, basic_credentials};
pub use response::{Body, EndpointResponse};
