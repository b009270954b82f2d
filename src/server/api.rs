//! The JSON API under `/api/v1` and the tmserver protocol.

use crate::formats::{Format, csv};
use crate::matcher::live::Live;
use crate::matcher::{Options, Query as MatchQuery};
use crate::memory::{Inserted, OnDuplicate, Unit, Variant};
use crate::tm::wire::{ConcordanceAnswer, ErrorAnswer};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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

/// The answer of `GET /api/v1/health`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// `ok`.
    status: &'static str,
    /// The memory's write generation (it grows with every commit).
    generation: i64,
}

#[utoipa::path(
    get,
    path = "/api/v1/health",
    operation_id = "health",
    summary = "The server and its memory answer",
    security(()),
    responses(
        (status = 200, description = "OK", body = Health),
        (status = 503, description = "The memory is busy, or its database cannot be reached (the reason is in error)", body = ErrorAnswer),
    )
)]
pub async fn health(State(app): State<App>) -> ApiResult<Json<Health>> {
    let a = app.clone();
    let stamp = App::blocking(move || a.with_reader(|m| Ok(m.stamp()?))).await?;
    Ok(Json(Health {
        status: "ok",
        generation: stamp.generation,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/stats",
    operation_id = "stats",
    summary = "Unit counts per pair, language and origin",
    responses((status = 200, description = "OK", body = crate::memory::Stats))
)]
pub async fn stats(State(app): State<App>) -> ApiResult<Json<crate::memory::Stats>> {
    let a = app.clone();
    let st = App::blocking(move || a.with_reader(|m| Ok(m.stats()?))).await?;
    Ok(Json(st))
}

/// The answer of `GET /api/v1/whoami`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Whoami {
    /// The token's role.
    #[schema(value_type = super::openapi::RoleName)]
    role: &'static str,
}

#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    operation_id = "whoami",
    summary = "The role of the token sent (clients check it before a long upload)",
    responses((status = 200, description = "OK", body = Whoami))
)]
pub async fn whoami(caller: axum::Extension<Caller>) -> Json<Whoami> {
    Json(Whoami {
        role: caller.0.role.as_str(),
    })
}

/// The body of `POST /api/v1/lookup`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupReq {
    #[schema(value_type = super::openapi::LangTag)]
    from: String,
    #[schema(value_type = super::openapi::LangTag)]
    to: String,
    #[schema(max_length = 65536)]
    text: String,
    /// The segment before it in its document (for 101% matches).
    #[schema(max_length = 65536)]
    prev: Option<String>,
    /// The segment after it.
    #[schema(max_length = 65536)]
    next: Option<String>,
    /// Lowest score, percent (default 70).
    #[schema(minimum = 0, maximum = 101)]
    threshold: Option<f64>,
    /// At most this many matches (default 5).
    #[schema(minimum = 1, maximum = 10000)]
    limit: Option<usize>,
}

/// One query's answer, the shape `transmem lookup --format jsonl` prints.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupResult {
    /// The text looked up.
    query: String,
    /// Best first.
    matches: Vec<crate::matcher::Match>,
    /// Why the text was not looked up (blank, no words), if it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<&'static str>,
}

fn answer(matcher: &Live, q: &MatchQuery, opts: &Options) -> ApiResult<LookupResult> {
    if let Some(why) = crate::matcher::skip_reason(q.text) {
        return Ok(LookupResult {
            query: q.text.to_string(),
            matches: Vec::new(),
            skipped: Some(why),
        });
    }
    // The caller refreshed the matcher (once per request).
    let matches = matcher.lookup_as_is(q, opts)?;
    Ok(LookupResult {
        query: q.text.to_string(),
        matches,
        skipped: None,
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/lookup",
    operation_id = "lookup",
    summary = "Fuzzy matches for one segment (open to anonymous read with --anonymous-read)",
    request_body = LookupReq,
    responses(
        (status = 200, description = "OK", body = LookupResult),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn lookup(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<LookupResult>> {
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
    let turns = app.clone();
    let out = turns
        .reading(move || {
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

/// The body of `POST /api/v1/lookup/batch`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchReq {
    #[schema(value_type = super::openapi::LangTag)]
    from: String,
    #[schema(value_type = super::openapi::LangTag)]
    to: String,
    /// At most 1000, each at most 65536 bytes.
    #[schema(max_items = 1000)]
    segments: Vec<String>,
    /// The segments are one document in order: each one's neighbours are
    /// its context, for 101% matches.
    #[serde(default)]
    context: bool,
    /// Lowest score, percent (default 70).
    #[schema(minimum = 0, maximum = 101)]
    threshold: Option<f64>,
    /// At most this many matches per segment (default 5).
    #[schema(minimum = 1, maximum = 10000)]
    limit: Option<usize>,
}

/// The answer of `POST /api/v1/lookup/batch`: one result per segment.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchResult {
    results: Vec<LookupResult>,
}

#[utoipa::path(
    post,
    path = "/api/v1/lookup/batch",
    operation_id = "lookupBatch",
    summary = "Fuzzy matches for up to 1000 segments; with context, each segment's neighbours give 101% matches",
    request_body = BatchReq,
    responses(
        (status = 200, description = "OK", body = BatchResult),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn lookup_batch(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<BatchResult>> {
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
    let turns = app.clone();
    let out = turns.reading(move || {
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
        Ok(BatchResult { results })
    })
    .await?;
    Ok(Json(out))
}

/// The query of `GET /api/v1/concordance`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConcordanceQuery {
    /// Language of q.
    #[param(value_type = super::openapi::LangTag, inline, required = true)]
    lang: String,
    /// Words or phrase (at most 65536 bytes, as far as a URL can hold them).
    q: String,
    /// At most this many (default 20).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/concordance",
    operation_id = "concordance",
    summary = "Stored segments containing words or a phrase",
    params(ConcordanceQuery),
    responses((status = 200, description = "OK", body = ConcordanceAnswer))
)]
pub async fn concordance(
    State(app): State<App>,
    Query(q): Query<ConcordanceQuery>,
) -> ApiResult<Json<ConcordanceAnswer>> {
    let lang = tag("lang", &q.lang)?;
    check_text("q", &q.q)?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=crate::tm::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad(format!(
            "limit must be between 1 and {}",
            crate::tm::MAX_LIMIT
        )));
    }
    let turns = app.clone();
    let hits = turns
        .reading(move || {
            // Stops inside the search (a numbers-only query scans the whole
            // language) once the request times out or its client leaves.
            app.with_reader(|m| {
                Ok(crate::matcher::concordance::search_until(
                    m,
                    &lang,
                    &q.q,
                    limit,
                    &mut |_| {},
                    &super::cancel::cancelled,
                )?)
            })
        })
        .await?;
    Ok(Json(ConcordanceAnswer { hits }))
}

/// One variant of a unit of `POST /api/v1/units`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantIn {
    #[schema(value_type = super::openapi::LangTag)]
    lang: String,
    /// Not blank; at most 65536 bytes.
    #[schema(max_length = 65536)]
    text: String,
    /// The segment before it in its document.
    prev: Option<String>,
    /// The segment after it.
    next: Option<String>,
    #[serde(default)]
    notes: Vec<String>,
}

/// One unit of `POST /api/v1/units`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitIn {
    /// One per language, at least two.
    #[schema(min_items = 2)]
    variants: Vec<VariantIn>,
    origin: Option<String>,
    tuid: Option<String>,
    /// Recorded as its creator (default: the token's name).
    creator: Option<String>,
    #[serde(default)]
    notes: Vec<String>,
}

/// The body of `POST /api/v1/units`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddUnits {
    #[schema(min_items = 1, max_items = 10000)]
    units: Vec<UnitIn>,
    /// keep-both (default), skip or overwrite.
    #[schema(value_type = Option<super::openapi::Policy>)]
    on_duplicate: Option<String>,
    /// The language whose text counts as the source for on_duplicate.
    #[schema(value_type = Option<super::openapi::LangTag>)]
    source_lang: Option<String>,
}

/// What became of one unit of `POST /api/v1/units`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AddStatus {
    New,
    Duplicate,
    Skipped,
    Overwritten,
}

/// One unit's id and status.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddResult {
    id: i64,
    status: AddStatus,
}

/// The answer of `POST /api/v1/units`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Added {
    /// One per unit sent, in order.
    results: Vec<AddResult>,
    /// Units stored as new.
    new: u64,
    /// Where the server keeps the memory.
    memory: String,
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

/// Refuses a note or label the memory could never export as TMX (a C0
/// control character: XML 1.0 cannot hold it; texts keep theirs as inline
/// placeholders), so that one unit cannot break every later export.
pub(crate) fn exportable(field: &str, value: &str) -> ApiResult<()> {
    match value
        .chars()
        .find(|&c| crate::formats::tmx::xml_forbidden(c))
    {
        Some(c) => Err(ApiError::bad(format!(
            "{field} holds control character U+{:04X}, which a TMX export cannot hold",
            c as u32
        ))),
        None => Ok(()),
    }
}

fn unit_in(i: usize, u: UnitIn, creator: &str) -> ApiResult<Unit> {
    for (name, v) in [
        ("origin", &u.origin),
        ("tuid", &u.tuid),
        ("creator", &u.creator),
    ] {
        if let Some(v) = v {
            exportable(&format!("units[{i}].{name}"), v)?;
        }
    }
    for (k, n) in u.notes.iter().enumerate() {
        exportable(&format!("units[{i}].notes[{k}]"), n)?;
    }
    for (j, v) in u.variants.iter().enumerate() {
        for (k, n) in v.notes.iter().enumerate() {
            exportable(&format!("units[{i}].variants[{j}].notes[{k}]"), n)?;
        }
    }
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

fn add_result(i: Inserted) -> AddResult {
    let (status, id) = match i {
        Inserted::New(id) => (AddStatus::New, id),
        Inserted::Duplicate(id) => (AddStatus::Duplicate, id),
        Inserted::Skipped(id) => (AddStatus::Skipped, id),
        Inserted::Overwritten(id) => (AddStatus::Overwritten, id),
    };
    AddResult { id, status }
}

#[utoipa::path(
    post,
    path = "/api/v1/units",
    operation_id = "addUnits",
    summary = "Store units, all in one transaction",
    request_body = AddUnits,
    responses(
        (status = 201, description = "Stored", body = Added),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
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
        Ok(Added {
            results: results.into_iter().map(add_result).collect(),
            new,
            memory: location.to_string(),
        })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/units/{id}",
    operation_id = "getUnit",
    summary = "One stored unit",
    params(("id" = i64, Path, description = "Unit id")),
    responses(
        (status = 200, description = "OK", body = Unit),
        (status = 404, description = "No such unit", body = ErrorAnswer),
    )
)]
pub async fn get_unit(State(app): State<App>, Path(id): Path<i64>) -> ApiResult<Json<Unit>> {
    let unit = App::blocking(move || app.with_reader(|m| Ok(m.unit(id)?))).await?;
    unit.map(Json)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no unit {id}")))
}

/// The query of `POST /api/v1/import`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// tmx, csv or tsv.
    #[param(value_type = super::openapi::FileFormat, inline, required = true)]
    format: String,
    /// CSV/TSV without header: languages of the first columns, comma-separated.
    #[param(value_type = Option<super::openapi::LangTags>, inline)]
    langs: Option<String>,
    /// CSV/TSV column meanings.
    columns: Option<String>,
    /// Origin recorded on every unit.
    origin: Option<String>,
    /// Origin for units that name none (the CLI sends the file name).
    default_origin: Option<String>,
    /// keep-both (default), skip or overwrite.
    #[param(value_type = Option<super::openapi::Policy>, inline)]
    on_duplicate: Option<String>,
}

/// The answer of `POST /api/v1/import`.
#[derive(Serialize, ToSchema)]
pub struct Imported {
    #[serde(flatten)]
    counts: crate::import::Counts,
    /// Where the server keeps the memory.
    memory: String,
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

#[utoipa::path(
    post,
    path = "/api/v1/import",
    operation_id = "import",
    summary = "Import a TMX, CSV or TSV upload (streamed) in one transaction: a failed upload stores nothing",
    params(ImportQuery),
    request_body(content = super::openapi::FileUpload, content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "OK", body = Imported),
        (status = 413, description = "Upload over the size limit", body = ErrorAnswer),
    )
)]
pub async fn import(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Imported>> {
    let format = Format::parse(&q.format)
        .ok_or_else(|| ApiError::bad(format!("format {:?}: expected tmx, csv or tsv", q.format)))?;
    for (name, v) in [("origin", &q.origin), ("default_origin", &q.default_origin)] {
        if let Some(v) = v {
            exportable(name, v)?;
        }
    }
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
    Ok(Json(Imported {
        counts: c,
        memory: location.to_string(),
    }))
}

/// The query of `GET /api/v1/export`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// tmx (default), csv or tsv.
    #[param(value_type = Option<super::openapi::FileFormat>, inline)]
    format: Option<String>,
    /// Only these languages, comma-separated.
    #[param(value_type = Option<super::openapi::LangTags>, inline)]
    langs: Option<String>,
    /// Start with a UTF-8 byte order mark.
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

#[utoipa::path(
    get,
    path = "/api/v1/export",
    operation_id = "export",
    summary = "The memory as TMX, CSV or TSV, streamed",
    params(ExportQuery),
    responses((status = 200, description = "The file", content(
        (String = "application/xml"),
        (String = "text/csv"),
        (String = "text/tab-separated-values"),
    )))
)]
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

/// The answer of `GET /tmserver/languages/`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
pub struct TmLanguages {
    /// As the clients write them (pt_BR).
    source_languages: Vec<String>,
    target_languages: Vec<String>,
}

#[utoipa::path(
    get,
    path = "/tmserver/languages/",
    operation_id = "tmLanguages",
    summary = "tmserver: the languages stored (open to anonymous read with --anonymous-read)",
    responses((status = 200, description = "OK", body = TmLanguages))
)]
pub async fn tm_languages(State(app): State<App>) -> ApiResult<Json<TmLanguages>> {
    let langs = App::blocking(move || app.with_reader(|m| Ok(m.languages()?))).await?;
    let mut codes: Vec<String> = langs.iter().map(|l| client_code(l)).collect();
    codes.sort();
    codes.dedup();
    Ok(Json(TmLanguages {
        source_languages: codes.clone(),
        target_languages: codes,
    }))
}

/// The query of `GET /tmserver/{src}/{tgt}/unit/{text}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TmQuery {
    /// Lowest quality (default 70).
    #[param(minimum = 0, maximum = 101)]
    min_similarity: Option<f64>,
    /// At most this many (default 5).
    #[param(minimum = 1, maximum = 10000)]
    max_candidates: Option<usize>,
}

/// The path of `GET /tmserver/{src}/{tgt}/unit/{text}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TmPath {
    /// Source language as the clients send it (en, pt_br).
    #[param(value_type = super::openapi::LangTag, inline, required = true)]
    src: String,
    /// Target language.
    #[param(value_type = super::openapi::LangTag, inline, required = true)]
    tgt: String,
    /// The text, URL-encoded.
    text: String,
}

/// One tmserver match.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TmUnit {
    source: String,
    target: String,
    /// An integer percent; a context match (101) is 100 here.
    quality: i64,
    /// The score itself.
    rank: f64,
}

#[utoipa::path(
    get,
    path = "/tmserver/{src}/{tgt}/unit/{text}",
    operation_id = "tmUnit",
    summary = "tmserver: matches for a URL-encoded text, best first (Weblate, Pootle, Virtaal)",
    params(
        TmPath,
        TmQuery,
    ),
    responses((status = 200, description = "OK", body = Vec<TmUnit>))
)]
pub async fn tm_unit(
    State(app): State<App>,
    Path(TmPath { src, tgt, text }): Path<TmPath>,
    Query(q): Query<TmQuery>,
) -> ApiResult<Json<Vec<TmUnit>>> {
    let (from, to) = (tag("source language", &src)?, tag("target language", &tgt)?);
    check_text("text", &text)?;
    let opts = options(
        Some(q.min_similarity.unwrap_or(70.0)),
        Some(q.max_candidates.unwrap_or(5)),
    )?;
    let turns = app.clone();
    let list = turns
        .reading(move || {
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
                .map(|m| TmUnit {
                    // An integer percent; a context match (101) is 100 here.
                    quality: m.score.round().clamp(0.0, 100.0) as i64,
                    rank: m.score,
                    source: m.source,
                    target: m.target,
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(Json(list))
}
