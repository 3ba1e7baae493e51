//! Serving the router: HTTP/1.1 on a Tokio listener, with each caller's address as connection
//! info and a timeout on reading each request's headers, which `axum::serve` does not set.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use super::header_wait::{self, AnswerBody, HeaderWait};

/// How long a caller may take to send a request's headers by default ([`Serve::header_timeout`]).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to pause accepting after an error that is not one connection's (out of file
/// descriptors, say), rather than spinning on it.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Serves `router` (usually [`Okta::router`](super::Okta::router)) on `listener` over HTTP/1.1,
/// with each caller's address as [`ConnectInfo<SocketAddr>`] (which rate limits key on) and a
/// header read timeout ([`Serve::header_timeout`]). Start it with [`Serve::run`] or
/// [`Serve::run_until`].
///
/// `axum::serve` works too, but it sets no header read timeout: a caller that sends its headers
/// a byte at a time keeps a connection open as long as it likes. Bodies are the router's to
/// time ([`Okta::body_timeout`](super::Okta::body_timeout)), whichever serves it.
///
/// ```no_run
/// # async fn run(okta: authserver::axum::Okta<authserver::store::MemoryConfigStore, authserver::store::MemoryDirectory, authserver::store::MemoryGrantStore>) -> std::io::Result<()> {
/// use std::time::Duration;
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// authserver::axum::serve(listener, okta.router())
///     .header_timeout(Duration::from_secs(5))
///     .run_until(async { tokio::signal::ctrl_c().await.unwrap_or_default() })
///     .await;
/// # Ok(())
/// # }
/// ```
pub fn serve(listener: TcpListener, router: Router) -> Serve {
    Serve {
        listener,
        router,
        header_timeout: DEFAULT_HEADER_TIMEOUT,
    }
}

/// A router about to be served ([`serve`]).
#[must_use = "nothing is served until `run` or `run_until` is awaited"]
pub struct Serve {
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
}

impl Serve {
    /// How long a caller may take to send a request's headers ([`DEFAULT_HEADER_TIMEOUT`] unless
    /// set), counted from the moment the connection waits for them: the first request's after
    /// the connection opens, each later one's once the previous answer has been written. A
    /// connection whose headers are not all in by then is closed, so the timeout
    /// is also how long an idle keep-alive connection stays open. One timer per connection keeps
    /// it, not one per request.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// Serves until the task is dropped.
    pub async fn run(self) {
        self.run_until(std::future::pending()).await;
    }

    /// Serves until `shutdown` completes, then stops accepting, lets each connection finish the
    /// request it is answering (idle ones close at once), and returns when all have closed.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) {
        let Serve {
            listener,
            router,
            header_timeout,
        } = self;
        let service = TowerToHyperService::new(router);
        // Connections watch `stop` for the shutdown, and each holds a `done` sender until it has
        // closed: when the receiver sees every sender gone, every connection is.
        let (stop, stopping) = watch::channel(());
        let (done, mut all_done) = mpsc::channel::<()>(1);
        let mut shutdown = pin!(shutdown);
        loop {
            let (stream, caller) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        accept_failed(&error).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let service = service.clone();
            let wait = Arc::new(HeaderWait::new());
            let marks = Arc::clone(&wait);
            let with_caller = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                // Not answered when the header timeout has already closed the connection.
                let answer = marks.answering().then(|| {
                    request.extensions_mut().insert(ConnectInfo::<SocketAddr>(caller));
                    hyper::service::Service::call(&service, request.map(Body::new))
                });
                let marks = Arc::clone(&marks);
                async move {
                    let response = match answer {
                        Some(answer) => answer.await?,
                        None => StatusCode::REQUEST_TIMEOUT.into_response(),
                    };
                    Ok::<_, Infallible>(response.map(|body| AnswerBody::new(body, marks)))
                }
            });
            let mut stopping = stopping.clone();
            let done = done.clone();
            let connection = tokio::spawn(async move {
                // No hyper timer: the watchdog keeps the header timeout.
                let mut builder = http1::Builder::new();
                builder.header_read_timeout(None);
                let mut connection = pin!(builder.serve_connection(TokioIo::new(stream), with_caller));
                let result = tokio::select! {
                    result = connection.as_mut() => result,
                    _ = stopping.changed() => {
                        connection.as_mut().graceful_shutdown();
                        connection.await
                    }
                };
                if let Err(error) = result {
                    tracing::debug!(%caller, %error, "connection ended with an error");
                }
                drop(done);
            });
            header_wait::abort_on_expiry(connection, wait, header_timeout);
        }
        drop(listener);
        let _ = stop.send(());
        drop(done);
        let _ = all_done.recv().await;
    }
}

/// Handles an error accepting a connection: one connection's failure is skipped; anything else
/// is logged and waited out briefly.
async fn accept_failed(error: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed; retrying in a second");
    tokio::time::sleep(ACCEPT_BACKOFF).await;
}
