//! The JSON API under `/api/v1` and the tmserver protocol.

use crate::formats::{Format, csv};
use crate::matcher::live::Live;
use crate::matcher::{Options, Query as MatchQuery};
use crate::memory::{Inserted, OnDuplicate, Unit, Variant};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{ApiError, ApiResult, App, Caller};

/// Why abandoned work stopped (in the server's log).
pub(crate) const NOT_FINISHED: &str = "the request was cancelled (timed out or its client left)";

/// Longest text looked up, in bytes (the CLI's default `--max-query-bytes`).
pub const MAX_QUERY_BYTES: usize = 65536;
/// Most segments in one batch lookup.
pub const MAX_BATCH: usize = 1000;
/// Most units in one `POST /units`.
pub const MAX_UNITS: usize = 10_000;

/// Reads a JSON body of at most the server's body limit; too large is 413,
/// malformed or of the wrong shape is 400, both with the reason.
pub async fn json_body<T: DeserializeOwned>(
    app: &App,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<T> {
    let limit = app.inner().limits.body;
    let too_big = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than {limit} bytes (the server's limit)"),
        )
    };
    if content_length(headers).is_some_and(|n| n > limit as u64) {
        return Err(too_big());
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_big())?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::bad(format!("bad JSON body: {e}")))
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// A language tag from a request, canonicalised (400 if it is not one).
pub fn tag(field: &str, value: &str) -> ApiResult<String> {
    crate::lang::normalize_tag(value).map_err(|e| ApiError::bad(format!("{field}: {e}")))
}

fn options(threshold: Option<f64>, limit: Option<usize>) -> ApiResult<Options> {
    let threshold = threshold.unwrap_or(70.0);
    if !(threshold.is_finite() && (0.0..=101.0).contains(&threshold)) {
        return Err(ApiError::bad(
            "threshold must be a percentage between 0 and 101",
        ));
    }
    let limit = limit.unwrap_or(5);
    if !(1..=crate::tm::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad(format!(
            "limit must be between 1 and {}",
            crate::tm::MAX_LIMIT
        )));
    }
    Ok(Options {
        threshold,
        limit,
        ..Options::default()
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

pub async fn health(State(app): State<App>) -> ApiResult<Json<Value>> {
    let a = app.clone();
    let stamp = App::blocking(move || a.with_reader(|m| Ok(m.stamp()?))).await?;
    Ok(Json(
        json!({"status": "ok", "generation": stamp.generation}),
    ))
}

pub async fn stats(State(app): State<App>) -> ApiResult<Json<Value>> {
    let a = app.clone();
    let st = App::blocking(move || a.with_reader(|m| Ok(m.stats()?))).await?;
    Ok(Json(json!({
        "units": st.units,
        "pairs": st.pairs,
        "languages": st.languages,
        "origins": st.origins,
    })))
}

pub async fn whoami(caller: axum::Extension<Caller>) -> Json<Value> {
    Json(json!({"role": caller.0.role.as_str()}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LookupReq {
    from: String,
    to: String,
    text: String,
    prev: Option<String>,
    next: Option<String>,
    threshold: Option<f64>,
    limit: Option<usize>,
}

/// One query's answer, the shape `transmem lookup --format jsonl` prints.
fn answer(matcher: &Live, q: &MatchQuery, opts: &Options) -> ApiResult<Value> {
    if let Some(why) = crate::matcher::skip_reason(q.text) {
        return Ok(json!({"query": q.text, "matches": [], "skipped": why}));
    }
    // The caller refreshed the matcher (once per request).
    let matches = matcher.lookup_as_is(q, opts)?;
    Ok(json!({"query": q.text, "matches": matches}))
}

pub async fn lookup(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let req: LookupReq = json_body(&app, &headers, body).await?;
    let (from, to) = (tag("from", &req.from)?, tag("to", &req.to)?);
    let opts = options(req.threshold, req.limit)?;
    for (f, t) in [
        ("text", Some(&req.text)),
        ("prev", req.prev.as_ref()),
        ("next", req.next.as_ref()),
    ] {
        if let Some(t) = t {
            check_text(f, t)?;
        }
    }
    let out = App::blocking(move || {
        let q = MatchQuery {
            text: &req.text,
            prev: req.prev.as_deref(),
            next: req.next.as_deref(),
        };
        let matcher = app.matcher(&from, &to)?;
        matcher.refresh()?;
        answer(&matcher, &q, &opts)
    })
    .await?;
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchReq {
    from: String,
    to: String,
    segments: Vec<String>,
    /// The segments are one document in order: each one's neighbours are
    /// its context, for 101% matches.
    #[serde(default)]
    context: bool,
    threshold: Option<f64>,
    limit: Option<usize>,
}

pub async fn lookup_batch(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let req: BatchReq = json_body(&app, &headers, body).await?;
    let (from, to) = (tag("from", &req.from)?, tag("to", &req.to)?);
    let opts = options(req.threshold, req.limit)?;
    if req.segments.len() > MAX_BATCH {
        return Err(ApiError::bad(format!(
            "{} segments; at most {MAX_BATCH} per request",
            req.segments.len()
        )));
    }
    for (i, s) in req.segments.iter().enumerate() {
        check_text(&format!("segments[{i}]"), s)?;
    }
    let out = App::blocking(move || {
        let segs = &req.segments;
        // One stamp check for the whole batch.
        let matcher = app.matcher(&from, &to)?;
        matcher.refresh()?;
        let mut results = Vec::with_capacity(segs.len());
        for (i, s) in segs.iter().enumerate() {
            let (prev, next) = if req.context {
                (
                    i.checked_sub(1).map(|p| segs[p].as_str()),
                    segs.get(i + 1).map(String::as_str),
                )
            } else {
                (None, None)
            };
            let q = MatchQuery {
                text: s,
                prev,
                next,
            };
            // A request that timed out or whose client left stops here.
            if super::cancel::cancelled() {
                eprintln!(
                    "transmem serve: lookup/batch stopped after {i} of {} segments: {NOT_FINISHED}",
                    segs.len()
                );
                return Err(super::cancelled());
            }
            results.push(answer(&matcher, &q, &opts)?);
        }
        Ok(json!({ "results": results }))
    })
    .await?;
    Ok(Json(out))
}

#[derive(Deserialize)]
pub struct ConcordanceQuery {
    lang: String,
    q: String,
    limit: Option<usize>,
}

pub async fn concordance(
    State(app): State<App>,
    Query(q): Query<ConcordanceQuery>,
) -> ApiResult<Json<Value>> {
    let lang = tag("lang", &q.lang)?;
    check_text("q", &q.q)?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=crate::tm::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad(format!(
            "limit must be between 1 and {}",
            crate::tm::MAX_LIMIT
        )));
    }
    let hits = App::blocking(move || {
        app.with_reader(|m| Ok(crate::matcher::concordance::search(m, &lang, &q.q, limit)?))
    })
    .await?;
    Ok(Json(json!({ "hits": hits })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantIn {
    lang: String,
    text: String,
    prev: Option<String>,
    next: Option<String>,
    #[serde(default)]
    notes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitIn {
    variants: Vec<VariantIn>,
    origin: Option<String>,
    tuid: Option<String>,
    creator: Option<String>,
    #[serde(default)]
    notes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddUnits {
    units: Vec<UnitIn>,
    /// keep-both (default), skip or overwrite.
    on_duplicate: Option<String>,
    /// The language whose text counts as the source for on_duplicate.
    source_lang: Option<String>,
}

pub fn on_duplicate(v: Option<&str>) -> ApiResult<OnDuplicate> {
    Ok(match v.unwrap_or("keep-both") {
        "keep-both" => OnDuplicate::KeepBoth,
        "skip" => OnDuplicate::Skip,
        "overwrite" => OnDuplicate::Overwrite,
        other => {
            return Err(ApiError::bad(format!(
                "on_duplicate {other:?}: expected keep-both, skip or overwrite"
            )));
        }
    })
}

fn unit_in(i: usize, u: UnitIn, creator: &str) -> ApiResult<Unit> {
    if u.variants.len() < 2 {
        return Err(ApiError::bad(format!(
            "units[{i}]: a unit needs at least two variants (languages)"
        )));
    }
    let mut variants = Vec::with_capacity(u.variants.len());
    for (j, v) in u.variants.into_iter().enumerate() {
        let lang = tag(&format!("units[{i}].variants[{j}].lang"), &v.lang)?;
        if v.text.trim().is_empty() {
            return Err(ApiError::bad(format!(
                "units[{i}].variants[{j}].text is empty"
            )));
        }
        check_text(&format!("units[{i}].variants[{j}].text"), &v.text)?;
        variants.push(Variant {
            lang,
            text: v.text,
            prev: v.prev,
            next: v.next,
            notes: v.notes,
            ..Variant::default()
        });
    }
    let now = crate::memory::now_tmx();
    Ok(Unit {
        variants,
        origin: u.origin,
        tuid: u.tuid,
        creator: Some(u.creator.unwrap_or_else(|| creator.to_string())),
        created: Some(now),
        notes: u.notes,
        ..Unit::default()
    })
}

fn status_name(i: Inserted) -> (&'static str, i64) {
    match i {
        Inserted::New(id) => ("new", id),
        Inserted::Duplicate(id) => ("duplicate", id),
        Inserted::Skipped(id) => ("skipped", id),
        Inserted::Overwritten(id) => ("overwritten", id),
    }
}

pub async fn add_units(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let creator = Caller::creator(caller.as_ref().map(|c| &c.0));
    let req: AddUnits = json_body(&app, &headers, body).await?;
    if req.units.is_empty() || req.units.len() > MAX_UNITS {
        return Err(ApiError::bad(format!(
            "give 1 to {MAX_UNITS} units, not {}",
            req.units.len()
        )));
    }
    let policy = on_duplicate(req.on_duplicate.as_deref())?;
    let source = req
        .source_lang
        .as_deref()
        .map(|l| tag("source_lang", l))
        .transpose()?;
    // Every unit is checked before the write lock is taken.
    let units: Vec<Unit> = req
        .units
        .into_iter()
        .enumerate()
        .map(|(i, u)| unit_in(i, u, &creator))
        .collect::<ApiResult<_>>()?;
    let out = App::blocking(move || {
        let location = app.inner().location.clone();
        let command = format!("POST /api/v1/units ({} units)", units.len());
        // Committed with the writes of other requests waiting meanwhile
        // (a group commit), still one batch of its own.
        let results = app.write_grouped(move |w| {
            // One batch, named after the request and the token (history, undo).
            w.start_batch(&command, Some(&creator))?;
            let mut results = Vec::with_capacity(units.len());
            for u in &units {
                results.push(w.insert(u, source.as_deref(), policy)?);
            }
            Ok(results)
        })?;
        let new = results
            .iter()
            .filter(|r| matches!(r, Inserted::New(_)))
            .count() as u64;
        eprintln!(
            "{}",
            crate::tm::stored_in(new, results.len() as u64 - new, &location)
        );
        let list: Vec<Value> = results
            .iter()
            .map(|&r| {
                let (s, id) = status_name(r);
                json!({"id": id, "status": s})
            })
            .collect();
        Ok(json!({"results": list, "new": new, "memory": location.to_string()}))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

pub async fn get_unit(State(app): State<App>, Path(id): Path<i64>) -> ApiResult<Json<Unit>> {
    let unit = App::blocking(move || app.with_reader(|m| Ok(m.unit(id)?))).await?;
    unit.map(Json)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no unit {id}")))
}

#[derive(Deserialize)]
pub struct ImportQuery {
    format: String,
    langs: Option<String>,
    columns: Option<String>,
    origin: Option<String>,
    default_origin: Option<String>,
    on_duplicate: Option<String>,
}

fn split_list(s: Option<&str>) -> Vec<&str> {
    s.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

pub async fn import(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let format = Format::parse(&q.format)
        .ok_or_else(|| ApiError::bad(format!("format {:?}: expected tmx, csv or tsv", q.format)))?;
    let langs: Vec<csv::Column> = split_list(q.langs.as_deref())
        .into_iter()
        .map(|l| tag("langs", l).map(csv::Column::Lang))
        .collect::<ApiResult<_>>()?;
    let named: Vec<csv::Column> = split_list(q.columns.as_deref())
        .into_iter()
        .map(|c| csv::Column::parse(c).map_err(|e| ApiError::bad(format!("columns: {e}"))))
        .collect::<ApiResult<_>>()?;
    let mut opts = crate::import::Options {
        creator: Some(Caller::creator(caller.as_ref().map(|c| &c.0))),
        origin: q.origin.clone(),
        default_origin: Some(q.default_origin.clone().unwrap_or_else(|| "upload".into())),
        on_duplicate: on_duplicate(q.on_duplicate.as_deref())?,
        ..Default::default()
    };
    if langs.is_empty() {
        opts.csv.rename = (!named.is_empty()).then(|| named.clone());
    } else {
        opts.csv.columns = Some(langs.iter().chain(&named).cloned().collect());
    }
    let limit = app.inner().limits.upload;
    let too_big = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the upload is larger than {limit} bytes (the server's limit); nothing was stored"
            ),
        )
    };
    if content_length(&headers).is_some_and(|n| n > limit) {
        return Err(too_big());
    }
    let (sender, reader) = super::upload::channel();
    let name = format!("upload.{}", q.format.to_ascii_lowercase());
    let command = format!("POST /api/v1/import?format={}", q.format);
    let user = Caller::creator(caller.as_ref().map(|c| &c.0));
    let a = app.clone();
    let worker = super::cancel::spawn_blocking(move || {
        let location = a.inner().location.clone();
        let counts = a.with_writer(|mem| {
            let mut w = mem.writer()?;
            w.start_batch(&command, Some(&user))?;
            let counts =
                crate::import::import(&mut w, reader, std::path::Path::new(&name), format, &opts)?;
            w.commit()?;
            Ok(counts)
        });
        let counts = counts.inspect_err(|e| {
            // Its answer may never be seen (a timeout, a client gone).
            eprintln!(
                "transmem serve: {}: import stopped, nothing was stored: {}",
                crate::tm::terminal_safe(&command),
                e.message
            );
        })?;
        eprintln!(
            "{}",
            crate::tm::stored_in(counts.new, counts.duplicate + counts.skipped, &location)
        );
        Ok::<_, ApiError>((counts, location))
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
    let (c, location) = result.map_err(|mut e| {
        if e.message.contains("reading the upload") {
            e.status = StatusCode::BAD_REQUEST;
        }
        e.message = format!("{}; nothing was stored", e.message);
        e
    })?;
    Ok(Json(json!({
        "read": c.read,
        "new": c.new,
        "duplicate": c.duplicate,
        "skipped": c.skipped,
        "overwritten": c.overwritten,
        "memory": location.to_string(),
    })))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    langs: Option<String>,
    #[serde(default)]
    bom: bool,
}

/// Blocking `Write` that hands 64 KiB chunks to the response stream.
struct BodyWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl BodyWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if super::cancel::cancelled() {
            return Err(std::io::Error::other(NOT_FINISHED));
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl std::io::Write for BodyWriter {
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

pub async fn export(State(app): State<App>, Query(q): Query<ExportQuery>) -> ApiResult<Response> {
    let fname = q.format.as_deref().unwrap_or("tmx");
    let format = Format::parse(fname)
        .ok_or_else(|| ApiError::bad(format!("format {fname:?}: expected tmx, csv or tsv")))?;
    let langs: Vec<String> = split_list(q.langs.as_deref())
        .into_iter()
        .map(|l| tag("langs", l))
        .collect::<ApiResult<_>>()?;
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(16);
    let opts = crate::export::Options {
        langs,
        bom: q.bom,
        ..Default::default()
    };
    super::cancel::spawn_blocking(move || {
        let err_tx = tx.clone();
        let done = app.with_reader(|mem| {
            let w = BodyWriter {
                tx,
                buf: Vec::with_capacity(64 << 10),
            };
            let mut w = crate::export::export(mem, format, &opts, w, || {})?;
            std::io::Write::flush(&mut w).map_err(|e| ApiError::bad(e.to_string()))?;
            Ok(())
        });
        if let Err(e) = done {
            // The status line is sent: abort the stream, so the client
            // sees a broken transfer, never a short file that looks whole.
            eprintln!("transmem serve: export failed: {}", e.message);
            let _ = err_tx.blocking_send(Err(std::io::Error::other(e.message)));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let (ctype, ext) = match format {
        Format::Tmx => ("application/xml; charset=utf-8", "tmx"),
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Tsv => ("text/tab-separated-values; charset=utf-8", "tsv"),
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"memory.{ext}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// A stored tag as the tmserver clients write it: `pt-BR` → `pt_BR`.
fn client_code(tag: &str) -> String {
    tag.replace('-', "_")
}

pub async fn tm_languages(State(app): State<App>) -> ApiResult<Json<Value>> {
    let langs = App::blocking(move || app.with_reader(|m| Ok(m.languages()?))).await?;
    let mut codes: Vec<String> = langs.iter().map(|l| client_code(l)).collect();
    codes.sort();
    codes.dedup();
    Ok(Json(
        json!({"sourceLanguages": codes, "targetLanguages": codes}),
    ))
}

#[derive(Deserialize)]
pub struct TmQuery {
    min_similarity: Option<f64>,
    max_candidates: Option<usize>,
}

pub async fn tm_unit(
    State(app): State<App>,
    Path((src, tgt, text)): Path<(String, String, String)>,
    Query(q): Query<TmQuery>,
) -> ApiResult<Json<Value>> {
    let (from, to) = (tag("source language", &src)?, tag("target language", &tgt)?);
    check_text("text", &text)?;
    let opts = options(
        Some(q.min_similarity.unwrap_or(70.0)),
        Some(q.max_candidates.unwrap_or(5)),
    )?;
    let list = App::blocking(move || {
        if crate::matcher::skip_reason(&text).is_some() {
            return Ok(Vec::new());
        }
        let matcher = app.matcher(&from, &to)?;
        let q = MatchQuery {
            text: &text,
            prev: None,
            next: None,
        };
        Ok(matcher
            .lookup(&q, &opts)?
            .into_iter()
            .map(|m| {
                json!({
                    "source": m.source,
                    "target": m.target,
                    // An integer percent; a context match (101) is 100 here.
                    "quality": m.score.round().clamp(0.0, 100.0) as i64,
                    "rank": m.score,
                })
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(Json(Value::Array(list)))
}
