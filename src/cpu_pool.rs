//! [`CpuPool`]: a bounded pool of threads for CPU-heavy work (RSA signing, key generation,
//! password hashing, expensive claim expressions), so that it never holds an async executor's
//! threads. Works under any executor: callers await a `futures-channel` oneshot, nothing needs
//! Tokio.
//!
//! Bounds, and what happens at each:
//!
//! 1. At most [`threads`](CpuPool::threads) jobs run at once (default: the available
//!    parallelism). Threads start on demand, so a pool that is never used costs nothing.
//! 2. At most [`queue`](CpuPool::queue) jobs wait for a thread. When the queue is full, callers
//!    wait *asynchronously* for room, in no particular order; no thread is spawned and no
//!    executor thread is blocked, so requests that need no pool (`/v1/keys`, discovery,
//!    introspection) keep being answered.
//! 3. At most [`waiting`](CpuPool::waiting) callers wait for room. Beyond that the pool refuses
//!    at once with [`PoolError::Overloaded`] (the token endpoint answers `503
//!    temporarily_unavailable`): under sustained overload a quick refusal lets clients back
//!    off, where an ever-growing line of waiting requests would only hold memory and
//!    connections and answer after the client gave up.
//!
//! The threads end when the last handle to the pool is dropped: queued jobs are dropped (their
//! callers get [`PoolError::Interrupted`]), running ones finish, and the dropping thread joins
//! every worker, so no thread outlives the pool. Dropping the last handle therefore waits for the
//! jobs still running (bounded: every job the library submits is).

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use event_listener::Event;

/// Jobs that may wait for a thread, per thread, by default.
pub const DEFAULT_QUEUE_PER_THREAD: usize = 16;
/// Callers that may wait for room in the queue, by default.
pub const DEFAULT_WAITING: usize = 1024;

/// Why the pool returned no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// The queue was full and so many callers were already waiting for room that this one was
    /// refused. Retrying later may succeed.
    #[error("the CPU pool is overloaded")]
    Overloaded,
    /// The job ended without an answer: it panicked, no thread could be started, or the pool
    /// shut down first.
    #[error("the background computation was interrupted")]
    Interrupted,
}

impl From<PoolError> for crate::store::StoreError {
    /// An overloaded pool is [`Unavailable`](crate::store::StoreError::Unavailable) for now; an
    /// interrupted computation is a failure ([`Other`](crate::store::StoreError::Other)).
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Overloaded => Self::Unavailable(Box::new(error)),
            PoolError::Interrupted => Self::Other(Box::new(error)),
        }
    }
}

/// A bounded pool of threads for CPU-heavy work; see the [module documentation](self) for its
/// bounds and shutdown. Cloning gives another handle to the same pool.
///
/// ```
/// use authserver::cpu_pool::CpuPool;
///
/// let pool = CpuPool::new(2);
/// let answer = futures::executor::block_on(pool.run(|| 6 * 7));
/// assert_eq!(answer, Ok(42));
/// ```
#[derive(Clone)]
pub struct CpuPool {
    inner: Arc<Inner>,
}

/// What the handles share; dropping it shuts the pool down.
struct Inner {
    shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    threads: usize,
    waiting_limit: usize,
}

/// What the handles and the workers share.
struct Shared {
    state: Mutex<State>,
    /// Workers wait here for jobs.
    work: Condvar,
    /// Callers wait here for room in the queue.
    room: Event,
    /// How many callers wait for room.
    waiting: AtomicUsize,
    capacity: usize,
}

struct State {
    jobs: VecDeque<Job>,
    /// Workers started and not yet ended.
    started: usize,
    /// Workers waiting for a job.
    idle: usize,
    closed: bool,
}

type Job = Box<dyn FnOnce() + Send + 'static>;

impl Default for CpuPool {
    /// A pool with a thread per available core (one if that cannot be told).
    fn default() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
    }
}

impl std::fmt::Debug for CpuPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpuPool")
            .field("threads", &self.threads())
            .field("queue", &self.queue())
            .field("waiting", &self.waiting())
            .finish()
    }
}

impl CpuPool {
    /// A pool of `threads` threads (at least one), a queue of [`DEFAULT_QUEUE_PER_THREAD`] jobs
    /// per thread, and [`DEFAULT_WAITING`] callers allowed to wait for room.
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        Self::with_limits(
            threads,
            threads.saturating_mul(DEFAULT_QUEUE_PER_THREAD),
            DEFAULT_WAITING,
        )
    }

    /// A pool of `threads` threads (at least one) whose queue holds `queue` jobs (at least one)
    /// and which lets `waiting` callers wait for room before refusing with
    /// [`PoolError::Overloaded`].
    pub fn with_limits(threads: usize, queue: usize, waiting: usize) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                started: 0,
                idle: 0,
                closed: false,
            }),
            work: Condvar::new(),
            room: Event::new(),
            waiting: AtomicUsize::new(0),
            capacity: queue.max(1),
        });
        Self {
            inner: Arc::new(Inner {
                shared,
                workers: Mutex::new(Vec::new()),
                threads: threads.max(1),
                waiting_limit: waiting,
            }),
        }
    }

    /// How many jobs run at once, at most.
    pub fn threads(&self) -> usize {
        self.inner.threads
    }

    /// How many jobs wait for a thread, at most.
    pub fn queue(&self) -> usize {
        self.inner.shared.capacity
    }

    /// How many callers wait for room in the queue before the pool refuses.
    pub fn waiting(&self) -> usize {
        self.inner.waiting_limit
    }

    /// Runs `work` on one of the pool's threads and awaits its result; waits asynchronously
    /// while the queue is full.
    ///
    /// `work` is boxed when `run` is called, so the future holds a pointer to it rather than
    /// `work` itself: a caller's own future stays small however much `work` captures.
    ///
    /// # Errors
    /// [`PoolError::Overloaded`] when too many callers already wait for room;
    /// [`PoolError::Interrupted`] when `work` panicked or no thread could run it.
    pub fn run<T, F>(&self, work: F) -> impl Future<Output = Result<T, PoolError>> + Send + '_
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (send, receive) = futures_channel::oneshot::channel();
        let job: Job = Box::new(move || {
            // If the caller stopped waiting, the result is simply dropped.
            let _ = send.send(work());
        });
        self.queue_and_wait(job, receive)
    }

    /// Queues `job`, waiting for room while the queue is full, then awaits its result on
    /// `receive`.
    async fn queue_and_wait<T>(
        &self,
        mut job: Job,
        receive: futures_channel::oneshot::Receiver<T>,
    ) -> Result<T, PoolError> {
        let mut waiting = None;
        loop {
            job = match self.inner.push(job) {
                Ok(()) => break,
                Err(job) => job,
            };
            if waiting.is_none() {
                waiting = Some(Waiting::enter(&self.inner)?);
            }
            let room = self.inner.shared.room.listen();
            // Room may have been made between the failed push and listening.
            job = match self.inner.push(job) {
                Ok(()) => break,
                Err(job) => job,
            };
            room.await;
        }
        drop(waiting);
        receive.await.map_err(|_| PoolError::Interrupted)
    }
}

/// A caller counted as waiting for room, until dropped.
struct Waiting<'a>(&'a Shared);

impl<'a> Waiting<'a> {
    fn enter(inner: &'a Inner) -> Result<Self, PoolError> {
        let shared = inner.shared.as_ref();
        let before = shared.waiting.fetch_add(1, Ordering::AcqRel);
        if before >= inner.waiting_limit {
            shared.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(PoolError::Overloaded);
        }
        Ok(Self(shared))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Inner {
    /// Queues `job` if there is room, starting a thread if none is free; gives it back if not.
    fn push(&self, job: Job) -> Result<(), Job> {
        let mut state = self.shared.lock();
        if state.jobs.len() >= self.shared.capacity {
            return Err(job);
        }
        state.jobs.push_back(job);
        let start = state.idle == 0 && state.started < self.threads;
        if start {
            state.started += 1;
        }
        // A worker that is not waiting looks at the queue before it next waits, under the lock:
        // only a waiting one needs waking. Under load none is, and the wake-up (a system call
        // even with no one to wake) is saved.
        let wake = state.idle > 0;
        drop(state);
        if start {
            self.start_worker();
        } else if wake {
            self.shared.work.notify_one();
        }
        Ok(())
    }

    /// Starts a worker; if none can be started and none runs, the queued jobs are dropped so
    /// their callers learn it instead of waiting forever.
    fn start_worker(&self) {
        let shared = Arc::clone(&self.shared);
        let started = std::thread::Builder::new()
            .name("authserver-cpu".into())
            .spawn(move || shared.work_loop());
        match started {
            Ok(handle) => self.workers.lock().unwrap_or_else(PoisonError::into_inner).push(handle),
            Err(_) => {
                let mut state = self.shared.lock();
                state.started -= 1;
                let orphans = if state.started == 0 {
                    std::mem::take(&mut state.jobs)
                } else {
                    VecDeque::new()
                };
                drop(state);
                drop(orphans);
                self.shared.room.notify(usize::MAX);
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let orphans = {
            let mut state = self.shared.lock();
            state.closed = true;
            std::mem::take(&mut state.jobs)
        };
        drop(orphans);
        self.shared.work.notify_all();
        let me = std::thread::current().id();
        let workers = std::mem::take(self.workers.get_mut().unwrap_or_else(PoisonError::into_inner));
        for worker in workers {
            // A job holding the last handle drops it on a worker: that worker cannot join itself
            // and ends on its own once the job returns.
            if worker.thread().id() != me {
                let _ = worker.join();
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A worker: runs jobs until the pool closes.
    fn work_loop(&self) {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                self.room.notify(1);
                // A panicking job loses its answer (its caller gets `Interrupted`), not the
                // thread.
                let _ = catch_unwind(AssertUnwindSafe(job));
                state = self.lock();
            } else if state.closed {
                state.started -= 1;
                return;
            } else {
                state.idle += 1;
                state = self.work.wait(state).unwrap_or_else(PoisonError::into_inner);
                state.idle -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use futures::executor::block_on;
    use futures::future::join_all;

    use super::*;

    #[test]
    fn returns_the_result_from_another_thread() {
        let pool = CpuPool::new(1);
        let caller = std::thread::current().id();
        let worker = block_on(pool.run(|| std::thread::current().id())).unwrap();
        assert_ne!(caller, worker);
    }

    /// The future does not carry the work: its size is the same whatever the work captures.
    #[test]
    fn the_future_holds_the_work_boxed() {
        let pool = CpuPool::new(1);
        let small = pool.run(|| 1u8);
        let captured = [7u8; 4096];
        let large = pool.run(move || captured[4095]);
        assert_eq!(std::mem::size_of_val(&large), std::mem::size_of_val(&small));
        assert!(std::mem::size_of_val(&large) < 512);
        assert_eq!(block_on(large), Ok(7));
        assert_eq!(block_on(small), Ok(1));
    }

    #[test]
    fn a_panicking_job_is_interrupted_and_the_thread_survives() {
        let pool = CpuPool::new(1);
        let result: Result<(), PoolError> = block_on(pool.run(|| panic!("boom")));
        assert_eq!(result, Err(PoolError::Interrupted));
        assert_eq!(block_on(pool.run(|| 1)), Ok(1));
    }

    #[test]
    fn never_runs_more_jobs_at_once_than_it_has_threads() {
        let pool = CpuPool::with_limits(2, 1, 100);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs = (0..12).map(|_| {
            let (running, most) = (Arc::clone(&running), Arc::clone(&most));
            pool.run(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
                running.fetch_sub(1, Ordering::SeqCst);
                std::thread::current().id()
            })
        });
        let threads: std::collections::HashSet<_> = block_on(join_all(jobs)).into_iter().map(Result::unwrap).collect();
        assert!(most.load(Ordering::SeqCst) <= 2, "at most two jobs ran at once");
        assert!(threads.len() <= 2, "no thread beyond the two: {threads:?}");
    }

    /// Holds the pool's only thread until the returned sender sends.
    fn block_the_thread(pool: &CpuPool) -> (mpsc::Sender<()>, impl Future<Output = Result<(), PoolError>>) {
        let (release, blocked) = mpsc::channel::<()>();
        let (started, is_running) = mpsc::channel::<()>();
        let job = pool.run(move || {
            started.send(()).unwrap();
            blocked.recv().unwrap();
        });
        let mut job = Box::pin(job);
        // Polling once queues the job; the worker then takes it.
        assert!(futures::FutureExt::now_or_never(&mut job).is_none());
        is_running.recv().unwrap();
        (release, job)
    }

    #[test]
    fn a_caller_waits_for_room_and_beyond_the_waiting_limit_is_refused() {
        let pool = CpuPool::with_limits(1, 1, 1);
        let (release, running) = block_the_thread(&pool);
        // The queue's one place.
        let mut queued = Box::pin(pool.run(|| "queued"));
        assert!(futures::FutureExt::now_or_never(&mut queued).is_none());
        // The one caller allowed to wait for room.
        let mut waiting = Box::pin(pool.run(|| "waited"));
        assert!(futures::FutureExt::now_or_never(&mut waiting).is_none());
        // Nobody else.
        assert_eq!(block_on(pool.run(|| "refused")), Err(PoolError::Overloaded));
        release.send(()).unwrap();
        assert_eq!(block_on(running), Ok(()));
        assert_eq!(block_on(queued), Ok("queued"));
        assert_eq!(block_on(waiting), Ok("waited"));
        // Room again.
        assert_eq!(block_on(pool.run(|| "later")), Ok("later"));
    }

    #[test]
    fn a_caller_that_stops_waiting_frees_its_place() {
        let pool = CpuPool::with_limits(1, 1, 1);
        let (release, running) = block_the_thread(&pool);
        let mut queued = Box::pin(pool.run(|| ()));
        assert!(futures::FutureExt::now_or_never(&mut queued).is_none());
        let mut gave_up = Box::pin(pool.run(|| ()));
        assert!(futures::FutureExt::now_or_never(&mut gave_up).is_none());
        drop(gave_up);
        let mut waiting = Box::pin(pool.run(|| "waited"));
        assert!(futures::FutureExt::now_or_never(&mut waiting).is_none());
        release.send(()).unwrap();
        assert_eq!(block_on(running), Ok(()));
        assert_eq!(block_on(queued), Ok(()));
        assert_eq!(block_on(waiting), Ok("waited"));
    }

    #[test]
    fn dropping_the_last_handle_joins_the_threads() {
        let pool = CpuPool::new(2);
        let other = pool.clone();
        let (done, finished) = mpsc::channel::<()>();
        struct SignalOnDrop(mpsc::Sender<()>);
        impl Drop for SignalOnDrop {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        // A thread-local dropped at the worker's exit tells when the worker has ended.
        thread_local!(static EXIT: std::cell::RefCell<Option<SignalOnDrop>> = const { std::cell::RefCell::new(None) });
        block_on(pool.run(move || EXIT.with(|exit| *exit.borrow_mut() = Some(SignalOnDrop(done))))).unwrap();
        drop(pool);
        assert!(finished.try_recv().is_err(), "a clone still holds the pool");
        drop(other);
        assert_eq!(finished.try_recv(), Ok(()), "the worker ended before the drop returned");
    }

    #[test]
    fn a_pool_never_used_starts_no_thread() {
        let pool = CpuPool::new(4);
        assert_eq!(pool.inner.shared.lock().started, 0);
        assert_eq!((pool.threads(), pool.queue(), pool.waiting()), (4, 64, DEFAULT_WAITING));
    }
}
