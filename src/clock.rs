//! Time as an input. Nothing in this crate reads the system time behind the caller's back: the
//! orchestration asks a [`Clock`] once per request and passes `now` down to pure functions.

use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current time in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until it is set or advanced: for tests, and for hosts that replay.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self { now: Mutex::new(start) }
    }

    /// Shows `now` from here on.
    pub fn set(&self, now: OffsetDateTime) {
        *self.lock() = now;
    }

    /// Moves the clock forward (or back, with a negative duration) by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.lock();
        *now = now.saturating_add(by);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OffsetDateTime> {
        // A panic while holding this lock cannot leave the time half-written, so a poisoned
        // lock is still usable.
        self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.lock()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_sets_and_advances() {
        let clock = ManualClock::new(datetime!(2017-05-17 22:25:57 UTC));
        assert_eq!(clock.now(), datetime!(2017-05-17 22:25:57 UTC));
        clock.advance(Duration::days(90));
        assert_eq!(clock.now(), datetime!(2017-08-15 22:25:57 UTC));
        clock.set(datetime!(2020-01-01 0:00 UTC));
        assert_eq!(clock.now(), datetime!(2020-01-01 0:00 UTC));
    }

    #[test]
    fn system_clock_is_utc_and_moves() {
        let a = SystemClock.now();
        assert_eq!(a.offset(), time::UtcOffset::UTC);
        assert!(SystemClock.now() >= a);
    }
}
