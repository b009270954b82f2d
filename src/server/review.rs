//! Alignment review over the server: submit an article pair, open its
//! review page in a browser, and the page's Save stores the corrected links
//! in the memory in one write transaction (what `align --review --store`
//! does with a downloaded corrections file).
//!
//! A browser opening the page sends no bearer token, so the page and its
//! save URL carry a random key instead, given only to the write-token
//! holder who submitted the pair: the key is the capability.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::align::{self, html};
use crate::memory::{OnDuplicate, Unit};
use crate::segment::{self, Segmenter};
use crate::tm::wire::ErrorAnswer;
use crate::tm::{BatchInfo, Supersede, WriteRequest};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::api::{json_body, tag};
use super::{ApiError, ApiResult, App, Caller, lock};

/// Alignments kept for review; the oldest is dropped beyond this.
const KEPT: usize = 200;
/// Largest side of a submitted pair, in bytes.
const MAX_SIDE: usize = 512 << 10;

/// A submitted pair waiting for review.
struct Pending {
    key: String,
    from: String,
    to: String,
    title: String,
    origin: Option<String>,
    /// Recorded on the units: the submitting token's name.
    creator: String,
    src: Vec<String>,
    tgt: Vec<String>,
    links: Vec<align::Link>,
}

/// The alignments awaiting review, by id.
#[derive(Default)]
pub struct Reviews {
    next: Mutex<u64>,
    pending: Mutex<BTreeMap<u64, std::sync::Arc<Pending>>>,
    /// Saved reviews, by id: the batch that holds the save (`None` inside
    /// while a save is running), for the 409 of a second save.
    saved: Mutex<BTreeMap<u64, Option<Option<i64>>>>,
}

/// The body of `POST /api/v1/alignments`: an article pair.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    #[schema(value_type = super::openapi::LangTag)]
    from: String,
    #[schema(value_type = super::openapi::LangTag)]
    to: String,
    /// The source article (at most 512 KiB).
    #[schema(max_length = 524288)]
    source: String,
    /// Its translation (at most 512 KiB).
    #[schema(max_length = 524288)]
    target: String,
    /// The page's title.
    title: Option<String>,
    /// Recorded on the units (default: the title).
    origin: Option<String>,
}

/// The answer of `POST /api/v1/alignments`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Alignment {
    id: u64,
    /// The review page, with its key.
    review_url: String,
    /// Where the page saves its corrections, with the key.
    save_url: String,
    /// Links proposed.
    links: usize,
    source_segments: usize,
    target_segments: usize,
}

/// The answer of `POST /api/v1/alignments/{id}/corrections`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Saved {
    /// Units stored as new.
    new: u64,
    /// Units already stored (duplicates or skipped).
    duplicate: u64,
    /// Earlier units of the same document deleted.
    superseded: u64,
    /// Earlier units of the same document kept as they were.
    unchanged: u64,
    /// The write batch (history, undo); null: nothing changed.
    batch: Option<i64>,
    /// Where the server keeps the memory.
    memory: String,
}

fn key() -> ApiResult<String> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("no OS random source: {e}"),
        )
    })?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn as_segments<'a>(t: &'a [String], p: &[usize]) -> Vec<align::Segment<'a>> {
    t.iter()
        .zip(p)
        .map(|(text, &para)| align::Segment { text, para })
        .collect()
}

fn segments(text: &str, lang: &str) -> (Vec<String>, Vec<usize>) {
    let seg = Segmenter::for_lang(lang);
    let pieces = segment::document(text, &seg);
    (
        pieces
            .iter()
            .map(|p| text[p.range.clone()].to_string())
            .collect(),
        pieces.iter().map(|p| p.para).collect(),
    )
}

#[utoipa::path(
    post,
    path = "/api/v1/alignments",
    operation_id = "createAlignment",
    summary = "Segment and align an article pair for review; answers the review page's URL (with its key)",
    request_body = Submit,
    responses(
        (status = 201, description = "Aligned, awaiting review", body = Alignment),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn create(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let creator = Caller::creator(caller.as_ref().map(|c| &c.0));
    let req: Submit = json_body(&app, &headers, body).await?;
    let (from, to) = (tag("from", &req.from)?, tag("to", &req.to)?);
    // The title is the units' origin when none is given.
    for (name, v) in [("title", &req.title), ("origin", &req.origin)] {
        if let Some(v) = v {
            super::api::exportable(name, v)?;
        }
    }
    for (name, t) in [("source", &req.source), ("target", &req.target)] {
        if t.trim().is_empty() {
            return Err(ApiError::bad(format!("{name} is empty")));
        }
        if t.len() > MAX_SIDE {
            return Err(ApiError::bad(format!(
                "{name} is {} bytes; at most {MAX_SIDE} per side",
                t.len()
            )));
        }
    }
    let key = key()?;
    let a = app.clone();
    let (id, n_links, n_src, n_tgt) = App::blocking(move || {
        let (src, sp) = segments(&req.source, &from);
        let (tgt, tp) = segments(&req.target, &to);
        let opts = align::Options {
            src_lang: from.clone(),
            tgt_lang: to.clone(),
            ..align::Options::default()
        };
        let links = align::align(&as_segments(&src, &sp), &as_segments(&tgt, &tp), &opts);
        let reviews = &a.inner().reviews;
        let id = {
            let mut n = lock(&reviews.next);
            *n += 1;
            *n
        };
        let counts = (links.len(), src.len(), tgt.len());
        let mut pending = lock(&reviews.pending);
        while pending.len() >= KEPT {
            pending.pop_first();
        }
        pending.insert(
            id,
            std::sync::Arc::new(Pending {
                key: key.clone(),
                from,
                to,
                title: req.title.unwrap_or_else(|| format!("alignment {id}")),
                origin: req.origin,
                creator,
                src,
                tgt,
                links,
            }),
        );
        Ok((id, counts.0, counts.1, counts.2))
    })
    .await?;
    let key = lock(&app.inner().reviews.pending)
        .get(&id)
        .map(|p| p.key.clone())
        .unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(Alignment {
            id,
            review_url: format!("/api/v1/alignments/{id}/review?key={key}"),
            save_url: format!("/api/v1/alignments/{id}/corrections?key={key}"),
            links: n_links,
            source_segments: n_src,
            target_segments: n_tgt,
        }),
    )
        .into_response())
}

/// The key of a submitted pair (in its review_url).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyQuery {
    /// The key given when the pair was submitted.
    #[param(required = true)]
    key: Option<String>,
}

fn pending(app: &App, id: u64, key: Option<&str>) -> ApiResult<std::sync::Arc<Pending>> {
    let p = lock(&app.inner().reviews.pending).get(&id).cloned();
    match p {
        Some(p) if key.is_some_and(|k| constant_eq(k.as_bytes(), p.key.as_bytes())) => Ok(p),
        Some(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong or missing key for this alignment (use the review_url given when it was submitted)",
        )),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no alignment {id} awaiting review (saved, expired or never submitted)"),
        )),
    }
}

/// Compares keys in time independent of where they differ.
fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[utoipa::path(
    get,
    path = "/api/v1/alignments/{id}/review",
    operation_id = "reviewPage",
    summary = "The review page (HTML) of a submitted pair; its Save stores the corrections",
    security(()),
    params(("id" = u64, Path, description = "Alignment id"), KeyQuery),
    responses(
        (status = 200, description = "Self-contained HTML page", body = String, content_type = "text/html"),
        (status = 403, description = "Wrong key", body = ErrorAnswer),
        (status = 404, description = "No such alignment awaiting review", body = ErrorAnswer),
    )
)]
pub async fn page(
    State(app): State<App>,
    Path(id): Path<u64>,
    Query(q): Query<KeyQuery>,
) -> ApiResult<Response> {
    let p = pending(&app, id, q.key.as_deref())?;
    let save = format!("/api/v1/alignments/{id}/corrections?key={}", p.key);
    let src: Vec<&str> = p.src.iter().map(String::as_str).collect();
    let tgt: Vec<&str> = p.tgt.iter().map(String::as_str).collect();
    let mut buf = Vec::new();
    html::write(
        &mut buf,
        &p.links,
        &src,
        &tgt,
        &html::Page {
            title: &p.title,
            langs: (&p.from, &p.to),
            save_url: Some(&save),
        },
    )
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], buf).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/alignments/{id}/corrections",
    operation_id = "saveCorrections",
    summary = "Store the corrected links ({\"links\": [...]}, as the review page saves them) in one transaction",
    security(()),
    params(("id" = u64, Path, description = "Alignment id"), KeyQuery),
    request_body = html::Corrections,
    responses(
        (status = 200, description = "OK", body = Saved),
        (status = 403, description = "Wrong key", body = ErrorAnswer),
        (status = 404, description = "No such alignment awaiting review", body = ErrorAnswer),
        (status = 409, description = "Saved already, or being saved by another request", body = ErrorAnswer),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn save(
    State(app): State<App>,
    Path(id): Path<u64>,
    Query(q): Query<KeyQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Saved>> {
    let p = match pending(&app, id, q.key.as_deref()) {
        Ok(p) => p,
        // Saved already (or being saved): say so, with the batch, rather
        // than "not found".
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return Err(match lock(&app.inner().reviews.saved).get(&id) {
                Some(Some(batch)) => already_saved(*batch),
                Some(None) => being_saved(),
                None => e,
            });
        }
        Err(e) => return Err(e),
    };
    // Parsed by the page's own format check, not a generic JSON one.
    let raw: Value = json_body(&app, &headers, body).await?;
    let c = html::Corrections::parse(&raw.to_string(), p.src.len(), p.tgt.len())
        .map_err(|e| ApiError::bad(format!("corrections: {e}")))?;
    // The key is single-use: the first save takes the pending review out
    // of the map under its lock, so that of concurrent saves exactly one
    // writes; the others answer 409. A save that fails puts it back.
    {
        let reviews = &app.inner().reviews;
        let mut pending = lock(&reviews.pending);
        match pending.get(&id) {
            Some(cur) if std::sync::Arc::ptr_eq(cur, &p) => {
                pending.remove(&id);
                lock(&reviews.saved).insert(id, None);
            }
            _ => {
                return Err(match lock(&reviews.saved).get(&id) {
                    Some(Some(batch)) => already_saved(*batch),
                    _ => being_saved(),
                });
            }
        }
    }
    // A save whose request is cancelled (a timeout, a client gone) before
    // it committed gives the review back, as a failed save does.
    let mut taken = Taken {
        app: app.clone(),
        id,
        pending: Some(p.clone()),
    };
    let app2 = app.clone();
    let p2 = p.clone();
    let out = App::blocking(move || {
        let p = p2;
        let app = app2;
        let src: Vec<&str> = p.src.iter().map(String::as_str).collect();
        let tgt: Vec<&str> = p.tgt.iter().map(String::as_str).collect();
        let (links, st, tt) = c.flatten(&src, &tgt);
        let st: Vec<&str> = st.iter().map(String::as_str).collect();
        let tt: Vec<&str> = tt.iter().map(String::as_str).collect();
        let origin = p.origin.clone().unwrap_or_else(|| p.title.clone());
        let template = Unit {
            origin: Some(origin.clone()),
            creator: Some(p.creator.clone()),
            created: Some(crate::memory::now_tmx()),
            ..Unit::default()
        };
        let units = align::to_units(&links, &st, &tt, (&p.from, &p.to), 0.0, &template);
        let location = app.inner().location.clone();
        // One batch, so that `transmem undo` (or POST /api/v1/undo) reverts
        // a saved review whole; and, as `align --store` does, the review
        // replaces what an earlier alignment of the same document (origin
        // and language pair) stored, rather than adding beside it.
        let req = WriteRequest {
            batch: BatchInfo {
                command: format!("POST /api/v1/alignments/{id}/save ({} links)", units.len()),
                user: Some(p.creator.clone()),
            },
            on_duplicate: OnDuplicate::KeepBoth,
            groups: 1,
            defer_index: false,
            expected_units: 0,
            supersede: Some(Supersede {
                origin,
                from: p.from.clone(),
                to: p.to.clone(),
            }),
        };
        let written = app.with_writer(|mem| {
            Ok(crate::tm::ops::write(mem, &req, &mut |sink| {
                for u in &units {
                    sink.unit(0, u.clone(), Some(p.from.clone()))?;
                }
                Ok(())
            })?)
        })?;
        let t = written.total();
        let dup = t.duplicate + t.skipped;
        eprintln!("{}", crate::tm::stored_in(t.new, dup, &location));
        Ok((
            written.batch,
            Saved {
                new: t.new,
                duplicate: dup,
                superseded: written.superseded,
                unchanged: written.unchanged,
                batch: written.batch,
                memory: location.to_string(),
            },
        ))
    })
    .await;
    let p = taken.pending.take().unwrap_or(p);
    let reviews = &app.inner().reviews;
    match out {
        Ok((batch, out)) => {
            let mut saved = lock(&reviews.saved);
            saved.insert(id, Some(batch));
            // Remember as many saved ids as pending ones, the oldest
            // forgotten first.
            while saved.len() > KEPT {
                saved.pop_first();
            }
            Ok(Json(out))
        }
        Err(e) => {
            lock(&reviews.saved).remove(&id);
            lock(&reviews.pending).insert(id, p);
            Err(e)
        }
    }
}

/// A review taken out of the pending ones for a save; given back if the
/// save's request is dropped before it finished.
struct Taken {
    app: App,
    id: u64,
    pending: Option<std::sync::Arc<Pending>>,
}

impl Drop for Taken {
    fn drop(&mut self) {
        if let Some(p) = self.pending.take() {
            let reviews = &self.app.inner().reviews;
            lock(&reviews.saved).remove(&self.id);
            lock(&reviews.pending).insert(self.id, p);
        }
    }
}

fn already_saved(batch: Option<i64>) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        match batch {
            Some(b) => format!("this review was already saved in batch {b}"),
            None => "this review was already saved (it changed nothing)".to_string(),
        },
    )
}

fn being_saved() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "this review is being saved by another request",
    )
}
