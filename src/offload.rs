//! Running slow, CPU-bound work (RSA key generation, password hashing) on a thread of its own,
//! so it never blocks an async executor's threads. Works under any executor.

/// The thread running the work ended without an answer (it panicked, or could not start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the background computation was interrupted")]
pub(crate) struct Interrupted;

/// Runs `work` on a new thread and awaits its result.
pub(crate) async fn on_own_thread<T, F>(work: F) -> Result<T, Interrupted>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (send, receive) = futures_channel::oneshot::channel();
    std::thread::Builder::new()
        .name("authserver-offload".into())
        .spawn(move || {
            // If the caller stopped waiting, the result is simply dropped.
            let _ = send.send(work());
        })
        .map_err(|_| Interrupted)?;
    receive.await.map_err(|_| Interrupted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_the_result_from_another_thread() {
        let caller = std::thread::current().id();
        let worker = on_own_thread(|| std::thread::current().id()).await.unwrap();
        assert_ne!(caller, worker);
    }

    #[tokio::test]
    async fn a_panicking_computation_is_interrupted_not_propagated() {
        let result: Result<(), Interrupted> = on_own_thread(|| panic!("boom")).await;
        assert_eq!(result, Err(Interrupted));
    }
}
