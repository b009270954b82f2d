//! The routes a remote translation memory (`crate::remote::Remote`, the
//! CLI with `--memory http(s)://…`) needs beyond the others: the
//! languages, a streamed unit list, a streamed write in one batch, lookups
//! with each query's own context, dedupe, and token administration. Each
//! runs the same `crate::tm::ops` function as a local memory, and
//! speaks the shapes of `crate::tm::wire`, which the client reads.

use std::io::{BufRead, BufReader};

use crate::matcher::{Options, Query as MatchQuery};
use crate::tm::wire::{self, MAX_QUERIES, WriteLine};
use crate::tm::{BatchInfo, Role, WriteRequest, ops};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rayon::prelude::*;
use serde_json::json;
use wire::ErrorAnswer;

use super::api::{MAX_QUERY_BYTES, json_body, tag};
use super::{ApiError, ApiResult, App, Caller};

/// Longest line of an upload to `POST /units/import`.
const LINE_BYTES: usize = 64 << 20;

/// Most index candidates a client may ask to score per query.
const MAX_CANDIDATES: usize = 10_000;

fn user(caller: &Option<axum::Extension<Caller>>) -> String {
    Caller::creator(caller.as_ref().map(|c| &c.0))
}

/// A library error as an answer: bad input 400, a busy memory 503.
fn api(e: crate::Error) -> ApiError {
    ApiError::from(e)
}

/// `GET /api/v1/languages`: the stored tags and the unit count.
#[utoipa::path(
    get,
    path = "/api/v1/languages",
    operation_id = "languages",
    summary = "The stored language tags and the unit count (cheap: no scan)",
    responses((status = 200, description = "OK", body = wire::LanguagesAnswer))
)]
pub async fn languages(State(app): State<App>) -> ApiResult<Json<wire::LanguagesAnswer>> {
    let a = App::blocking(move || {
        app.with_reader(|m| {
            Ok(wire::LanguagesAnswer {
                languages: m.languages()?,
                units: m.unit_count()?,
            })
        })
    })
    .await?;
    Ok(Json(a))
}

/// Blocking `Write` handing 64 KiB chunks to a response stream.
struct Chunks {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl Chunks {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl std::io::Write for Chunks {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 << 10 {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// `GET /api/v1/units/export`: every unit the filters select, in id order,
/// one JSON object per line, then `{"end": N}`. A failure mid-way aborts
/// the transfer, so a client never takes a shorter list for the whole.
#[utoipa::path(
    get,
    path = "/api/v1/units/export",
    operation_id = "exportUnits",
    summary = "Every unit the filters select, in id order, one JSON object per line, then {\"end\": N}; streamed",
    params(wire::FilterQuery),
    responses((status = 200, description = "Newline-delimited JSON units", body = String, content_type = "application/x-ndjson"))
)]
pub async fn export_units(
    State(app): State<App>,
    Query(q): Query<wire::FilterQuery>,
) -> ApiResult<Response> {
    let filter = q.filter().map_err(api)?.compile().map_err(api)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(16);
    super::cancel::spawn_blocking(move || {
        let err_tx = tx.clone();
        let done = app.with_reader(|m| {
            use std::io::Write;
            let mut out = Chunks {
                tx,
                buf: Vec::with_capacity(64 << 10),
            };
            let mut n = 0u64;
            m.for_each_unit_filtered(&filter, |u| {
                serde_json::to_writer(&mut out, &u)
                    .map_err(|e| crate::Error::io("<response>", e.into()))?;
                out.write_all(b"\n")
                    .map_err(|e| crate::Error::io("<response>", e))?;
                n += 1;
                Ok(())
            })?;
            writeln!(out, "{}", json!({ "end": n }))
                .and_then(|_| out.flush())
                .map_err(|e| ApiError::bad(e.to_string()))?;
            Ok(())
        });
        if let Err(e) = done {
            eprintln!("transmem serve: unit list failed: {}", e.message);
            let _ = err_tx.blocking_send(Err(std::io::Error::other(e.message)));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(stream),
    )
        .into_response())
}

/// The next line of an upload, parsed; `None` at its end.
fn next_line(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    line: &mut u64,
) -> crate::Result<Option<WriteLine>> {
    buf.clear();
    let got = std::io::Read::take(&mut *r, LINE_BYTES as u64 + 1)
        .read_until(b'\n', buf)
        .map_err(|e| crate::Error::Invalid(format!("reading the upload: {e}")))?;
    if got == 0 {
        return Ok(None);
    }
    *line += 1;
    if buf.len() > LINE_BYTES {
        return Err(crate::Error::Invalid(format!(
            "line {line}: longer than {LINE_BYTES} bytes"
        )));
    }
    serde_json::from_slice(buf)
        .map(Some)
        .map_err(|e| crate::Error::Invalid(format!("line {line}: {e}")))
}

/// `POST /api/v1/units/import`: units as newline-delimited
/// [`WriteLine`]s, stored in one batch (the client's command, the token's
/// name as user); committed only after an `end` line whose count agrees.
#[utoipa::path(
    post,
    path = "/api/v1/units/import",
    operation_id = "importUnits",
    summary = "Store units sent as newline-delimited JSON (begin, unit and skipped lines, end) in one batch; an upload without its end line stores nothing",
    request_body(content = String, content_type = "application/x-ndjson"),
    responses(
        (status = 200, description = "OK", body = wire::WriteAnswer),
        (status = 413, description = "Upload over the size limit", body = ErrorAnswer),
    )
)]
pub async fn import_units(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<wire::WriteAnswer>> {
    let who = user(&caller);
    let limit = app.inner().limits.upload;
    let too_big = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the upload is larger than {limit} bytes (the server's limit); nothing was stored"
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_big());
    }
    let (sender, reader) = super::upload::channel();
    let a = app.clone();
    let worker = super::cancel::spawn_blocking(move || {
        let location = a.inner().location.clone();
        let written = a.with_writer(|mem| {
            let mut r = BufReader::with_capacity(1 << 16, reader);
            let (mut buf, mut line) = (Vec::new(), 0u64);
            let Some(WriteLine::Begin {
                command,
                on_duplicate,
                groups,
                supersede,
            }) = next_line(&mut r, &mut buf, &mut line)?
            else {
                return Err(ApiError::bad("line 1: the upload must start with a begin line"));
            };
            let on_duplicate = wire::parse_policy(&on_duplicate).ok_or_else(|| {
                ApiError::bad(format!(
                    "on_duplicate {on_duplicate:?}: expected keep-both, skip or overwrite"
                ))
            })?;
            if groups == 0 || groups > 100_000 {
                return Err(ApiError::bad(format!("groups {groups}: give 1 to 100000")));
            }
            let req = WriteRequest {
                batch: BatchInfo {
                    command: if command.trim().is_empty() {
                        "POST /api/v1/units/import".into()
                    } else {
                        command
                    },
                    user: Some(who.clone()),
                },
                on_duplicate,
                groups,
                // Lookups here bring their live matchers up to date.
                defer_index: true,
                expected_units: 0,
                supersede,
            };
            let written = ops::write(mem, &req, &mut |sink| {
                let mut units = 0u64;
                loop {
                    match next_line(&mut r, &mut buf, &mut line)? {
                        None => {
                            return Err(crate::Error::Invalid(
                                "the upload ended before its end line".into(),
                            ));
                        }
                        Some(WriteLine::Unit {
                            group,
                            source_lang,
                            unit,
                        }) => {
                            let mut unit = *unit;
                            unit.id = None;
                            if unit.creator.is_none() {
                                unit.creator = Some(who.clone());
                            }
                            sink.unit(group, unit, source_lang).map_err(|e| match e {
                                crate::Error::InvalidUnit(m) => {
                                    crate::Error::Invalid(format!("line {line}: {m}"))
                                }
                                crate::Error::Lang(t) => crate::Error::Invalid(format!(
                                    "line {line}: invalid language tag {t:?}"
                                )),
                                e => e,
                            })?;
                            units += 1;
                        }
                        Some(WriteLine::Skipped { group, n }) => sink.skipped(group, n),
                        Some(WriteLine::End { units: sent }) if sent == units => return Ok(()),
                        Some(WriteLine::End { units: sent }) => {
                            return Err(crate::Error::Invalid(format!(
                                "line {line}: the end line counts {sent} units, the upload held {units}"
                            )));
                        }
                        Some(WriteLine::Begin { .. }) => {
                            return Err(crate::Error::Invalid(format!(
                                "line {line}: a second begin line"
                            )));
                        }
                    }
                }
            })?;
            Ok(written)
        })?;
        let t = written.total();
        let s = |n: u64| if n == 1 { "" } else { "s" };
        eprintln!(
            "stored {} new unit{} ({} duplicate{} skipped) in {}{}",
            t.new,
            s(t.new),
            t.duplicate + t.skipped,
            s(t.duplicate + t.skipped),
            location,
            written
                .batch
                .map(|b| format!("; recorded as batch {b}"))
                .unwrap_or_default()
        );
        Ok::<_, ApiError>(wire::WriteAnswer {
            written,
            memory: location.to_string(),
        })
    });
    let exceeded = super::upload::pump(body, sender, limit).await;
    let result = worker.await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error: {e}"),
        )
    })?;
    if exceeded {
        return Err(too_big());
    }
    result.map(Json).map_err(|mut e| {
        if e.message.contains("reading the upload") || e.message.contains(super::upload::NOT_WHOLE)
        {
            e.status = StatusCode::BAD_REQUEST;
        }
        e.message = format!("{}; nothing was stored", e.message);
        e
    })
}

fn check_text(field: &str, text: &str) -> ApiResult<()> {
    if text.len() > MAX_QUERY_BYTES {
        return Err(ApiError::bad(format!(
            "{field} is {} bytes, longer than the limit of {MAX_QUERY_BYTES}; split it into sentences",
            text.len()
        )));
    }
    Ok(())
}

/// `POST /api/v1/lookup/queries`: up to [`MAX_QUERIES`] queries, each with
/// its own neighbours, looked up on every core against one refresh of the
/// live matcher; each query's matches as `lookup --format jsonl` gives them.
#[utoipa::path(
    post,
    path = "/api/v1/lookup/queries",
    operation_id = "lookupQueries",
    summary = "Fuzzy matches for up to 1000 queries, each with its own neighbours (open to anonymous read with --anonymous-read)",
    request_body = wire::QueriesRequest,
    responses(
        (status = 200, description = "OK", body = wire::QueriesAnswer),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn lookup_queries(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<wire::QueriesAnswer>> {
    let req: wire::QueriesRequest = json_body(&app, &headers, body).await?;
    let (from, to) = (tag("from", &req.from)?, tag("to", &req.to)?);
    if req.queries.len() > MAX_QUERIES {
        return Err(ApiError::bad(format!(
            "{} queries; at most {MAX_QUERIES} per request",
            req.queries.len()
        )));
    }
    for (i, q) in req.queries.iter().enumerate() {
        check_text(&format!("queries[{i}].text"), &q.text)?;
        for (f, t) in [("prev", &q.prev), ("next", &q.next)] {
            if let Some(t) = t {
                check_text(&format!("queries[{i}].{f}"), t)?;
            }
        }
    }
    let threshold = req.threshold.unwrap_or(70.0);
    if !(threshold.is_finite() && (0.0..=101.0).contains(&threshold)) {
        return Err(ApiError::bad(
            "threshold must be a percentage between 0 and 101",
        ));
    }
    let limit = req.limit.unwrap_or(5);
    if !(1..=crate::tm::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad(format!(
            "limit must be between 1 and {}",
            crate::tm::MAX_LIMIT
        )));
    }
    let candidates = req.candidates.unwrap_or(0);
    if candidates > MAX_CANDIDATES {
        return Err(ApiError::bad(format!(
            "candidates must be at most {MAX_CANDIDATES}"
        )));
    }
    let mut opts = Options {
        threshold,
        limit,
        candidates,
        ..Options::default()
    };
    if let Some(p) = req.penalties {
        if ![p.case, p.punctuation, p.number, p.tag]
            .iter()
            .all(|v| v.is_finite() && *v >= 0.0)
        {
            return Err(ApiError::bad("penalties must be numbers of 0 or more"));
        }
        opts.penalties = p.into();
    }
    // One read turn, as a single lookup takes: a batch spreads over every
    // core itself, and 64 clients' batches must queue fairly, not contend
    // for the pool (issue 23's 64-connection p99).
    let turns = app.clone();
    let results = turns
        .reading(move || {
            // One stamp check for the whole request.
            let matcher = match app.matcher(&from, &to) {
                Ok(m) => m,
                // The CLI on a server (`--memory https://…`) names the held
                // languages itself, as on a file, where a direction without
                // text finds nothing: the same here, with nothing loaded.
                Err(e)
                    if e.status == StatusCode::BAD_REQUEST
                        && app.missing_language(&[&from, &to])?.is_some() =>
                {
                    return Ok(vec![Vec::new(); req.queries.len()]);
                }
                Err(e) => return Err(e),
            };
            matcher.refresh()?;
            req.queries
                .par_iter()
                .map(|q| {
                    if crate::matcher::skip_reason(&q.text).is_some() {
                        return Ok(Vec::new());
                    }
                    let mq = MatchQuery {
                        text: &q.text,
                        prev: q.prev.as_deref(),
                        next: q.next.as_deref(),
                    };
                    Ok(matcher.lookup_as_is(&mq, &opts)?)
                })
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(Json(wire::QueriesAnswer { results }))
}

/// `POST /api/v1/dedupe`: conflicts and exact duplicates, resolved as
/// asked in one batch (`transmem dedupe`).
#[utoipa::path(
    post,
    path = "/api/v1/dedupe",
    operation_id = "dedupe",
    summary = "Sources stored with different translations and units identical in every variant; resolved as asked in one batch (`transmem dedupe`)",
    request_body = wire::Op<crate::tm::DedupeRequest>,
    responses(
        (status = 200, description = "OK", body = crate::tm::DedupeDone),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn dedupe(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<crate::tm::DedupeDone>> {
    let req: wire::DedupeIn = json_body(&app, &headers, body).await?;
    tag("from", &req.request.from)?;
    tag("to", &req.request.to)?;
    let batch = batch_of(req.command.clone(), "POST /api/v1/dedupe", &caller);
    let done = App::blocking(move || {
        let location = app.inner().location.clone();
        let done = app.with_writer(|mem| ops::dedupe(mem, &batch, &req.request).map_err(api))?;
        if let Some(b) = done.batch {
            eprintln!(
                "deleted {} older translations and merged away {} duplicate units in {}; recorded as batch {b}",
                done.deleted,
                done.removed,
                location
            );
        }
        Ok(done)
    })
    .await?;
    Ok(Json(done))
}

/// The batch of an operation: the client's command line (else the
/// route), the token's name as user.
fn batch_of(
    command: Option<String>,
    route: &str,
    caller: &Option<axum::Extension<Caller>>,
) -> BatchInfo {
    BatchInfo {
        command: command
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| route.to_string()),
        user: Some(user(caller)),
    }
}

/// Says on the server's stderr what a write did, and where.
fn logged(what: &str, app: &App, batch: Option<i64>) {
    let location = &app.inner().location;
    match batch {
        Some(b) => eprintln!("{what} in {location}; recorded as batch {b}"),
        None => eprintln!("{what} in {location}; nothing changed, no batch recorded"),
    }
}

/// `POST /api/v1/tm/edit`: one variant's new text (`transmem edit`), one
/// batch recorded under the client's command.
#[utoipa::path(
    post,
    path = "/api/v1/tm/edit",
    operation_id = "tmEdit",
    summary = "Set one variant's text (`transmem edit`) in one batch recorded under the client's command",
    request_body = wire::Op<wire::EditIn>,
    responses(
        (status = 200, description = "OK", body = crate::tm::EditDone),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn tm_edit(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<crate::tm::EditDone>> {
    let req: wire::Op<wire::EditIn> = json_body(&app, &headers, body).await?;
    let batch = batch_of(req.command, "POST /api/v1/tm/edit", &caller);
    let e = req.request;
    let lang = tag("lang", &e.lang)?;
    if e.text.trim().is_empty() {
        return Err(ApiError::bad("text is empty; to remove a unit, delete it"));
    }
    check_text("text", &e.text)?;
    App::blocking(move || {
        let done =
            app.with_writer(|mem| ops::edit(mem, &batch, e.id, &lang, &e.text).map_err(api))?;
        logged(
            &format!("edit of unit {} {lang}: {:?}", e.id, done.edited),
            &app,
            done.batch,
        );
        Ok(Json(done))
    })
    .await
}

/// `POST /api/v1/tm/delete`: every unit a non-empty filter selects, in one
/// batch (`transmem delete`, which lists and confirms first).
#[utoipa::path(
    post,
    path = "/api/v1/tm/delete",
    operation_id = "tmDelete",
    summary = "Delete every unit a non-empty filter selects (`transmem delete`, which lists and confirms first), in one batch",
    request_body = wire::Op<wire::DeleteIn>,
    responses(
        (status = 200, description = "OK", body = crate::tm::Deleted),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn tm_delete(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<crate::tm::Deleted>> {
    let req: wire::Op<wire::DeleteIn> = json_body(&app, &headers, body).await?;
    if req.request.filter.is_empty() {
        return Err(ApiError::bad(
            "give a filter (ids, langs, origin, match, since, ...); delete never takes the whole memory",
        ));
    }
    let filter = req.request.filter.compile().map_err(api)?;
    let batch = batch_of(req.command, "POST /api/v1/tm/delete", &caller);
    App::blocking(move || {
        let done = app.with_writer(|mem| ops::delete(mem, &batch, &filter).map_err(api))?;
        logged(&format!("deleted {} units", done.deleted), &app, done.batch);
        Ok(Json(done))
    })
    .await
}

/// `POST /api/v1/tm/replace`: a regular expression replaced in one
/// language's texts (`transmem replace`): all changes answered (a dry run
/// changes nothing), made in one batch.
#[utoipa::path(
    post,
    path = "/api/v1/tm/replace",
    operation_id = "tmReplace",
    summary = "Replace a regular expression in one language's texts (`transmem replace`): every change answered; unless dry_run, made in one batch",
    request_body = wire::Op<crate::tm::ReplaceRequest>,
    responses(
        (status = 200, description = "OK", body = crate::tm::Replaced),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn tm_replace(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<crate::tm::Replaced>> {
    let req: wire::Op<crate::tm::ReplaceRequest> = json_body(&app, &headers, body).await?;
    tag("lang", &req.request.lang)?;
    let batch = batch_of(req.command, "POST /api/v1/tm/replace", &caller);
    let r = req.request;
    App::blocking(move || {
        let done = app.with_writer(|mem| ops::replace(mem, &batch, &r).map_err(api))?;
        if !r.dry_run {
            logged(
                &format!("changed {} {} texts", done.changed, r.lang),
                &app,
                done.batch,
            );
        }
        Ok(Json(done))
    })
    .await
}

/// `POST /api/v1/tm/undo` (admin): reverts one batch as a new batch
/// (`transmem undo`); a dry run rolls it back again.
#[utoipa::path(
    post,
    path = "/api/v1/tm/undo",
    operation_id = "tmUndo",
    summary = "Revert one batch (admin; `transmem undo`) as a new batch; dry_run rolls it back again",
    request_body = wire::Op<wire::UndoIn>,
    responses(
        (status = 200, description = "OK", body = crate::tm::UndoDone),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn tm_undo(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<crate::tm::UndoDone>> {
    let req: wire::Op<wire::UndoIn> = json_body(&app, &headers, body).await?;
    let batch = batch_of(req.command, "POST /api/v1/tm/undo", &caller);
    let u = req.request;
    App::blocking(move || {
        let done = app
            .with_writer(|mem| ops::undo(mem, &batch, u.batch, u.force, u.dry_run).map_err(api))?;
        if !u.dry_run {
            logged(
                &format!(
                    "undid batch {}: {} units removed, {} restored",
                    u.batch, done.undone.removed, done.undone.restored
                ),
                &app,
                done.batch,
            );
        }
        Ok(Json(done))
    })
    .await
}

/// `GET /api/v1/tokens` (admin): every token, never a secret or hash.
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    operation_id = "listTokens",
    summary = "Every API token (admin): id, role, name, created; never a secret",
    responses((status = 200, description = "OK", body = wire::TokensAnswer))
)]
pub async fn list_tokens(State(app): State<App>) -> ApiResult<Json<wire::TokensAnswer>> {
    let tokens = App::blocking(move || app.with_reader(|m| ops::tokens(m).map_err(api))).await?;
    Ok(Json(wire::TokensAnswer { tokens }))
}

/// `POST /api/v1/tokens` (admin): stores a token the client made, by the
/// SHA-256 of its secret (the secret never crosses the network).
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    operation_id = "createToken",
    summary = "Store a token (admin) by the SHA-256 of a secret the client made",
    request_body = wire::TokenIn,
    responses(
        (status = 201, description = "Stored", body = wire::TokenCreated),
        (status = 409, description = "A token with this hash is stored already", body = ErrorAnswer),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn create_token(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let req: wire::TokenIn = json_body(&app, &headers, body).await?;
    let hex = |s: &str| {
        s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if !hex(&req.hash) {
        return Err(ApiError::bad(
            "hash: expected the SHA-256 of the token as 64 lower-case hex digits",
        ));
    }
    let role = Role::parse(&req.role).ok_or_else(|| {
        ApiError::bad(format!(
            "role {:?}: expected read, write or admin",
            req.role
        ))
    })?;
    let id = App::blocking(move || {
        let location = app.inner().location.clone();
        let id = app.with_writer(|m| {
            // A second token with the same secret would make the first
            // ambiguous (and the store refuses it): a conflict, not a 500.
            if let Some(t) = m.token_by_hash(&req.hash).map_err(api)? {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!("token #{} has this hash already; nothing stored", t.id),
                ));
            }
            m.add_token(&req.hash, role.as_str(), req.name.as_deref())
                .map_err(api)
        })?;
        eprintln!(
            "stored {} token #{id} (its SHA-256 only) in {}",
            role.as_str(),
            location
        );
        Ok(id)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(wire::TokenCreated { id })).into_response())
}

/// `DELETE /api/v1/tokens/{id}` (admin).
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    operation_id = "revokeToken",
    summary = "Revoke a token (admin); servers stop accepting it within 5 s",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 200, description = "OK", body = wire::TokenRevoked))
)]
pub async fn revoke_token(
    State(app): State<App>,
    Path(id): Path<i64>,
) -> ApiResult<Json<wire::TokenRevoked>> {
    let revoked = App::blocking(move || {
        let location = app.inner().location.clone();
        let revoked = app.with_writer(|m| m.revoke_token(id).map_err(api))?;
        if revoked {
            eprintln!("revoked token #{id} in {}", location);
        }
        Ok(revoked)
    })
    .await?;
    Ok(Json(wire::TokenRevoked { revoked }))
}
