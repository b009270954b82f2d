//! A request's cancellation: a timeout or a client that left sets it, and
//! the blocking work the request started checks it before it commits (and
//! while it waits for the write lock, and between the segments of a long
//! read), so that a 503 or a dropped request never leaves a write behind.
//!
//! One small state machine decides the race between "cancel" and "commit":
//! whichever comes first wins. A cancel that comes after the commit began
//! fails, and the server then waits for the commit's own answer instead of
//! saying the request failed.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

const RUNNING: u8 = 0;
const CANCELLED: u8 = 1;
const COMMITTING: u8 = 2;

/// One request's cancellation state, shared by its handler and the
/// blocking work it started.
#[derive(Clone, Default, Debug)]
pub(crate) struct Cancel(Arc<AtomicU8>);

impl Cancel {
    /// Cancels the request unless its commit has begun; true when it is
    /// (now or already) cancelled, false when a commit is under way.
    pub(crate) fn cancel(&self) -> bool {
        match self
            .0
            .compare_exchange(RUNNING, CANCELLED, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => true,
            Err(state) => state == CANCELLED,
        }
    }

    /// Whether the request was cancelled.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst) == CANCELLED
    }

    /// Claims the right to commit; false when the request was cancelled
    /// first (the work must roll back).
    pub(crate) fn begin_commit(&self) -> bool {
        match self
            .0
            .compare_exchange(RUNNING, COMMITTING, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => true,
            Err(state) => state == COMMITTING,
        }
    }
}

tokio::task_local! {
    /// The cancellation of the request this task answers.
    static REQUEST: Cancel;
}

thread_local! {
    /// The cancellation of the request this blocking thread works for.
    static WORKING_FOR: RefCell<Option<Cancel>> = const { RefCell::new(None) };
}

/// Runs `fut` (a request's handler) with `cancel` as its request's
/// cancellation, for [`for_task`].
pub(crate) async fn scope<F: Future>(cancel: Cancel, fut: F) -> F::Output {
    REQUEST.scope(cancel, fut).await
}

/// The cancellation of the request the current task answers, if any
/// (async code: to hand to blocking work).
pub(crate) fn for_task() -> Option<Cancel> {
    REQUEST.try_with(Cancel::clone).ok()
}

/// The cancellation of the request the current blocking work is for
/// (blocking code, inside [`enter`]).
pub(crate) fn current() -> Option<Cancel> {
    WORKING_FOR.with(|c| c.borrow().clone())
}

/// Whether the request the current blocking work is for was cancelled.
pub(crate) fn cancelled() -> bool {
    WORKING_FOR.with(|c| c.borrow().as_ref().is_some_and(Cancel::is_cancelled))
}

/// Marks this thread as working for `cancel` until the guard is dropped.
pub(crate) fn enter(cancel: Option<Cancel>) -> Entered {
    let before = WORKING_FOR.with(|c| c.replace(cancel));
    Entered(before)
}

/// Restores the thread's previous request on drop.
pub(crate) struct Entered(Option<Cancel>);

impl Drop for Entered {
    fn drop(&mut self) {
        let before = self.0.take();
        WORKING_FOR.with(|c| *c.borrow_mut() = before);
    }
}

/// Spawns blocking work that carries the current request's cancellation.
pub(crate) fn spawn_blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> tokio::task::JoinHandle<T> {
    let cancel = for_task();
    tokio::task::spawn_blocking(move || {
        let _in = enter(cancel);
        f()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_of_cancel_and_commit_wins() {
        let c = Cancel::default();
        assert!(c.cancel());
        assert!(!c.begin_commit());
        assert!(c.is_cancelled());
        let c = Cancel::default();
        assert!(c.begin_commit());
        assert!(!c.cancel());
        assert!(!c.is_cancelled());
        assert!(c.begin_commit(), "a second commit of the same request");
    }
}
