//! `Idempotency-Key` on writes: a client that lost an answer (a timeout, a
//! dropped connection) retries with the same key and gets the first answer
//! again, and nothing is stored twice.
//!
//! A key is scoped by the `Authorization` header (the token), the method
//! and the path with its query: the same key from another token, or on
//! another route, is another request. Answers are kept for [`TTL`], at most
//! [`MAX_KEYS`] of them and [`MAX_BYTES`] in all, least recently used
//! dropped first (hashlink's LRU map, already in the tree through
//! rusqlite). Answers of 5xx (nothing stored, or not known) and the
//! refusals 401, 403, 408, 409 and 429 are not kept: a retry runs again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;

use super::{App, error_response, lock};

/// The header.
pub const HEADER: &str = "idempotency-key";
/// The header that marks a replayed answer.
pub const REPLAYED: &str = "idempotency-replayed";
/// How long an answer is kept for a retry.
pub const TTL: Duration = Duration::from_secs(3600);
/// Most answers kept.
pub const MAX_KEYS: usize = 10_000;
/// Most bytes of answers kept, in all.
pub const MAX_BYTES: usize = 32 << 20;
/// Largest answer kept whole; a larger one is kept as a 409 that says the
/// request succeeded.
pub const MAX_ANSWER: usize = 1 << 20;
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

enum Entry {
    /// The first request with this key is still being answered.
    Running,
    /// Its answer.
    Done {
        at: Instant,
        status: StatusCode,
        content_type: Option<HeaderValue>,
        body: Bytes,
    },
}

impl Entry {
    fn size(&self) -> usize {
        match self {
            Entry::Running => 0,
            Entry::Done { body, .. } => body.len(),
        }
    }
}

/// The answers kept for retries.
pub(crate) struct Replays(Mutex<Cache>);

struct Cache {
    map: hashlink::LruCache<String, Entry>,
    bytes: usize,
}

impl Default for Replays {
    fn default() -> Replays {
        Replays(Mutex::new(Cache {
            map: hashlink::LruCache::new_unbounded(),
            bytes: 0,
        }))
    }
}

impl Cache {
    fn remove(&mut self, key: &str) {
        if let Some(e) = self.map.remove(key) {
            self.bytes -= e.size();
        }
    }

    fn insert(&mut self, key: String, e: Entry) {
        self.remove(&key);
        self.bytes += e.size();
        self.map.insert(key, e);
        while self.map.len() > MAX_KEYS || self.bytes > MAX_BYTES {
            match self.map.remove_lru() {
                Some((_, e)) => self.bytes -= e.size(),
                None => break,
            }
        }
    }
}

/// What to do with a request.
pub(crate) enum Begin {
    /// No key, or not a write: answer it as usual.
    Pass,
    /// Answer with this (a replay, a refusal) without running the handler.
    Answer(Response),
    /// Run it, then [`Claim::record`] its answer.
    Run(Claim),
}

/// Whether requests to this route with this method are writes that take a
/// key: a served route (not a 404, whose answers would only fill the
/// cache) and not a lookup (a POST, but a read).
fn is_write(method: &Method, route: &str) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        && !route.starts_with("/api/v1/lookup")
        && super::ROUTES
            .iter()
            .any(|r| r.path == route && r.method == method.as_str())
}

/// Looks the request's key up: a replay, a 409 while the first request
/// runs, or a claim to record the answer.
pub(crate) fn begin(app: &App, req: &Request, route: &str) -> Begin {
    let Some(raw) = req.headers().get(HEADER) else {
        return Begin::Pass;
    };
    if !is_write(req.method(), route) {
        return Begin::Pass;
    }
    let key = match raw.to_str() {
        Ok(k) if !k.trim().is_empty() && k.len() <= MAX_KEY_LEN => k.trim(),
        _ => {
            return Begin::Answer(error_response(
                StatusCode::BAD_REQUEST,
                &format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
            ));
        }
    };
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
    let scoped = super::token_hash(&format!("{auth}\n{} {target}\n{key}", req.method()));
    let mut cache = lock(&app.inner().replays.0);
    // The oldest answers expire first.
    while let Some((_, Entry::Done { at, .. })) = cache.map.iter().next() {
        if at.elapsed() <= TTL {
            break;
        }
        if let Some((_, e)) = cache.map.remove_lru() {
            cache.bytes -= e.size();
        }
    }
    match cache.map.get(&scoped) {
        Some(Entry::Running) => Begin::Answer(error_response(
            StatusCode::CONFLICT,
            "a request with this Idempotency-Key is still being answered; retry when it has finished",
        )),
        Some(Entry::Done {
            at,
            status,
            content_type,
            body,
        }) if at.elapsed() <= TTL => {
            let mut resp = Response::new(Body::from(body.clone()));
            *resp.status_mut() = *status;
            if let Some(ct) = content_type {
                resp.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
            }
            resp.headers_mut()
                .insert(REPLAYED, HeaderValue::from_static("true"));
            Begin::Answer(resp)
        }
        _ => {
            cache.insert(scoped.clone(), Entry::Running);
            Begin::Run(Claim {
                app: app.clone(),
                key: Some(scoped),
            })
        }
    }
}

/// The right to record the answer of the first request with a key; dropped
/// unrecorded (the request was cancelled), it frees the key for a retry.
pub(crate) struct Claim {
    app: App,
    key: Option<String>,
}

impl Claim {
    /// Keeps `resp` for retries (if it is an answer worth replaying) and
    /// returns it.
    pub(crate) async fn record(mut self, resp: Response) -> Response {
        let Some(key) = self.key.take() else {
            return resp;
        };
        let status = resp.status();
        let keep =
            !(status.is_server_error() || matches!(status.as_u16(), 401 | 403 | 408 | 409 | 429));
        if !keep {
            lock(&self.app.inner().replays.0).remove(&key);
            return resp;
        }
        let (parts, body) = resp.into_parts();
        let bytes = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(b) => b,
            Err(e) => {
                lock(&self.app.inner().replays.0).remove(&key);
                return error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("internal error: {e}"),
                );
            }
        };
        let entry = if bytes.len() <= MAX_ANSWER {
            Entry::Done {
                at: Instant::now(),
                status,
                content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
                body: bytes.clone(),
            }
        } else {
            let note = serde_json::json!({
                "error": format!(
                    "a request with this Idempotency-Key was already answered (status {}); the answer was too large to keep, and nothing was stored again",
                    status.as_u16()
                )
            });
            Entry::Done {
                at: Instant::now(),
                status: StatusCode::CONFLICT,
                content_type: Some(HeaderValue::from_static("application/json")),
                body: Bytes::from(note.to_string()),
            }
        };
        lock(&self.app.inner().replays.0).insert(key, entry);
        Response::from_parts(parts, Body::from(bytes))
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(&self.app.inner().replays.0).remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(n: usize) -> Entry {
        Entry::Done {
            at: Instant::now(),
            status: StatusCode::OK,
            content_type: None,
            body: Bytes::from(vec![b'x'; n]),
        }
    }

    #[test]
    fn the_cache_keeps_its_bounds_dropping_the_least_recently_used() {
        let r = Replays::default();
        let mut c = lock(&r.0);
        for i in 0..MAX_KEYS + 10 {
            c.insert(format!("k{i}"), done(1));
        }
        assert_eq!(c.map.len(), MAX_KEYS);
        assert!(!c.map.contains_key("k0") && c.map.contains_key("k10"));
        // Touching an entry keeps it; the bytes bound drops the others.
        let _ = c.map.get("k10");
        for i in 0..40 {
            c.insert(format!("big{i}"), done(MAX_ANSWER));
        }
        assert!(c.bytes <= MAX_BYTES, "{}", c.bytes);
        assert_eq!(
            c.bytes,
            c.map.iter().map(|(_, e)| e.size()).sum::<usize>(),
            "the byte count drifted"
        );
        assert!(c.map.contains_key("big39"));
        c.remove("big39");
        assert!(!c.map.contains_key("big39"));
    }

    #[test]
    fn only_served_write_routes_take_a_key() {
        assert!(is_write(&Method::POST, "/api/v1/units"));
        assert!(is_write(&Method::DELETE, "/api/v1/units/{id}"));
        assert!(is_write(
            &Method::POST,
            "/api/v1/alignments/{id}/corrections"
        ));
        assert!(!is_write(&Method::GET, "/api/v1/units"));
        assert!(!is_write(&Method::POST, "/api/v1/lookup/batch"));
        assert!(!is_write(&Method::POST, "(no route)"));
    }
}
