//! The OAuth endpoints' request and response values: request parameters as RFC 6749 requires
//! them to be read, client credentials from the `Authorization` header, OAuth errors and the
//! reasons behind them ([`Reason`]), and responses for the host to write out. The endpoints themselves are methods of
//! [`AuthServer`](crate::AuthServer).

mod error;
#[cfg(feature = "http")]
mod http_types;
mod params;
mod reason;
mod refusal;
mod request;
mod response;

pub use error::{ErrorCode, OAuthError};
#[cfg(feature = "http")]
pub use http_types::HttpRequestError;
pub use params::{MAX_PARAMS_LEN, Params, ParamsError, basic_credentials};
pub use reason::{Reason, ServerFailure, TokenInvalid};
pub(crate) use refusal::Refusal;
pub use request::{EndpointRequest, Method, Session};
pub use response::{Body, EndpointResponse, Header, SharedJson};
