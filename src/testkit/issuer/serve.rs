//! A [`TestIssuer`] over HTTP on a loopback port (features `testkit` and `axum`), for code under
//! test that fetches discovery and the JWKS itself.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{TestIssuer, TestIssuerBuilder};
use crate::axum::{ApiToken, Okta};

/// The management API token of a served issuer (`Authorization: SSWS {API_TOKEN}`).
pub const API_TOKEN: &str = "00test-issuer-api-token";

/// A [`TestIssuer`] answering HTTP on `127.0.0.1` with Okta's paths (the [`Okta`] router):
/// discovery, the JWKS, every OAuth endpoint, `/api/v1/authn`, the sign-in page and the
/// management API (token [`API_TOKEN`]). Its issuer URL names the port it listens on. It stops
/// when dropped.
///
/// It dereferences to the [`TestIssuer`], so minting, configuring and moving time work as
/// before; tokens minted either way carry the served issuer.
pub struct ServedIssuer {
    issuer: TestIssuer,
    base_url: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl ServedIssuer {
    /// The base URL (`http://127.0.0.1:PORT`); the issuer is `{base}/oauth2/default`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl Deref for ServedIssuer {
    type Target = TestIssuer;

    fn deref(&self) -> &TestIssuer {
        &self.issuer
    }
}

impl Drop for ServedIssuer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}

impl TestIssuerBuilder {
    /// Starts the issuer on an ephemeral loopback port, inside the current Tokio runtime; the base
    /// URL given to [`base_url`](Self::base_url) is replaced by the port's.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn serve(self) -> std::io::Result<ServedIssuer> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let issuer = self.base_url(base_url.clone()).start();
        let router = Okta::new(Arc::clone(issuer.server()))
            .admin(ApiToken::new(API_TOKEN))
            .router();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            crate::axum::serve(listener, router).run_until(shutdown).await;
        });
        Ok(ServedIssuer {
            issuer,
            base_url,
            stop: Some(stop),
            task,
        })
    }
}

impl TestIssuer {
    /// A [`TestIssuer`] with every default, served on an ephemeral loopback port; see
    /// [`ServedIssuer`].
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn serve() -> std::io::Result<ServedIssuer> {
        Self::builder().serve().await
    }
}
