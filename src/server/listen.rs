//! The server's own accept loop over hyper's HTTP/1 connections, for the
//! knobs `axum::serve` lacks (issue 23):
//!
//! - a header-read timeout ([`Limits::header`]): a client that takes
//!   longer to send a request's line and headers is disconnected (hyper
//!   runs the timer for every head, the idle wait of a kept-alive
//!   connection included);
//! - a bound on connections ([`Limits::connections`]): beyond it a new
//!   connection waits, and the oldest connection that has not sent a whole
//!   request head yet (a slow or silent client) is closed to make room, so
//!   slow clients cannot starve the others (slowloris);
//! - a shutdown that closes idle and half-read connections at once and
//!   gives requests in flight [`Limits::drain`] to finish, then closes the
//!   rest.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};

use super::{Limits, lock};

/// One connection being served, as the accept loop sees it.
struct Conn {
    /// A whole request head has arrived on it (so it is not a slow or
    /// silent client in the middle of its first head).
    started: Arc<AtomicBool>,
    /// Tells the connection's task to drop the connection now.
    close: Arc<Notify>,
}

/// The open connections by id (ids grow, so the first is the oldest).
#[derive(Default)]
struct Conns {
    next: AtomicU64,
    open: Mutex<BTreeMap<u64, Conn>>,
}

impl Conns {
    /// Closes the oldest connection that has not sent a whole request head;
    /// false when every connection has.
    fn evict_oldest_unstarted(&self) -> bool {
        let open = lock(&self.open);
        match open.values().find(|c| !c.started.load(Ordering::Relaxed)) {
            Some(c) => {
                c.close.notify_one();
                true
            }
            None => false,
        }
    }

    fn close_all(&self) {
        for c in lock(&self.open).values() {
            c.close.notify_one();
        }
    }
}

/// Serves `router` on `listener` until `stop` resolves, then shuts down as
/// the module says; returns when every connection is closed (or, after the
/// drain time, told to close).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stop: impl std::future::Future<Output = ()>,
) {
    let max =
        u32::try_from(limits.connections.clamp(1, Semaphore::MAX_PERMITS)).unwrap_or(u32::MAX);
    let slots = Arc::new(Semaphore::new(max as usize));
    let conns = Arc::new(Conns::default());
    let (stopping, stopped) = watch::channel(false);
    tokio::pin!(stop);
    let mut last_error: Option<std::time::Instant> = None;
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) => {
                    // Out of file handles (EMFILE) and the like: say so at
                    // most once a minute, wait a little, go on serving.
                    if last_error.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                        eprintln!("transmem serve: cannot accept a connection: {e}");
                        last_error = Some(std::time::Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                conns.evict_oldest_unstarted();
                tokio::select! {
                    p = slots.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                    _ = &mut stop => break,
                }
            }
        };
        let id = conns.next.fetch_add(1, Ordering::Relaxed);
        let conn = Conn {
            started: Arc::new(AtomicBool::new(false)),
            close: Arc::new(Notify::new()),
        };
        let (started, close) = (conn.started.clone(), conn.close.clone());
        lock(&conns.open).insert(id, conn);
        let (router, conns, stopped) = (router.clone(), conns.clone(), stopped.clone());
        tokio::spawn(async move {
            connection(stream, router, limits.header, started, close, stopped).await;
            lock(&conns.open).remove(&id);
            drop(permit);
        });
    }
    // No new connections from here on.
    drop(listener);
    let _ = stopping.send(true);
    let all = || slots.acquire_many(max);
    if tokio::time::timeout(limits.drain, all()).await.is_err() {
        let left = lock(&conns.open).len();
        eprintln!(
            "transmem serve: {left} connection{} still busy after {} s; closing {}",
            if left == 1 { "" } else { "s" },
            limits.drain.as_secs(),
            if left == 1 { "it" } else { "them" }
        );
        conns.close_all();
        let _ = tokio::time::timeout(Duration::from_secs(2), all()).await;
    }
}

/// Serves one connection until it ends, is evicted (`close`), or the
/// server stops: then a connection that never sent a whole head is dropped
/// at once, an idle one is closed by hyper at once, and one with a
/// request in flight finishes it (unless `close` comes first).
async fn connection(
    stream: TcpStream,
    router: Router,
    header_timeout: Duration,
    started: Arc<AtomicBool>,
    close: Arc<Notify>,
    mut stopped: watch::Receiver<bool>,
) {
    let tower = TowerToHyperService::new(router);
    let flag = started.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        flag.store(true, Ordering::Relaxed);
        hyper::service::Service::call(&tower, req)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = close.notified() => return,
        _ = stopped.wait_for(|s| *s) => {}
    }
    if !started.load(Ordering::Relaxed) {
        return;
    }
    conn.as_mut().graceful_shutdown();
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = close.notified() => {}
    }
}
