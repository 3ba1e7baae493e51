//! `GET /api/v1/logs`: Okta's System Log API, answered by [`crate::event::system_log::answer`]
//! from the event log the host gives, for administrators.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;
use time::OffsetDateTime;

use super::metrics::Endpoint;
use super::wire::{add_headers, respond_api};
use super::{Shared, admit};
use crate::admin::ApiResponse;
use crate::event::{EventLog, system_log};
use crate::ratelimit::category;
use crate::store::{ConfigStore, Directory, GrantStore};

/// An [`EventLog`] behind a pointer (its `impl Future` keeps it from being a `dyn` object).
pub(crate) trait SystemLog: Send + Sync {
    /// The answer to `GET /api/v1/logs?{query}` at `now`.
    fn answer<'a>(
        &'a self,
        query: &'a str,
        now: OffsetDateTime,
    ) -> Pin<Box<dyn Future<Output = ApiResponse> + Send + 'a>>;
}

impl<L: EventLog + 'static> SystemLog for Arc<L> {
    fn answer<'a>(
        &'a self,
        query: &'a str,
        now: OffsetDateTime,
    ) -> Pin<Box<dyn Future<Output = ApiResponse> + Send + 'a>> {
        Box::pin(system_log::answer(self.as_ref(), query, now))
    }
}

/// `GET /api/v1/logs`, for administrators (see [`super::AdminCheck`]).
pub(crate) async fn logs<C, D, G>(State(shared): State<Arc<Shared<C, D, G>>>, request: Request) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    let observation = shared.observe(Endpoint::SystemLog, &request, None);
    let answer = async {
        let admitted = match admit(&shared, category::LOGS, request).await {
            Ok(admitted) => admitted,
            Err(response) => return response,
        };
        let query = admitted.parts.uri.query().unwrap_or("");
        let Some(log) = &shared.system_log else {
            return super::wire::api_error(&crate::admin::ApiError::path_not_found());
        };
        let mut response = respond_api(log.answer(query, shared.clock.now()).await);
        add_headers(&mut response, &admitted.headers);
        response
    };
    shared.finish(&observation, answer).await
}
