//! Maintenance over the API: list and filter units, edit, delete, search
//! and replace, history and undo (the `units`, `edit`, `delete`,
//! `replace`, `history` and `undo` commands over HTTP; docs/maintenance.md).
//!
//! Every write is one batch of the store, recorded with the token's name as
//! user and the request (method, path, body) as command, and its answer
//! gives the batch id and counts, so `POST /api/v1/undo` (or `transmem
//! undo`) can revert it.

use crate::memory::{DateBound, Edited, Unit, UnitFilter};
use crate::tm::Change;
use crate::tm::wire::{ErrorAnswer, HistoryAnswer};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::api::{json_body, tag};
use super::{ApiError, ApiResult, App, Caller};

/// Above this many units, a deletion needs `"confirm": true` (as the CLI's
/// `--yes`).
pub const CONFIRM_ABOVE: usize = 100;
/// Most units one `GET /api/v1/units` page holds.
pub const MAX_PAGE: usize = 10_000;
/// Longest request body kept in a batch's command line.
const COMMAND_BODY: usize = 500;

/// The `units` filters, as JSON (`delete` and `replace` bodies).
#[derive(Deserialize, Default, Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterIn {
    /// Only these unit ids.
    #[serde(default)]
    ids: Vec<i64>,
    /// Only units holding each of these languages.
    #[serde(default)]
    #[schema(value_type = Vec<super::openapi::LangTag>)]
    langs: Vec<String>,
    /// Origin glob: * any run, ? one character.
    origin: Option<String>,
    /// Exact creator.
    created_by: Option<String>,
    /// Changed (else created) on or after.
    #[schema(value_type = Option<super::openapi::DateBound>)]
    since: Option<String>,
    /// Changed (else created) on or before (inclusive).
    #[schema(value_type = Option<super::openapi::DateBound>)]
    until: Option<String>,
    /// Regular expression some variant's text must match.
    #[serde(rename = "match")]
    pattern: Option<String>,
}

impl FilterIn {
    fn is_empty(&self) -> bool {
        self.ids.is_empty()
            && self.langs.is_empty()
            && self.origin.is_none()
            && self.created_by.is_none()
            && self.since.is_none()
            && self.until.is_none()
            && self.pattern.is_none()
    }

    /// The store's filter; every bad part is a 400 naming the field.
    fn compile(&self, extra_lang: Option<&str>) -> ApiResult<UnitFilter> {
        let mut langs = self
            .langs
            .iter()
            .enumerate()
            .map(|(i, l)| tag(&format!("langs[{i}]"), l))
            .collect::<ApiResult<Vec<_>>>()?;
        if let Some(l) = extra_lang {
            langs.push(l.to_string());
        }
        let date = |field: &str, v: &Option<String>| {
            v.as_deref()
                .map(DateBound::parse)
                .transpose()
                .map_err(|e| ApiError::bad(format!("{field}: {e}")))
        };
        Ok(UnitFilter {
            ids: self.ids.clone(),
            langs,
            origin: self
                .origin
                .as_deref()
                .map(UnitFilter::glob)
                .transpose()
                .map_err(|e| ApiError::bad(format!("origin: {e}")))?,
            creator: self.created_by.clone(),
            since: date("since", &self.since)?,
            until: date("until", &self.until)?,
            text: self
                .pattern
                .as_deref()
                .map(|p| regex("match", p))
                .transpose()?,
            text_lang: None,
        })
    }
}

fn regex(field: &str, pattern: &str) -> ApiResult<regex::Regex> {
    regex::Regex::new(pattern)
        .map_err(|e| ApiError::bad(format!("{field}: bad regular expression: {e}")))
}

/// Parses a JSON body into `T` (400/413 as every JSON endpoint).
async fn body<T: DeserializeOwned>(
    app: &App,
    headers: &HeaderMap,
    b: Body,
) -> ApiResult<(T, String)> {
    // Read once as a Value for the batch's command line, then as T.
    let v: Value = json_body(app, headers, b).await?;
    let text = v.to_string();
    let t = serde_json::from_value(v).map_err(|e| ApiError::bad(format!("bad JSON body: {e}")))?;
    Ok((t, text))
}

/// What a batch records as its command: the request, its body shortened.
fn command(method: &Method, uri: &Uri, body: Option<&str>) -> String {
    let mut c = format!(
        "{method} {}",
        uri.path_and_query().map_or(uri.path(), |p| p.as_str())
    );
    if let Some(b) = body {
        c.push(' ');
        if b.len() > COMMAND_BODY {
            let mut end = COMMAND_BODY;
            while !b.is_char_boundary(end) {
                end -= 1;
            }
            c.push_str(&b[..end]);
            c.push('…');
        } else {
            c.push_str(b);
        }
    }
    c
}

/// Ends a scan over the units when its request was cancelled (it timed
/// out, or its client left): a filter over a million units stops at once.
fn stop_if_cancelled() -> crate::Result<()> {
    if super::cancel::cancelled() {
        return Err(crate::Error::Cancelled);
    }
    Ok(())
}

fn user(caller: &Option<axum::Extension<Caller>>) -> String {
    Caller::creator(caller.as_ref().map(|c| &c.0))
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Says on stderr what a write did, as the CLI does.
fn report(what: &str, app: &App, batch: Option<i64>) {
    let location = &app.inner().location;
    match batch {
        Some(b) => eprintln!("{what} in {location}; recorded as batch {b}"),
        None => eprintln!("{what} in {location}; nothing changed, no batch recorded"),
    }
}

/// The query of `GET /api/v1/units`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only units holding each of these languages, comma-separated.
    #[param(value_type = Option<super::openapi::LangTags>, inline)]
    lang: Option<String>,
    /// Only these unit ids, comma-separated.
    id: Option<String>,
    /// Origin glob: * any run, ? one character.
    origin: Option<String>,
    /// Exact creator.
    created_by: Option<String>,
    /// Changed (else created) on or after: 2026-01-31 or 20260131T120000Z.
    #[param(value_type = Option<super::openapi::DateBound>, inline)]
    since: Option<String>,
    /// Changed (else created) on or before (inclusive).
    #[param(value_type = Option<super::openapi::DateBound>, inline)]
    until: Option<String>,
    /// Regular expression some variant's text must match.
    #[serde(rename = "match")]
    pattern: Option<String>,
    /// Skip this many matching units (default 0).
    #[param(format = Int64)]
    offset: Option<usize>,
    /// At most this many units (default 100).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<usize>,
}

/// The answer of `GET /api/v1/units`: one page.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitPage {
    units: Vec<Unit>,
    /// Units the filters select in all.
    total: usize,
    offset: usize,
    limit: usize,
}

fn split(s: &Option<String>) -> Vec<String> {
    s.as_deref()
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /api/v1/units`: the units the filters select, in id order, one
/// page at a time, with the total.
#[utoipa::path(
    get,
    path = "/api/v1/units",
    operation_id = "listUnits",
    summary = "Units the filters select (as `transmem units`), in id order, one page at a time",
    params(ListQuery),
    responses((status = 200, description = "OK", body = UnitPage))
)]
pub async fn list_units(
    State(app): State<App>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<UnitPage>> {
    let ids = split(&q.id)
        .iter()
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| ApiError::bad(format!("id: {s:?} is not a unit id")))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let f = FilterIn {
        ids,
        langs: split(&q.lang),
        origin: q.origin,
        created_by: q.created_by,
        since: q.since,
        until: q.until,
        pattern: q.pattern,
    };
    let filter = f.compile(None)?;
    let offset = q.offset.unwrap_or(0);
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad(format!(
            "limit must be between 1 and {MAX_PAGE}"
        )));
    }
    let (units, total) = App::blocking(move || {
        app.with_reader(|m| {
            let mut units = Vec::new();
            let mut total = 0usize;
            m.for_each_unit_filtered(&filter, |u| {
                stop_if_cancelled()?;
                if total >= offset && units.len() < limit {
                    units.push(u);
                }
                total += 1;
                Ok(())
            })?;
            Ok((units, total))
        })
    })
    .await?;
    Ok(Json(UnitPage {
        units,
        total,
        offset,
        limit,
    }))
}

/// The body of `PUT`/`PATCH /api/v1/units/{id}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditReq {
    /// The variant's language.
    #[schema(value_type = super::openapi::LangTag)]
    lang: String,
    /// Its new text: not blank, at most 65536 bytes.
    #[schema(min_length = 1, max_length = 65536)]
    text: String,
}

/// The answer of `PUT`/`PATCH /api/v1/units/{id}`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditAnswer {
    /// The batch recorded (null: nothing changed).
    batch: Option<i64>,
    /// Variants changed: 0 or 1.
    edited: u64,
    /// The text before, if it changed.
    old: Option<String>,
    /// The unit now.
    unit: Option<Unit>,
}

/// `PUT /api/v1/units/{id}` (the handler of `PATCH` too).
#[utoipa::path(
    put,
    path = "/api/v1/units/{id}",
    operation_id = "updateUnit",
    summary = "Set one variant's text (as `transmem edit`); the unit keeps its context, origin and creation data; one batch",
    params(("id" = i64, Path, description = "Unit id")),
    request_body = EditReq,
    responses(
        (status = 200, description = "OK", body = EditAnswer),
        (status = 404, description = "No such unit, or no variant in that language", body = ErrorAnswer),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn update_unit(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    method: Method,
    uri: Uri,
    Path(id): Path<i64>,
    headers: HeaderMap,
    b: Body,
) -> ApiResult<Json<EditAnswer>> {
    let (req, text): (EditReq, String) = body(&app, &headers, b).await?;
    let lang = tag("lang", &req.lang)?;
    if req.text.trim().is_empty() {
        return Err(ApiError::bad(format!(
            "text is empty; to remove the unit use DELETE /api/v1/units/{id}"
        )));
    }
    if req.text.len() > super::api::MAX_QUERY_BYTES {
        return Err(ApiError::bad(format!(
            "text is {} bytes, longer than the limit of {}",
            req.text.len(),
            super::api::MAX_QUERY_BYTES
        )));
    }
    let cmd = command(&method, &uri, Some(&text));
    let who = user(&caller);
    App::blocking(move || {
        let (old, batch, unit) = app.with_writer(|mem| {
            let mut w = mem.writer()?;
            let Some(unit) = w.unit(id)? else {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("no unit {id}"),
                ));
            };
            let Some(v) = unit.variant(&lang) else {
                let held: Vec<&str> = unit.variants.iter().map(|v| v.lang.as_str()).collect();
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!(
                        "unit {id} has no {lang} variant; it holds {}",
                        held.join(", ")
                    ),
                ));
            };
            let exact = v.lang.clone();
            w.start_batch(&cmd, Some(&who))?;
            let old = match w.edit(id, &exact, &req.text, Some(&who))? {
                Edited::Changed(old) => Some(old),
                Edited::Unchanged => None,
                other => {
                    return Err(ApiError::new(
                        StatusCode::NOT_FOUND,
                        format!("unit {id} {exact}: {other:?}; nothing changed"),
                    ));
                }
            };
            let batch = w.batch_id();
            let unit = w.unit(id)?;
            w.commit()?;
            Ok((old, batch, unit))
        })?;
        let n = u64::from(old.is_some());
        report(
            &format!("changed {n} variant{} of unit {id}", plural(n)),
            &app,
            batch,
        );
        Ok(Json(EditAnswer {
            batch,
            edited: n,
            old,
            unit,
        }))
    })
    .await
}

/// `PATCH /api/v1/units/{id}`: the same as PUT.
#[utoipa::path(
    patch,
    path = "/api/v1/units/{id}",
    operation_id = "patchUnit",
    summary = "The same as PUT: set one variant's text; one batch",
    params(("id" = i64, Path, description = "Unit id")),
    request_body = EditReq,
    responses(
        (status = 200, description = "OK", body = EditAnswer),
        (status = 404, description = "No such unit, or no variant in that language", body = ErrorAnswer),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn patch_unit(
    app: State<App>,
    caller: Option<axum::Extension<Caller>>,
    method: Method,
    uri: Uri,
    id: Path<i64>,
    headers: HeaderMap,
    b: Body,
) -> ApiResult<Json<EditAnswer>> {
    update_unit(app, caller, method, uri, id, headers, b).await
}

/// The answer of `DELETE /api/v1/units/{id}`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitDeleted {
    /// The batch recorded.
    batch: Option<i64>,
    /// Units deleted: 1.
    deleted: u64,
}

/// `DELETE /api/v1/units/{id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/units/{id}",
    operation_id = "deleteUnit",
    summary = "Delete one unit; one batch (undo puts it back exactly)",
    params(("id" = i64, Path, description = "Unit id")),
    responses(
        (status = 200, description = "OK", body = UnitDeleted),
        (status = 404, description = "No such unit", body = ErrorAnswer),
    )
)]
pub async fn delete_unit(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    method: Method,
    uri: Uri,
    Path(id): Path<i64>,
) -> ApiResult<Json<UnitDeleted>> {
    let cmd = command(&method, &uri, None);
    let who = user(&caller);
    App::blocking(move || {
        let batch = app.with_writer(|mem| {
            let mut w = mem.writer()?;
            w.start_batch(&cmd, Some(&who))?;
            if !w.delete(id)? {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("no unit {id}"),
                ));
            }
            let batch = w.batch_id();
            w.commit()?;
            Ok(batch)
        })?;
        report(&format!("deleted unit {id}"), &app, batch);
        Ok(Json(UnitDeleted { batch, deleted: 1 }))
    })
    .await
}

/// The body of `POST /api/v1/units/delete`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteReq {
    /// Which units: not empty.
    filter: FilterIn,
    /// List them; delete nothing.
    #[serde(default)]
    dry_run: bool,
    /// Needed above 100 units.
    #[serde(default)]
    confirm: bool,
}

/// The answer of `POST /api/v1/units/delete`: what a dry run would
/// delete, or what was deleted.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum UnitsDeleted {
    /// `dry_run`: the units that would go.
    DryRun {
        /// true.
        dry_run: bool,
        /// Units the filter selects.
        count: usize,
        /// The first 10,000 of them.
        units: Vec<Unit>,
    },
    /// Deleted.
    Done {
        /// false.
        dry_run: bool,
        /// The batch recorded (null: nothing matched).
        batch: Option<i64>,
        /// Units deleted.
        deleted: u64,
    },
}

/// `POST /api/v1/units/delete`: every unit the filter selects, in one
/// batch; a dry run lists them; more than [`CONFIRM_ABOVE`] need
/// `"confirm": true`.
#[utoipa::path(
    post,
    path = "/api/v1/units/delete",
    operation_id = "deleteUnits",
    summary = "Delete every unit a filter selects, in one batch; dry_run lists them; more than 100 need confirm",
    request_body = DeleteReq,
    responses(
        (status = 200, description = "OK", body = UnitsDeleted),
        (status = 409, description = "More than 100 units without confirm: nothing deleted", body = ErrorAnswer),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn delete_units(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    b: Body,
) -> ApiResult<Json<UnitsDeleted>> {
    let (req, text): (DeleteReq, String) = body(&app, &headers, b).await?;
    if req.filter.is_empty() {
        return Err(ApiError::bad(
            "give a filter (ids, langs, origin, match, since, ...); delete never takes the whole memory",
        ));
    }
    let filter = req.filter.compile(None)?;
    let cmd = command(&method, &uri, Some(&text));
    let who = user(&caller);
    App::blocking(move || {
        if req.dry_run {
            // The count is exact; the answer lists the first MAX_PAGE units
            // (a filter taking a million would not fit one answer).
            let (units, count) = app.with_reader(|m| {
                let mut units: Vec<Unit> = Vec::new();
                let mut count = 0usize;
                m.for_each_unit_filtered(&filter, |u| {
                    stop_if_cancelled()?;
                    count += 1;
                    if units.len() < MAX_PAGE {
                        units.push(u);
                    }
                    Ok(())
                })?;
                Ok((units, count))
            })?;
            return Ok(Json(UnitsDeleted::DryRun {
                dry_run: true,
                count,
                units,
            }));
        }
        let (n, batch) = app.with_writer(|mem| {
            let mut ids: Vec<i64> = Vec::new();
            mem.for_each_unit_filtered(&filter, |u| {
                stop_if_cancelled()?;
                ids.extend(u.id);
                Ok(())
            })?;
            if ids.len() > CONFIRM_ABOVE && !req.confirm {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!(
                        "this would delete {} units (more than {CONFIRM_ABOVE}); check them with \"dry_run\": true, then send \"confirm\": true; nothing deleted",
                        ids.len()
                    ),
                ));
            }
            if ids.is_empty() {
                return Ok((0, None));
            }
            let mut w = mem.writer()?;
            w.start_batch(&cmd, Some(&who))?;
            let mut n = 0u64;
            for id in ids {
                if w.delete(id)? {
                    n += 1;
                }
            }
            let batch = w.batch_id();
            w.commit()?;
            Ok((n, batch))
        })?;
        report(&format!("deleted {n} unit{}", plural(n)), &app, batch);
        Ok(Json(UnitsDeleted::Done {
            dry_run: false,
            batch,
            deleted: n,
        }))
    })
    .await
}

/// The body of `POST /api/v1/replace`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceReq {
    /// The language whose texts change.
    #[schema(value_type = super::openapi::LangTag)]
    lang: String,
    /// Regular expression ((?i) for any case).
    find: String,
    /// $1 or ${name} insert groups, $$ a dollar sign.
    replace: String,
    /// Which units (the language is added to its langs).
    #[serde(default)]
    filter: FilterIn,
    /// Answer the changes; change nothing.
    #[serde(default)]
    dry_run: bool,
}

/// The answer of `POST /api/v1/replace`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceDone {
    dry_run: bool,
    /// The batch recorded (null: nothing changed); absent on a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    batch: Option<Option<i64>>,
    /// Texts changed (or that would change), all of them.
    changed: usize,
    /// The first 10,000 changes.
    changes: Vec<Change>,
}

/// `POST /api/v1/replace`: a regular expression replaced in one language's
/// texts; the dry run answers the changes, the real run makes them all in
/// one batch.
#[utoipa::path(
    post,
    path = "/api/v1/replace",
    operation_id = "replace",
    summary = "Replace a regular expression in one language's texts (as `transmem replace`): dry_run answers the diffs, the real run makes them in one batch",
    request_body = ReplaceReq,
    responses(
        (status = 200, description = "OK", body = ReplaceDone),
        (status = 409, description = "A text changed meanwhile: nothing changed", body = ErrorAnswer),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn replace(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    b: Body,
) -> ApiResult<Json<ReplaceDone>> {
    let (req, text): (ReplaceReq, String) = body(&app, &headers, b).await?;
    let lang = tag("lang", &req.lang)?;
    let re = crate::memory::TextReplace::new(&req.find, &req.replace)
        .map_err(|e| ApiError::bad(e.to_string()))?;
    let filter = req.filter.compile(Some(&lang))?;
    let cmd = command(&method, &uri, Some(&text));
    let who = user(&caller);
    let dry_run = req.dry_run;
    App::blocking(move || {
        // (unit, exact tag, old, new)
        let list = |m: &crate::memory::Memory| -> ApiResult<Vec<(i64, String, String, String)>> {
            let mut changes = Vec::new();
            m.for_each_unit_filtered(&filter, |u| {
                stop_if_cancelled()?;
                if let Some(v) = u.variant(&lang)
                    && let Some(new) = re.apply(&v.text)
                {
                    changes.push((u.id.unwrap_or_default(), v.lang.clone(), v.text.clone(), new));
                }
                Ok(())
            })?;
            if let Some((id, ..)) = changes.iter().find(|c| c.3.trim().is_empty()) {
                return Err(ApiError::bad(format!(
                    "the replacement would leave unit {id} with an empty {lang} text; nothing changed"
                )));
            }
            Ok(changes)
        };
        let shown = |changes: &[(i64, String, String, String)]| -> Vec<Change> {
            changes
                .iter()
                // At most MAX_PAGE diffs in one answer; `changed` counts all.
                .take(MAX_PAGE)
                .map(|(id, tag, old, new)| Change {
                    id: *id,
                    lang: tag.clone(),
                    old: old.clone(),
                    new: new.clone(),
                })
                .collect()
        };
        if dry_run {
            let changes = app.with_reader(|m| list(m))?;
            return Ok(Json(ReplaceDone {
                dry_run: true,
                batch: None,
                changed: changes.len(),
                changes: shown(&changes),
            }));
        }
        let (changes, batch) = app.with_writer(|mem| {
            let changes = list(mem)?;
            if changes.is_empty() {
                return Ok((changes, None));
            }
            let mut w = mem.writer()?;
            w.start_batch(&cmd, Some(&who))?;
            for (id, tag, old, new) in &changes {
                // Another process may have changed the text since the
                // listing: never overwrite it blindly.
                match w.edit(*id, tag, new, Some(&who))? {
                    Edited::Changed(was) if &was == old => {}
                    _ => {
                        return Err(ApiError::new(
                            StatusCode::CONFLICT,
                            format!("unit {id} {tag} changed while replacing; nothing changed, send it again"),
                        ));
                    }
                }
            }
            let batch = w.batch_id();
            w.commit()?;
            Ok((changes, batch))
        })?;
        let n = changes.len() as u64;
        report(&format!("changed {n} {lang} text{}", plural(n)), &app, batch);
        Ok(Json(ReplaceDone {
            dry_run: false,
            batch: Some(batch),
            changed: changes.len(),
            changes: shown(&changes),
        }))
    })
    .await
}

/// The query of `GET /api/v1/history`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// The last this many (default 100).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<usize>,
}

/// `GET /api/v1/history`: the recorded batches, oldest first (the last
/// `limit`, default 100).
#[utoipa::path(
    get,
    path = "/api/v1/history",
    operation_id = "history",
    summary = "Recorded write batches, oldest first (as `transmem history`)",
    params(HistoryQuery),
    responses((status = 200, description = "OK", body = HistoryAnswer))
)]
pub async fn history(
    State(app): State<App>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<HistoryAnswer>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad(format!(
            "limit must be between 1 and {MAX_PAGE}"
        )));
    }
    let batches = App::blocking(move || app.with_reader(|m| Ok(m.batches()?))).await?;
    let total = batches.len();
    let shown = batches[total.saturating_sub(limit)..].to_vec();
    Ok(Json(HistoryAnswer {
        batches: shown,
        total: total as u64,
    }))
}

/// The body of `POST /api/v1/undo`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UndoReq {
    /// The batch to revert.
    #[schema(minimum = 0)]
    batch: i64,
    /// Undo even when later batches changed the same units.
    #[serde(default)]
    force: bool,
    /// Run it and roll it back.
    #[serde(default)]
    dry_run: bool,
}

/// The answer of `POST /api/v1/undo`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UndoAnswer {
    dry_run: bool,
    /// The batch reverted.
    undid: i64,
    /// The batch recording the undo (null on a dry run).
    batch: Option<i64>,
    /// Units the batch had created, now removed.
    removed: u64,
    /// Units put back as they were.
    restored: u64,
    /// Later batches that had changed the same units (force).
    conflicts: Vec<i64>,
}

/// `POST /api/v1/undo` (admin): reverts one batch, itself as a new batch.
#[utoipa::path(
    post,
    path = "/api/v1/undo",
    operation_id = "undo",
    summary = "Revert one batch (admin): units it added go, units it changed or deleted come back exactly; the undo is itself a batch",
    request_body = UndoReq,
    responses(
        (status = 200, description = "OK", body = UndoAnswer),
        (status = 404, description = "No such batch", body = ErrorAnswer),
        (status = 409, description = "Undone already, or a later batch changed the same units (send force)", body = ErrorAnswer),
        (status = 413, description = "Body over the size limit", body = ErrorAnswer),
    )
)]
pub async fn undo(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    b: Body,
) -> ApiResult<Json<UndoAnswer>> {
    let (req, text): (UndoReq, String) = body(&app, &headers, b).await?;
    let cmd = command(&method, &uri, Some(&text));
    let who = user(&caller);
    App::blocking(move || {
        let (done, batch) = app.with_writer(|mem| {
            if !mem.batches()?.iter().any(|b| b.id == req.batch) {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("no batch {}", req.batch),
                ));
            }
            let mut w = mem.writer()?;
            w.start_batch(&cmd, Some(&who))?;
            // Refusals (undone already, later batches changed the same
            // units) are conflicts the client resolves, with force.
            let done = w.undo(req.batch, req.force).map_err(|e| match e {
                crate::Error::Invalid(m) => ApiError::new(StatusCode::CONFLICT, m),
                e => e.into(),
            })?;
            if req.dry_run {
                // Dropping the writer rolls everything back.
                return Ok((done, None));
            }
            let batch = w.batch_id();
            w.commit()?;
            Ok((done, batch))
        })?;
        if !req.dry_run {
            report(
                &format!(
                    "undid batch {}: {} unit{} removed, {} restored",
                    req.batch,
                    done.removed,
                    plural(done.removed),
                    done.restored
                ),
                &app,
                batch,
            );
        }
        Ok(Json(UndoAnswer {
            dry_run: req.dry_run,
            undid: req.batch,
            batch,
            removed: done.removed,
            restored: done.restored,
            conflicts: done.conflicts,
        }))
    })
    .await
}
