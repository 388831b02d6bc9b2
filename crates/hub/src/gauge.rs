//! Where a request's time goes inside one hub process: waits for a place to do store
//! work, for a connection of each PostgreSQL pool and for the feed lock, and how long a
//! write transaction holds that lock. Process-wide counters, cheap enough for every
//! request (a few relaxed atomics), reported by `oms serve` at info level every few
//! seconds under the target `voxorder_hub::gauge`, so that a latency tail measured
//! outside can be placed inside the hub.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Waits of one kind since the last report.
pub struct Wait {
    name: &'static str,
    count: AtomicU64,
    total_us: AtomicU64,
    max_us: AtomicU64,
    /// Waits of 100 ms or more: those that show in a p99.
    slow: AtomicU64,
    /// Waits that gave up (a pool's timeout).
    failed: AtomicU64,
}

impl Wait {
    const fn new(name: &'static str) -> Wait {
        Wait {
            name,
            count: AtomicU64::new(0),
            total_us: AtomicU64::new(0),
            max_us: AtomicU64::new(0),
            slow: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    pub fn record(&self, waited: Duration) {
        let us = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.total_us.fetch_add(us, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
        if waited >= Duration::from_millis(100) {
            self.slow.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn fail(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Logs and resets the counts since the last report, if there were any.
    fn report(&self) {
        let count = self.count.swap(0, Ordering::Relaxed);
        let failed = self.failed.swap(0, Ordering::Relaxed);
        let total = self.total_us.swap(0, Ordering::Relaxed);
        let max = self.max_us.swap(0, Ordering::Relaxed);
        let slow = self.slow.swap(0, Ordering::Relaxed);
        if count + failed == 0 {
            return;
        }
        // The target is this module's path, `voxorder_hub::gauge`.
        tracing::info!(
            wait = self.name,
            count,
            mean_ms = total as f64 / count.max(1) as f64 / 1000.0,
            max_ms = max as f64 / 1000.0,
            over_100ms = slow,
            failed,
        );
    }
}

/// A request waiting for a place to do store work (`http`'s lanes); `failed` counts
/// those answered 503 at the deadline.
pub static STORE_QUEUE: Wait = Wait::new("store_queue");
/// Waiting for a connection of the PostgreSQL read pool.
pub static READ_POOL: Wait = Wait::new("read_pool");
/// Waiting for a connection of the PostgreSQL write pool.
pub static WRITE_POOL: Wait = Wait::new("write_pool");
/// Waiting for the feed lock, once connected.
pub static FEED_LOCK: Wait = Wait::new("feed_lock");
/// How long a write transaction held the feed lock, its commit included.
pub static FEED_LOCK_HELD: Wait = Wait::new("feed_lock_held");

const ALL: [&Wait; 5] = [
    &STORE_QUEUE,
    &READ_POOL,
    &WRITE_POOL,
    &FEED_LOCK,
    &FEED_LOCK_HELD,
];

/// Reports every gauge each `every`, on a thread of its own, for the life of the
/// process; nothing is logged unless the `voxorder_hub::gauge` target is enabled.
pub fn spawn_reporter(every: Duration) {
    if !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("hub-gauge".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            for w in ALL {
                w.report();
            }
        });
}
