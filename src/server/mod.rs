//! The team server (feature `server`): a memory over HTTP, for a team and
//! for CAT tools; `transmem serve` is its command-line front.
//!
//! A thin front end like the other commands: axum on tokio parses requests
//! and the library does the work. Store calls are synchronous, so every one
//! runs on tokio's blocking pool: reads on pooled read handles
//! (`Memory::reader`, concurrent), writes on the one write handle behind a
//! mutex (one writer at a time, so concurrent clients never lose or
//! duplicate a unit; SQLite would serialise them anyway). Single-unit
//! writes that arrive together share one transaction and one COMMIT on
//! PostgreSQL, each a savepoint and a batch of its own
//! (`App::write_grouped`). Lookups share one
//! [`Live`] matcher per language direction (an LRU cache of the directions
//! used last; a language the memory holds no text in is refused before
//! anything loads): each lookup asks the store for
//! its stamp (one query), so a unit written through another server process
//! on the same memory is found by the next lookup; appended variants go to
//! a small second index instead of re-extending the main one (~4 s at 1M
//! units, docs/server.md).
//!
//! Routes, the roles they need and the OpenAPI document are one table
//! (`ROUTES`); a unit test checks the document against it.

mod api;
mod cancel;
mod idempotency;
mod listen;
mod maint;
mod metrics;
pub(crate) mod openapi;
mod review;
mod tm_routes;
mod upload;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::matcher::live::Live;
use crate::memory::{Memory, Writer};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use crate::tm::{Location, Role};

/// What a server needs besides its memory: where to listen, who may read,
/// and its limits. The `transmem serve` options map onto it one to one.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address and port to listen on (port 0: any free port).
    pub listen: String,
    /// Lookups and the tmserver endpoints need no token.
    pub anonymous_read: bool,
    /// Limits on requests.
    pub limits: Limits,
}

/// How long a token's role is remembered before the memory is asked again:
/// a revoked token stops working within this time.
pub const TOKEN_CACHE: Duration = Duration::from_secs(5);

/// Read handles kept for reuse; more are opened under load and closed after.
const POOL: usize = 32;

/// Lookups and searches that run at once; the rest wait their turn in the
/// order they came (see [`App::reading`]).
const READ_TURNS: usize = 16;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Anyone (health).
    Open,
    /// A read token, or anyone with `--anonymous-read`.
    AnonRead,
    /// At least this role.
    Role(Role),
}

/// One served route: method, path (axum syntax), access, operation id.
pub(crate) struct Route {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    pub(crate) access: Access,
    pub(crate) id: &'static str,
}

const fn r(method: &'static str, path: &'static str, access: Access, id: &'static str) -> Route {
    Route {
        method,
        path,
        access,
        id,
    }
}

const READ: Access = Access::Role(Role::Read);
const WRITE: Access = Access::Role(Role::Write);
const ADMIN: Access = Access::Role(Role::Admin);

/// Every route the server answers; the router is built from this table and
/// the OpenAPI document must describe exactly these.
pub(crate) const ROUTES: &[Route] = &[
    r("GET", "/api/v1/health", Access::Open, "health"),
    r("GET", "/api/v1/openapi.json", Access::Open, "openapi"),
    r("GET", "/api/v1/stats", READ, "stats"),
    r("GET", "/api/v1/whoami", READ, "whoami"),
    r("POST", "/api/v1/lookup", Access::AnonRead, "lookup"),
    r(
        "POST",
        "/api/v1/lookup/batch",
        Access::AnonRead,
        "lookupBatch",
    ),
    r("GET", "/api/v1/concordance", READ, "concordance"),
    r("POST", "/api/v1/units", WRITE, "addUnits"),
    r("GET", "/api/v1/units/{id}", READ, "getUnit"),
    r("POST", "/api/v1/import", WRITE, "import"),
    r("GET", "/api/v1/export", READ, "export"),
    r("POST", "/api/v1/alignments", WRITE, "createAlignment"),
    // A browser sends no token: the review page and its save URL carry the
    // alignment's own random key instead (see review.rs).
    r(
        "GET",
        "/api/v1/alignments/{id}/review",
        Access::Open,
        "reviewPage",
    ),
    r(
        "POST",
        "/api/v1/alignments/{id}/corrections",
        Access::Open,
        "saveCorrections",
    ),
    r(
        "GET",
        "/tmserver/languages/",
        Access::AnonRead,
        "tmLanguages",
    ),
    r(
        "GET",
        "/tmserver/{src}/{tgt}/unit/{*text}",
        Access::AnonRead,
        "tmUnit",
    ),
    r("GET", "/metrics", READ, "metrics"),
    // Maintenance (docs/maintenance.md): every write is one undoable batch.
    r("GET", "/api/v1/units", READ, "listUnits"),
    r("PUT", "/api/v1/units/{id}", WRITE, "updateUnit"),
    r("PATCH", "/api/v1/units/{id}", WRITE, "patchUnit"),
    r("DELETE", "/api/v1/units/{id}", WRITE, "deleteUnit"),
    r("POST", "/api/v1/units/delete", WRITE, "deleteUnits"),
    r("POST", "/api/v1/replace", WRITE, "replace"),
    r("GET", "/api/v1/history", READ, "history"),
    r("POST", "/api/v1/undo", ADMIN, "undo"),
    // What a remote memory (the CLI's --memory http://…) needs besides
    // (tm_routes.rs).
    r("GET", "/api/v1/languages", READ, "languages"),
    r("GET", "/api/v1/units/export", READ, "exportUnits"),
    r("POST", "/api/v1/units/import", WRITE, "importUnits"),
    r(
        "POST",
        "/api/v1/lookup/queries",
        Access::AnonRead,
        "lookupQueries",
    ),
    r("POST", "/api/v1/dedupe", WRITE, "dedupe"),
    r("POST", "/api/v1/tm/edit", WRITE, "tmEdit"),
    r("POST", "/api/v1/tm/delete", WRITE, "tmDelete"),
    r("POST", "/api/v1/tm/replace", WRITE, "tmReplace"),
    r("POST", "/api/v1/tm/undo", ADMIN, "tmUndo"),
    r("GET", "/api/v1/tokens", ADMIN, "listTokens"),
    r("POST", "/api/v1/tokens", ADMIN, "createToken"),
    r("DELETE", "/api/v1/tokens/{id}", ADMIN, "revokeToken"),
];

/// The handler of a route in [`ROUTES`], by operation id.
fn handler(id: &str, method: &str) -> Option<MethodRouter<App>> {
    use axum::routing::{MethodFilter, on};
    let m = MethodFilter::try_from(Method::from_bytes(method.as_bytes()).ok()?).ok()?;
    Some(match id {
        "health" => on(m, api::health),
        "openapi" => on(m, openapi::serve),
        "stats" => on(m, api::stats),
        "whoami" => on(m, api::whoami),
        "lookup" => on(m, api::lookup),
        "lookupBatch" => on(m, api::lookup_batch),
        "concordance" => on(m, api::concordance),
        "addUnits" => on(m, api::add_units),
        "getUnit" => on(m, api::get_unit),
        "import" => on(m, api::import),
        "export" => on(m, api::export),
        "createAlignment" => on(m, review::create),
        "reviewPage" => on(m, review::page),
        "saveCorrections" => on(m, review::save),
        "tmLanguages" => on(m, api::tm_languages),
        "tmUnit" => on(m, api::tm_unit),
        "metrics" => on(m, metrics::serve),
        "listUnits" => on(m, maint::list_units),
        "updateUnit" => on(m, maint::update_unit),
        "patchUnit" => on(m, maint::patch_unit),
        "deleteUnit" => on(m, maint::delete_unit),
        "deleteUnits" => on(m, maint::delete_units),
        "replace" => on(m, maint::replace),
        "history" => on(m, maint::history),
        "undo" => on(m, maint::undo),
        "languages" => on(m, tm_routes::languages),
        "exportUnits" => on(m, tm_routes::export_units),
        "importUnits" => on(m, tm_routes::import_units),
        "lookupQueries" => on(m, tm_routes::lookup_queries),
        "dedupe" => on(m, tm_routes::dedupe),
        "tmEdit" => on(m, tm_routes::tm_edit),
        "tmDelete" => on(m, tm_routes::tm_delete),
        "tmReplace" => on(m, tm_routes::tm_replace),
        "tmUndo" => on(m, tm_routes::tm_undo),
        "listTokens" => on(m, tm_routes::list_tokens),
        "createToken" => on(m, tm_routes::create_token),
        "revokeToken" => on(m, tm_routes::revoke_token),
        _ => return None,
    })
}

/// Limits on requests.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest JSON request body, in bytes.
    pub body: usize,
    /// Largest import upload, in bytes.
    pub upload: u64,
    /// Longest a request may take (imports and exports excepted).
    pub request: Duration,
    /// Longest an import or export may take.
    pub transfer: Duration,
    /// Longest a client may take to send a request's head (line and
    /// headers); a slower connection is closed.
    pub header: Duration,
    /// Most connections served at once; more wait until one closes, and
    /// while they wait the oldest connection that has not sent a whole
    /// request head yet is closed for them.
    pub connections: usize,
    /// On SIGTERM, how long requests in flight may take to finish before
    /// their connections are closed (idle and half-read ones close at once).
    pub drain: Duration,
    /// Most language directions whose matcher is kept loaded; the least
    /// recently used one is closed for a new one.
    pub matchers: usize,
}

impl Default for Limits {
    /// `transmem serve`'s defaults.
    fn default() -> Limits {
        Limits {
            body: 1 << 20,
            upload: 512 << 20,
            request: Duration::from_secs(30),
            transfer: Duration::from_secs(3600),
            header: Duration::from_secs(10),
            connections: 512,
            drain: Duration::from_secs(10),
            matchers: 16,
        }
    }
}

/// A language direction: (from, to), canonical tags.
type Direction = (String, String);

/// The server's shared state.
#[derive(Clone)]
pub(crate) struct App(Arc<Inner>);

pub(crate) struct Inner {
    /// Where the memory is, for messages.
    pub(crate) location: String,
    /// The one write handle: one write transaction at a time.
    writer: WriteSlot,
    /// Writes waiting for the next group (see [`App::write_grouped`]).
    queue: Mutex<Vec<Job>>,
    /// A handle that only opens read handles (never busy with a request).
    spawner: Mutex<Memory>,
    /// Idle read handles.
    readers: Mutex<Vec<Memory>>,
    /// Turns for lookups and searches (see [`App::reading`]).
    reads: tokio::sync::Semaphore,
    /// Live matchers (each keeps itself current) of the directions used
    /// last, at most `limits.matchers`: each holds read handles and its
    /// index, which close when it leaves the cache and its last lookup ends.
    matchers: Mutex<lru::LruCache<Direction, Arc<Live>>>,
    /// Held while a matcher loads, so two requests never build the same
    /// index file at once.
    loading: Mutex<()>,
    /// Token hash → role (`None`: unknown), and when it was read.
    tokens: Mutex<HashMap<String, (Option<Caller>, Instant)>>,
    pub(crate) anonymous_read: bool,
    pub(crate) limits: Limits,
    pub(crate) metrics: metrics::Metrics,
    pub(crate) reviews: review::Reviews,
    /// Answers kept for retries with the same `Idempotency-Key`.
    pub(crate) replays: idempotency::Replays,
}

/// The one write handle, lent to one request at a time. A request waiting
/// for it gives up as soon as it is cancelled (it timed out, or its client
/// left), rather than writing after its 503.
struct WriteSlot {
    memory: Mutex<Option<Memory>>,
    freed: Condvar,
}

/// How often a request waiting for the write handle checks whether it was
/// cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// The write handle while a request holds it; given back on drop (a panic
/// included).
struct Lent<'a> {
    slot: &'a WriteSlot,
    memory: Option<Memory>,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(mut m) = self.memory.take() {
            m.set_commit_check(None);
            *lock(&self.slot.memory) = Some(m);
            // Writers in a group wait for their answer on this too.
            self.slot.freed.notify_all();
        }
    }
}

/// The answer of a grouped write, as the group's leader hands it over.
type Answer = ApiResult<Box<dyn std::any::Any + Send>>;

/// The work of a grouped write, run inside the group's transaction.
type Work = Box<dyn FnOnce(&mut Writer<'_>) -> crate::Result<Box<dyn std::any::Any + Send>> + Send>;

/// A write waiting for the next group.
struct Job {
    id: u64,
    work: Work,
    cancel: Option<cancel::Cancel>,
    answer: std::sync::mpsc::SyncSender<Answer>,
}

/// Most writes one group commits together.
const GROUP: usize = 64;

static JOB_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The answer to work cancelled before it committed.
pub(crate) fn cancelled() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the request was cancelled (it took too long, or its client left); nothing was stored",
    )
}

/// An error answer: a status and a JSON body `{"error": message}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<crate::Error> for ApiError {
    fn from(e: crate::Error) -> ApiError {
        use crate::Error as E;
        let status = match &e {
            E::Parse { .. }
            | E::Encoding { .. }
            | E::Lang(_)
            | E::InvalidUnit(_)
            | E::Empty { .. }
            | E::Invalid(_) => StatusCode::BAD_REQUEST,
            // Retry later: nothing was written.
            E::Busy { .. } | E::Unavailable { .. } | E::Cancelled => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(self.status, &self.message)
    }
}

/// The one shape of every error answer.
pub(crate) fn error_response(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl App {
    /// [`App::blocking`] for a lookup or a search, in its turn: at most
    /// [`READ_TURNS`] run at once and the others wait in arrival order
    /// (tokio's semaphore is fair). Without it, 64 connections meant 64
    /// blocking threads on 2 cores contending for 16 PostgreSQL
    /// connections, whose pool wakes waiters in no order: p99 was 102 ms
    /// at 2,223 lookups/s, 3.5 times the mean, in issue 23's 64-connection
    /// load. A request that is cancelled while it waits never runs.
    pub(crate) async fn reading<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let _turn = self.0.reads.acquire().await.map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is shutting down",
            )
        })?;
        App::blocking(f).await
    }

    /// Runs `f` on tokio's blocking pool; a panic there is a 500, not a
    /// crash. `f` works for the current request: its writes roll back if
    /// the request is cancelled before they commit.
    pub(crate) async fn blocking<T: Send + 'static>(
        f: impl FnOnce() -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        // Work queued behind others whose request was cancelled meanwhile
        // never starts.
        let f = move || {
            if cancel::cancelled() {
                return Err(cancelled());
            }
            f()
        };
        cancel::spawn_blocking(f).await.map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("internal error: {e}"),
            )
        })?
    }

    /// Runs `f` with a read handle from the pool (blocking code only).
    pub(crate) fn with_reader<T>(&self, f: impl FnOnce(&Memory) -> ApiResult<T>) -> ApiResult<T> {
        let pooled = lock(&self.0.readers).pop();
        let mem = match pooled {
            Some(m) => m,
            None => lock(&self.0.spawner).reader()?.ok_or_else(|| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "this memory cannot open a second handle",
                )
            })?,
        };
        let out = f(&mem);
        let mut pool = lock(&self.0.readers);
        if pool.len() < POOL {
            pool.push(mem);
        }
        out
    }

    /// Runs `f` with the write handle (blocking code only): one writer at a
    /// time. For a request (inside [`App::blocking`]), the wait for the
    /// handle ends when the request is cancelled, and a commit after the
    /// cancellation rolls back ([`crate::Error::Cancelled`], a 503).
    pub(crate) fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut Memory) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let request = cancel::current();
        let slot = &self.0.writer;
        let mut memory = {
            let mut held = lock(&slot.memory);
            loop {
                if request.as_ref().is_some_and(cancel::Cancel::is_cancelled) {
                    return Err(cancelled());
                }
                if let Some(m) = held.take() {
                    break m;
                }
                held = slot
                    .freed
                    .wait_timeout(held, CANCEL_POLL)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        };
        if let Some(c) = request {
            memory.set_commit_check(Some(Arc::new(move || c.begin_commit())));
        }
        let mut lent = Lent {
            slot,
            memory: Some(memory),
        };
        match lent.memory.as_mut() {
            Some(m) => f(m),
            None => Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: no write handle",
            )),
        }
    }

    /// Runs `work` in a write transaction (blocking code only) and returns
    /// its answer once that transaction committed: a group commit. Writes
    /// that arrive while another group holds the write handle queue up,
    /// and the first of them to get the handle runs all of them in one
    /// transaction, each as a part of its own (a savepoint and a batch of
    /// its own: `history` and `undo` see one batch per request), so that
    /// they share one COMMIT and one trip for the write lock. A request
    /// cancelled before its part ends is rolled back alone, and one still
    /// queued is taken out: nothing of it is stored, while the others are.
    /// When a part ends kept, its request's commit has begun (a cancel then
    /// waits for the answer). An engine without parts (SQLite) runs each
    /// write in its own transaction, as [`App::with_writer`] does.
    pub(crate) fn write_grouped<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Writer<'_>) -> crate::Result<T> + Send + 'static,
    ) -> ApiResult<T> {
        let (answer, answered) = std::sync::mpsc::sync_channel(1);
        let id = JOB_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let request = cancel::current();
        lock(&self.0.queue).push(Job {
            id,
            work: Box::new(move |w| work(w).map(|v| Box::new(v) as Box<dyn std::any::Any + Send>)),
            cancel: request.clone(),
            answer,
        });
        let slot = &self.0.writer;
        let mut held = lock(&slot.memory);
        let out = loop {
            match answered.try_recv() {
                Ok(a) => break a,
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
                // The group's leader panicked: its transaction rolled back.
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    break Err(ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal error: the group this write was in failed (see the server's log)",
                    ));
                }
            }
            if let Some(m) = held.take() {
                drop(held);
                let mut lent = Lent {
                    slot,
                    memory: Some(m),
                };
                if let Some(m) = lent.memory.as_mut() {
                    self.run_group(m);
                }
                drop(lent);
                held = lock(&slot.memory);
                continue;
            }
            if request.as_ref().is_some_and(cancel::Cancel::is_cancelled) {
                let mut queue = lock(&self.0.queue);
                if let Some(i) = queue.iter().position(|j| j.id == id) {
                    queue.remove(i);
                    return Err(cancelled());
                }
                // A group is running it: its answer comes.
            }
            held = slot
                .freed
                .wait_timeout(held, CANCEL_POLL)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        };
        drop(held);
        out.and_then(|v| {
            v.downcast::<T>().map(|v| *v).map_err(|_| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error: a grouped write's answer",
                )
            })
        })
    }

    /// Runs the queued writes (up to [`GROUP`]) as one group on `mem`.
    fn run_group(&self, mem: &mut Memory) {
        if lock(&self.0.queue).is_empty() {
            return;
        }
        let take = || -> Vec<Job> {
            let mut queue = lock(&self.0.queue);
            let n = queue.len().min(GROUP);
            queue.drain(..n).collect()
        };
        let answer = |job: &Job, a: Answer| {
            let _ = job.answer.try_send(a);
        };
        let copy = |e: &ApiError| ApiError::new(e.status, e.message.clone());
        // The transaction first, then the queue: writes that arrive while
        // it waits for the write lock (another process's write) join it.
        let mut w = match mem.writer() {
            Ok(w) => w,
            Err(e) => {
                let e = ApiError::from(e);
                for job in &take() {
                    answer(job, Err(copy(&e)));
                }
                return;
            }
        };
        let jobs = take();
        if !w.has_parts() {
            drop(w);
            for job in jobs {
                let _for = cancel::enter(job.cancel.clone());
                let a = self.run_alone(mem, job.work, job.cancel);
                let _ = job.answer.try_send(a);
            }
            return;
        }
        let mut kept = Vec::new();
        let mut broken: Option<ApiError> = None;
        for job in jobs {
            if let Some(e) = &broken {
                answer(&job, Err(copy(e)));
                continue;
            }
            if job
                .cancel
                .as_ref()
                .is_some_and(cancel::Cancel::is_cancelled)
            {
                answer(&job, Err(cancelled()));
                continue;
            }
            let claim = job.cancel.clone();
            // Its work runs for its request (`cancel::cancelled` in it).
            let _for = cancel::enter(job.cancel.clone());
            let Job {
                work, answer: to, ..
            } = job;
            match w.part(work, move || claim.is_none_or(|c| c.begin_commit())) {
                Ok(Ok(v)) => kept.push((to, v)),
                Ok(Err(crate::Error::Cancelled)) => {
                    let _ = to.try_send(Err(cancelled()));
                }
                Ok(Err(e)) => {
                    let _ = to.try_send(Err(e.into()));
                }
                Err(e) => {
                    let e = ApiError::from(e);
                    let _ = to.try_send(Err(copy(&e)));
                    broken = Some(e);
                }
            }
        }
        let committed = match broken {
            Some(e) => Err(e),
            None => w.commit().map_err(ApiError::from),
        };
        for (to, v) in kept {
            let _ = to.try_send(match &committed {
                Ok(_) => Ok(v),
                Err(e) => Err(copy(e)),
            });
        }
    }

    /// One write in a transaction of its own (an engine without parts),
    /// rolled back if its request was cancelled before its commit.
    fn run_alone(&self, mem: &mut Memory, work: Work, request: Option<cancel::Cancel>) -> Answer {
        if request.as_ref().is_some_and(cancel::Cancel::is_cancelled) {
            return Err(cancelled());
        }
        if let Some(c) = request {
            mem.set_commit_check(Some(Arc::new(move || c.begin_commit())));
        }
        let out = (|| {
            let mut w = mem.writer()?;
            let v = work(&mut w)?;
            w.commit()?;
            Ok(v)
        })();
        mem.set_commit_check(None);
        out.map_err(|e: crate::Error| e.into())
    }

    /// The live matcher for `from` → `to`, loaded on first use (blocking
    /// code only). It brings itself up to date on each lookup.
    /// A direction with a language the memory holds no text in answers
    /// 400 naming the languages it holds (as the CLI's exit 2), so made-up
    /// tags load nothing.
    pub(crate) fn matcher(&self, from: &str, to: &str) -> ApiResult<Arc<Live>> {
        let key = (from.to_string(), to.to_string());
        if let Some(m) = lock(&self.0.matchers).get(&key) {
            return Ok(m.clone());
        }
        self.require_languages(&[from, to])?;
        let _loading = lock(&self.0.loading);
        // Another request may have loaded it while this one waited.
        if let Some(m) = lock(&self.0.matchers).get(&key) {
            return Ok(m.clone());
        }
        let handle = lock(&self.0.spawner).reader()?.ok_or_else(|| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "this memory cannot open a second handle",
            )
        })?;
        let live = Arc::new(Live::new(handle, from, to)?);
        // The one pushed out (if any) is dropped here, on a blocking thread.
        let evicted = lock(&self.0.matchers).push(key, live.clone());
        drop(evicted);
        Ok(live)
    }

    /// 400 unless the memory holds text in each of `tags`' languages
    /// (primary subtags, as the matcher's index is kept).
    fn require_languages(&self, tags: &[&str]) -> ApiResult<()> {
        match self.missing_language(tags)? {
            Some(message) => Err(ApiError::bad(message)),
            None => Ok(()),
        }
    }

    /// Why a lookup in `tags`' languages cannot find anything: the first
    /// one the memory holds no text in, and the languages it holds.
    pub(crate) fn missing_language(&self, tags: &[&str]) -> ApiResult<Option<String>> {
        let mut held: Vec<String> = self
            .with_reader(|m| Ok(m.languages()?))?
            .iter()
            .map(|l| crate::lang::primary(l).to_ascii_lowercase())
            .collect();
        held.sort();
        held.dedup();
        for tag in tags {
            let want = crate::lang::primary(tag).to_ascii_lowercase();
            if !held.contains(&want) {
                return Ok(Some(format!(
                    "{tag}: the memory holds no {want} text; {}",
                    crate::lang::holdings(&want, &held)
                )));
            }
        }
        Ok(None)
    }

    /// Who presents this token (blocking code only), cached for
    /// [`TOKEN_CACHE`].
    fn role_of(&self, secret: &str) -> ApiResult<Option<Caller>> {
        let h = token_hash(secret);
        if let Some(role) = self.cached_role(&h) {
            return Ok(role);
        }
        let token = self.with_reader(|m| Ok(m.token_by_hash(&h)?))?;
        let role = token.and_then(|t| {
            Role::parse(&t.role).map(|role| Caller {
                role,
                name: t.name.clone(),
            })
        });
        let mut cache = lock(&self.0.tokens);
        if cache.len() > 10_000 {
            // Bounded: a flood of wrong tokens cannot grow it without end.
            cache.clear();
        }
        cache.insert(h, (role.clone(), Instant::now()));
        Ok(role)
    }

    /// The role cached for a token hash, if read less than
    /// [`TOKEN_CACHE`] ago (no store call: async code may ask).
    fn cached_role(&self, hash: &str) -> Option<Option<Caller>> {
        match lock(&self.0.tokens).get(hash) {
            Some((role, at)) if at.elapsed() < TOKEN_CACHE => Some(role.clone()),
            _ => None,
        }
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.0
    }
}

/// Who sent a request: the role and name of its token. Handlers that write
/// record the name as the units' creator.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) role: Role,
    pub(crate) name: Option<String>,
}

impl Caller {
    /// The creator recorded on units this caller writes.
    pub(crate) fn creator(caller: Option<&Caller>) -> String {
        caller
            .and_then(|c| c.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "transmem serve".into())
    }
}

/// Locks a mutex; a panic elsewhere while holding it does not poison the
/// server (the data behind it are handles and caches, valid either way).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Checks the `Authorization: Bearer` token against the route's access.
async fn authorize(
    State((app, access)): State<(App, Access)>,
    mut req: Request,
    next: Next,
) -> Response {
    let need = match access {
        Access::Open => return next.run(req).await,
        Access::AnonRead if app.0.anonymous_read => return next.run(req).await,
        Access::AnonRead => Role::Read,
        Access::Role(r) => r,
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .map(|s| s.trim().to_string());
    let Some(secret) = presented.filter(|s| !s.is_empty()) else {
        return unauthorized("this endpoint needs a token: Authorization: Bearer TOKEN");
    };
    // A token seen lately is answered here, without a trip through the
    // blocking pool (a thread hop per request, which showed under load).
    let role = match app.cached_role(&token_hash(&secret)) {
        Some(r) => r,
        None => {
            let app2 = app.clone();
            match App::blocking(move || app2.role_of(&secret)).await {
                Ok(r) => r,
                Err(e) => return e.into_response(),
            }
        }
    };
    match role {
        None => unauthorized("unknown or revoked token"),
        Some(Caller { role: r, .. }) if r < need => error_response(
            StatusCode::FORBIDDEN,
            &format!(
                "this token's role ({}) may not do this; it needs {}",
                r.as_str(),
                need.as_str()
            ),
        ),
        Some(c) => {
            req.extensions_mut().insert(c);
            next.run(req).await
        }
    }
}

/// The credentials of an `Authorization: Bearer …` value. The scheme is
/// case-insensitive (RFC 7235 section 2.1): `BEARER`, `bearer`, `Bearer`.
fn bearer(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim_start().split_once([' ', '\t'])?;
    scheme.eq_ignore_ascii_case("bearer").then_some(rest)
}

fn unauthorized(message: &str) -> Response {
    let mut resp = error_response(StatusCode::UNAUTHORIZED, message);
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"transmem\""),
    );
    resp
}

/// One log line per request on stderr, metrics, the time limit, and a JSON
/// body for every error answer (axum's own rejections are plain text).
///
/// The handler runs as its own task with the request's [`cancel::Cancel`]:
/// at the time limit, or when the client leaves (hyper drops this future),
/// the request is cancelled and its task aborted, so its blocking work
/// stops and rolls back. If its commit had already begun, the time limit
/// waits for the real answer instead of a 503 that would not be true, and a
/// client that left does not stop the commit (its retry with the same
/// `Idempotency-Key` gets the answer).
async fn observe(State(app): State<App>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "(no route)".into());
    let limits = app.0.limits;
    let limit = if route.ends_with("/import") || route.ends_with("/export") {
        limits.transfer
    } else {
        limits.request
    };
    let cancel = cancel::Cancel::default();
    app.0.metrics.start();
    let mut done = Done {
        app: app.clone(),
        method,
        path,
        route,
        start,
        cancel: cancel.clone(),
        task: None,
        finished: false,
    };
    let claim = match idempotency::begin(&app, &req, &done.route) {
        idempotency::Begin::Pass => None,
        idempotency::Begin::Answer(resp) => return done.finish(resp).await,
        idempotency::Begin::Run(claim) => Some(claim),
    };
    let task = tokio::spawn(cancel::scope(cancel.clone(), async move {
        let resp = next.run(req).await;
        match claim {
            Some(c) => c.record(resp).await,
            None => resp,
        }
    }));
    let task = done.task.insert(task);
    // A panic in the handler is a 500 (its message stays in the server).
    let failed = |e: tokio::task::JoinError| {
        if e.is_panic() {
            eprintln!("transmem serve: a handler panicked: {e}");
        }
        error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    };
    let resp = tokio::select! {
        r = &mut *task => r.unwrap_or_else(failed),
        () = tokio::time::sleep(limit) => {
            if cancel.cancel() {
                task.abort();
                error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!(
                        "the request took longer than {} s (the server's limit); it was cancelled and nothing was stored",
                        limit.as_secs()
                    ),
                )
            } else {
                // Its commit has begun: the answer is the commit's.
                (&mut *task).await.unwrap_or_else(failed)
            }
        }
    };
    done.task = None;
    done.finish(resp).await
}

/// A request being answered: it is counted and logged exactly once, as
/// 499 "client closed request" if its client left before the answer (this
/// guard dropped unfinished), which also cancels it.
struct Done {
    app: App,
    method: Method,
    path: String,
    route: String,
    start: Instant,
    cancel: cancel::Cancel,
    task: Option<tokio::task::JoinHandle<Response>>,
    finished: bool,
}

/// The status logged for a request whose client left (nginx's).
const CLIENT_CLOSED: u16 = 499;

impl Done {
    async fn finish(mut self, resp: Response) -> Response {
        let resp = json_errors(resp).await;
        self.log(resp.status().as_u16(), "");
        resp
    }

    fn log(&mut self, status: u16, note: &str) {
        self.finished = true;
        let took = self.start.elapsed();
        self.app
            .0
            .metrics
            .finish(self.method.as_str(), &self.route, status, took);
        eprintln!(
            "{} {} {} {} {:.1}ms{note}",
            crate::memory::now_tmx(),
            self.method,
            crate::tm::terminal_safe(&self.path),
            status,
            took.as_secs_f64() * 1000.0
        );
    }
}

impl Drop for Done {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // The client left. Work that has not begun to commit stops; a
        // commit under way finishes (and its answer is kept for a retry
        // with the same Idempotency-Key).
        if self.cancel.cancel()
            && let Some(t) = &self.task
        {
            t.abort();
        }
        self.log(CLIENT_CLOSED, " client closed request");
    }
}

/// Error answers that are not JSON yet (axum's rejections: bad path
/// encoding, wrong method, ...) get the `{"error": ...}` body.
async fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 << 10)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_string()
    } else {
        text
    };
    let mut out = error_response(status, &message);
    for (k, v) in parts.headers.iter() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

async fn no_route(method: Method, uri: axum::http::Uri) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        &format!(
            "no route {method} {}; see /api/v1/openapi.json",
            crate::tm::terminal_safe(uri.path())
        ),
    )
}

/// The router over `app`, built from [`ROUTES`].
pub(crate) fn router(app: App) -> Router {
    let mut router: Router<App> = Router::new();
    for route in ROUTES {
        let Some(h) = handler(route.id, route.method) else {
            continue;
        };
        let h = h.layer(middleware::from_fn_with_state(
            (app.clone(), route.access),
            authorize,
        ));
        router = router.route(route.path, h);
    }
    router
        .fallback(no_route)
        .layer(middleware::from_fn_with_state(app.clone(), observe))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            },
        ))
        .with_state(app)
}

/// Resolves when SIGTERM or Ctrl-C arrives; the server then stops
/// accepting and finishes the requests in flight.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    eprintln!("transmem serve: stopping: finishing the requests in flight");
}

/// Why a server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address as given.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The memory could not be served.
    #[error(transparent)]
    Memory(#[from] crate::Error),
    /// The runtime or the socket failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A server bound to its address, not answering yet: [`Server::run`]
/// answers until SIGTERM or Ctrl-C.
pub struct Server {
    rt: tokio::runtime::Runtime,
    listener: tokio::net::TcpListener,
    app: App,
}

impl Server {
    /// Binds `config.listen` and prepares to serve `memory` (opened at
    /// `location`, which messages and answers name, password redacted).
    pub fn bind(config: Config, memory: Memory, location: &Location) -> Result<Server, ServeError> {
        let spawner = memory.reader()?.ok_or_else(|| {
            crate::Error::Invalid(format!(
                "{location}: the server needs a memory that several handles can open (not one in RAM)"
            ))
        })?;
        let limits = config.limits;
        let app = App(Arc::new(Inner {
            location: location.shown(),
            writer: WriteSlot {
                memory: Mutex::new(Some(memory)),
                freed: Condvar::new(),
            },
            queue: Mutex::new(Vec::new()),
            spawner: Mutex::new(spawner),
            readers: Mutex::new(Vec::new()),
            reads: tokio::sync::Semaphore::new(READ_TURNS),
            matchers: Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(limits.matchers).unwrap_or(std::num::NonZeroUsize::MIN),
            )),
            loading: Mutex::new(()),
            tokens: Mutex::new(HashMap::new()),
            anonymous_read: config.anonymous_read,
            limits: Limits {
                body: limits.body,
                upload: limits.upload,
                request: limits.request.max(Duration::from_secs(1)),
                transfer: limits.transfer.max(Duration::from_secs(1)),
                ..limits
            },
            metrics: metrics::Metrics::default(),
            reviews: review::Reviews::default(),
            replays: idempotency::Replays::default(),
        }));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let listener = rt
            .block_on(tokio::net::TcpListener::bind(&config.listen))
            .map_err(|source| ServeError::Listen {
                addr: config.listen.clone(),
                source,
            })?;
        Ok(Server { rt, listener, app })
    }

    /// The address it listens on (the port chosen, for port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, ServeError> {
        Ok(self.listener.local_addr()?)
    }

    /// Answers requests until SIGTERM or Ctrl-C, then closes idle and
    /// half-read connections at once, gives the requests in flight the
    /// drain time to finish, closes the rest and returns.
    pub fn run(self) -> Result<(), ServeError> {
        let Server { rt, listener, app } = self;
        let limits = app.0.limits;
        let routes = router(app.clone());
        rt.block_on(listen::serve(listener, routes, limits, shutdown_signal()));
        // Blocking tasks (a commit in progress) finish before the runtime is gone.
        rt.shutdown_timeout(Duration::from_secs(30));
        // The memory's handles close here, on this thread, outside the
        // runtime: the PostgreSQL client runs a runtime of its own to
        // close, which panics inside another one (exit 134 on SIGTERM).
        // Every task holding a clone of `app` is gone with the runtime.
        drop(app);
        Ok(())
    }
}

/// The SHA-256 of a token secret, as hex: what the memory keeps.
pub fn token_hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_handler_and_is_documented() {
        let doc = openapi::document();
        let paths = doc["paths"].as_object().expect("paths");
        let mut documented = Vec::new();
        for (p, ops) in paths {
            for m in ops.as_object().expect("operations").keys() {
                documented.push((m.to_uppercase(), openapi::to_axum(p)));
            }
        }
        let mut served: Vec<(String, String)> = ROUTES
            .iter()
            .map(|r| {
                assert!(handler(r.id, r.method).is_some(), "no handler for {}", r.id);
                (r.method.to_string(), r.path.to_string())
            })
            .collect();
        documented.sort();
        served.sort();
        assert_eq!(documented, served);
        for r in ROUTES {
            let p = openapi::from_axum(r.path);
            assert_eq!(openapi::to_axum(&p), r.path);
            let op = &doc["paths"][&p][r.method.to_lowercase()];
            assert_eq!(op["operationId"], r.id, "{} {}", r.method, r.path);
            // `security: [{}]` (`security(())` on the handler): no token needed.
            let secured = op.get("security").is_none_or(|s| {
                s.as_array()
                    .is_none_or(|a| !a.is_empty() && !a.iter().any(|r| r == &serde_json::json!({})))
            });
            assert_eq!(secured, r.access != Access::Open, "{}", r.id);
        }
    }

    /// What the derive cannot check itself: every parameter of a path is
    /// required (OpenAPI), every `{name}` of a path is a documented path
    /// parameter, and every body and answer schema it names exists.
    #[test]
    fn derived_parameters_and_references_are_whole() {
        let doc = openapi::document();
        for (path, ops) in doc["paths"].as_object().expect("paths") {
            for (method, op) in ops.as_object().expect("operations") {
                let params = op["parameters"].as_array().cloned().unwrap_or_default();
                for p in &params {
                    if p["in"] == "path" {
                        assert_eq!(p["required"], true, "{method} {path} {}", p["name"]);
                    }
                }
                for name in path.split('{').skip(1).filter_map(|s| s.split('}').next()) {
                    assert!(
                        params
                            .iter()
                            .any(|p| p["in"] == "path" && p["name"] == name),
                        "{method} {path}: {{{name}}} is not documented"
                    );
                }
            }
        }
        let text = doc.to_string();
        for r in text.split("\"#/components/schemas/").skip(1) {
            let name = r.split('"').next().unwrap_or_default();
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{name} is referenced but not in the document"
            );
        }
    }
}
