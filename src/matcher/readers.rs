//! Read handles on a stored memory, shared by the lookups of one matcher.
//!
//! A lookup reads a few full pairs once the index has ranked its
//! candidates. With one handle behind a mutex, concurrent lookups (the
//! batch of `lookup --threads`, the requests of `transmem serve`) queued
//! for it. Each lookup now takes a handle of its own: the first one if it
//! is free, else an idle extra, else a new extra opened from the first
//! (at most [`MAX_EXTRA`]), else it waits for one to come back. A
//! single-threaded caller never opens a second handle.

use std::ops::Deref;
use std::sync::{Condvar, Mutex, MutexGuard, TryLockError};

use crate::error::Result;
use crate::memory::Memory;

/// Extra handles at most: more concurrent lookups than this wait. Enough
/// for a server's worker threads; a SQLite handle costs a file descriptor
/// and its page cache (16 MB at most), a PostgreSQL one a connection.
pub(crate) const MAX_EXTRA: usize = 7;

/// See the module documentation.
pub(crate) struct Readers {
    first: Mutex<Memory>,
    /// Idle extra handles, and how many extras exist (idle or lent).
    extra: Mutex<(Vec<Memory>, usize)>,
    returned: Condvar,
}

/// A handle lent to one lookup; it goes back to its pool when dropped.
pub(crate) enum Lease<'a> {
    First(MutexGuard<'a, Memory>),
    Extra(&'a Readers, Option<Memory>),
}

impl Deref for Lease<'_> {
    type Target = Memory;
    fn deref(&self) -> &Memory {
        match self {
            Lease::First(g) => g,
            Lease::Extra(_, m) => m.as_ref().expect("a lease holds its handle until dropped"),
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Lease::Extra(pool, m) = self
            && let Some(m) = m.take()
        {
            lock(&pool.extra).0.push(m);
            pool.returned.notify_one();
        }
    }
}

/// Locks, taking over a lock that a panicking thread left poisoned: the
/// handles hold no state that a half-done read could break.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Readers {
    pub(crate) fn new(first: Memory) -> Readers {
        Readers {
            first: Mutex::new(first),
            extra: Mutex::new((Vec::new(), 0)),
            returned: Condvar::new(),
        }
    }

    /// The first handle, for reuse once the matcher is dropped.
    pub(crate) fn into_first(self) -> Memory {
        self.first.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    /// A handle for one lookup (see the module documentation).
    pub(crate) fn lease(&self) -> Result<Lease<'_>> {
        match self.first.try_lock() {
            Ok(g) => return Ok(Lease::First(g)),
            Err(TryLockError::Poisoned(p)) => return Ok(Lease::First(p.into_inner())),
            Err(TryLockError::WouldBlock) => {}
        }
        let mut extra = lock(&self.extra);
        loop {
            if let Some(m) = extra.0.pop() {
                return Ok(Lease::Extra(self, Some(m)));
            }
            if extra.1 < MAX_EXTRA {
                extra.1 += 1;
                drop(extra);
                // Opened from the first handle, which is busy for one
                // lookup's reads at most.
                let opened = lock(&self.first).reader();
                let undo = || {
                    lock(&self.extra).1 -= 1;
                    self.returned.notify_one();
                };
                return match opened {
                    Ok(Some(m)) => Ok(Lease::Extra(self, Some(m))),
                    Err(e) => {
                        undo();
                        Err(e)
                    }
                    // A memory that cannot open a second handle (none
                    // today: a memory in RAM has no reader) shares its
                    // first.
                    Ok(None) => {
                        undo();
                        Ok(Lease::First(lock(&self.first)))
                    }
                };
            }
            extra = self.returned.wait(extra).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// How many extra handles are open (for tests).
    #[cfg(test)]
    pub(crate) fn extras(&self) -> usize {
        lock(&self.extra).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> (tempfile::TempDir, Memory) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite");
        drop(Memory::open(&path).unwrap());
        let m = Memory::open_existing(&path)
            .unwrap()
            .reader()
            .unwrap()
            .unwrap();
        (dir, m)
    }

    #[test]
    fn one_caller_uses_the_first_handle_only() {
        let (_dir, m) = memory();
        let r = Readers::new(m);
        for _ in 0..3 {
            let l = r.lease().unwrap();
            assert!(matches!(l, Lease::First(_)));
            assert_eq!(l.unit_count().unwrap(), 0);
        }
        assert_eq!(r.extras(), 0);
    }

    #[test]
    fn concurrent_leases_get_their_own_handles_and_give_them_back() {
        let (_dir, m) = memory();
        let r = Readers::new(m);
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|s| {
            let r = &r;
            s.spawn(move || {
                let a = r.lease().unwrap();
                assert!(matches!(a, Lease::First(_)));
                held_tx.send(()).unwrap();
                release_rx.recv().unwrap();
            });
            held_rx.recv().unwrap();
            // The first handle is lent: this lease opens an extra from it
            // as soon as it comes back.
            let b = s.spawn(|| {
                let b = r.lease().unwrap();
                (matches!(b, Lease::Extra(..)), b.unit_count().unwrap())
            });
            std::thread::sleep(std::time::Duration::from_millis(50));
            release_tx.send(()).unwrap();
            assert_eq!(b.join().unwrap(), (true, 0));
        });
        assert_eq!(r.extras(), 1);
        // Both idle: a lone lease takes the first; a concurrent one reuses
        // the idle extra instead of opening another.
        let a = r.lease().unwrap();
        let b = r.lease().unwrap();
        assert!(matches!(a, Lease::First(_)) && matches!(b, Lease::Extra(..)));
        assert_eq!(r.extras(), 1);
    }

    #[test]
    fn past_the_cap_a_lease_waits_for_a_returned_handle() {
        let (_dir, m) = memory();
        let r = Readers::new(m);
        {
            let mut extra = lock(&r.extra);
            for _ in 0..MAX_EXTRA {
                extra.0.push(lock(&r.first).reader().unwrap().unwrap());
            }
            extra.1 = MAX_EXTRA;
        }
        let first = r.lease().unwrap();
        let mut held: Vec<Lease> = (0..MAX_EXTRA).map(|_| r.lease().unwrap()).collect();
        assert!(held.iter().all(|l| matches!(l, Lease::Extra(..))));
        std::thread::scope(|s| {
            let waiter = s.spawn(|| r.lease().map(|l| matches!(l, Lease::Extra(..))));
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!waiter.is_finished(), "a lease past the cap must wait");
            held.pop();
            assert!(waiter.join().unwrap().unwrap());
        });
        assert_eq!(r.extras(), MAX_EXTRA);
        drop((first, held));
    }
}
