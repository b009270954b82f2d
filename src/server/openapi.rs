//! The OpenAPI 3.1 document of the server, served at `/api/v1/openapi.json`.
//!
//! It is derived, not written: every handler carries a `#[utoipa::path]`
//! (operation id, summary, parameters, body, answers) and the types it
//! parses and answers derive `utoipa::ToSchema` / `IntoParams`, so a field
//! added to an answer is in the document by the next build. [`ApiDoc`]
//! lists the handlers; a new route is one `#[utoipa::path]` on its handler
//! and one line in `paths(...)` below (a unit test checks the document's
//! operations are exactly [`super::ROUTES`], and tests/server.rs checks a
//! real answer of every operation against its schema).
//!
//! An answer type marked `#[serde(deny_unknown_fields)]` (serialize-only
//! types too: serde ignores it there) gets `additionalProperties: false`,
//! so the answer checks in tests/server.rs refuse a field the type lacks.
//!
//! What every operation shares comes from [`super::ROUTES`] in one pass
//! ([`shared`]): the 401/403 of a route needing a token, the 400 and 503
//! any request can get, and the `Idempotency-Key` header of the writes.

use std::sync::OnceLock;

use axum::Json;
use serde_json::{Value, json};
use utoipa::OpenApi;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, Type};

use super::{Access, ROUTES, api, maint, metrics, review, tm_routes};

/// `/tmserver/{src}/{tgt}/unit/{*text}` (axum) → `{text}` (OpenAPI).
#[cfg(test)]
pub fn from_axum(path: &str) -> String {
    path.replace("{*", "{")
}

/// The inverse of [`from_axum`] for the one wildcard route.
#[cfg(test)]
pub fn to_axum(path: &str) -> String {
    path.replace("/unit/{text}", "/unit/{*text}")
}

/// A language tag as `crate::lang::normalize_tag` accepts it (any case,
/// `-` or `_`; private-use `x-…` and `i-…`).
const LANG_PATTERN: &str = "^([A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*|[xXiI]([-_][A-Za-z0-9]{1,8})+)$";
/// A comma-separated list of language tags.
const LANGS_PATTERN: &str = "^([A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*|[xXiI]([-_][A-Za-z0-9]{1,8})+)(,([A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*|[xXiI]([-_][A-Za-z0-9]{1,8})+))*$";
/// A day or a TMX timestamp, as `DateBound::parse` accepts them.
const DATE_PATTERN: &str =
    "^([0-9]{4}-?[0-9]{2}-?[0-9]{2}|[0-9]{8}T[0-9]{2}:?[0-9]{2}:?[0-9]{2}Z)$";

fn string(pattern: &str, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .build()
}

fn one_of(values: &[&str], description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
        .build()
}

/// A schema of its own for a field the handlers take as a `String` and
/// check themselves: fields name it with `#[schema(value_type = ...)]` or
/// `#[param(value_type = ...)]` (`Option<...>`, `Vec<...>` as their type).
macro_rules! string_schema {
    ($(#[doc = $doc:literal])* $name:ident => $schema:expr) => {
        $(#[doc = $doc])*
        pub(crate) struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                RefOr::T(Schema::Object($schema))
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

string_schema! {
    /// A language tag as `crate::lang::normalize_tag` accepts it.
    LangTag => string(LANG_PATTERN, "A BCP 47 language tag (any case, - or _)")
}
string_schema! {
    /// Language tags, comma-separated (query parameters).
    LangTags => string(LANGS_PATTERN, "Language tags, comma-separated")
}
string_schema! {
    /// One end of a date range, as `crate::memory::DateBound::parse` takes it.
    DateBound => string(
        DATE_PATTERN,
        "A day (2026-01-31, 20260131) or a TMX timestamp (20260131T120000Z)",
    )
}
string_schema! {
    /// An import or export format (`crate::formats::Format::parse`).
    FileFormat => one_of(&["tmx", "csv", "tsv"], "tmx, csv or tsv")
}
string_schema! {
    /// A duplicate policy (`crate::tm::wire::parse_policy`).
    Policy => one_of(
        &["keep-both", "skip", "overwrite"],
        "keep-both (default), skip or overwrite",
    )
}
string_schema! {
    /// The bytes of an uploaded file (`POST /api/v1/import`).
    FileUpload => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .description(Some("A TMX, CSV or TSV file, streamed"))
        .build()
}
string_schema! {
    /// A token's role (`crate::tm::Role::parse`).
    RoleName => one_of(&["read", "write", "admin"], "read, write or admin")
}

/// The derived document: every handler's `#[utoipa::path]`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "transmem server",
        description = "Translation memory over HTTP: lookups, concordance, units, import/export, alignment review, and the tmserver protocol of Weblate, Pootle and Virtaal. Send `Authorization: Bearer TOKEN` (see `transmem token create`). Every error answer is JSON: {\"error\": \"...\"}."
    ),
    security(("bearer" = [])),
    modifiers(&Bearer),
    components(schemas(
        crate::tm::wire::ErrorAnswer,
        LangTag,
        LangTags,
        DateBound,
        FileFormat,
        Policy,
        RoleName,
        FileUpload
    )),
    paths(
        api::health,
        serve,
        api::stats,
        api::whoami,
        api::lookup,
        api::lookup_batch,
        api::concordance,
        api::add_units,
        api::get_unit,
        api::import,
        api::export,
        review::create,
        review::page,
        review::save,
        api::tm_languages,
        api::tm_unit,
        metrics::serve,
        maint::list_units,
        maint::update_unit,
        maint::patch_unit,
        maint::delete_unit,
        maint::delete_units,
        maint::replace,
        maint::history,
        maint::undo,
        tm_routes::languages,
        tm_routes::export_units,
        tm_routes::import_units,
        tm_routes::lookup_queries,
        tm_routes::dedupe,
        tm_routes::tm_edit,
        tm_routes::tm_delete,
        tm_routes::tm_replace,
        tm_routes::tm_undo,
        tm_routes::list_tokens,
        tm_routes::create_token,
        tm_routes::revoke_token,
    )
)]
pub(crate) struct ApiDoc;

/// The bearer security scheme the document's `security` names.
struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "A token from `transmem token create --role read|write|admin`",
            ))
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The whole document, as JSON.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    doc["info"]["version"] = json!(env!("CARGO_PKG_VERSION"));
    shared(&mut doc);
    doc
}

/// The schema of an error answer (`crate::tm::wire::ErrorAnswer`).
fn err(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorAnswer"}}}})
}

/// Adds what the operations share, by their entry in [`ROUTES`]: who may
/// call it (401, 403), the 400 of a malformed path, query or body and the
/// 503 of a busy memory or a request past the time limit (every request
/// can get them), and the `Idempotency-Key` header of every write
/// (src/server/idempotency.rs).
fn shared(doc: &mut Value) {
    use super::idempotency::{MAX_KEY_LEN, TTL};
    let key = json!({
        "name": "Idempotency-Key", "in": "header", "required": false,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LEN},
        "description": format!(
            "Makes a retry safe: a second request with the same key, from the same token, to the same method and path, \
             within {} s gets the first answer again (header Idempotency-Replayed: true) and stores nothing. \
             A 5xx answer is not kept, so a retry after it runs again; while the first request runs, a retry answers 409.",
            TTL.as_secs()
        )
    });
    doc["components"]["parameters"]["IdempotencyKey"] = key;
    let key = json!({"$ref": "#/components/parameters/IdempotencyKey"});
    for route in ROUTES {
        let path = route.path.replace("{*", "{");
        let op = &mut doc["paths"][&path][route.method.to_lowercase()];
        if !op.is_object() {
            // Not documented: the unit test names it.
            continue;
        }
        let responses = &mut op["responses"];
        let mut add = |code: &str, desc: &str| {
            if responses.get(code).is_none() {
                responses[code] = err(desc);
            }
        };
        if route.access != Access::Open {
            add("401", "No token, or an unknown one");
            add("403", "The token's role may not do this");
        }
        add("400", "A malformed path, query or body");
        add(
            "503",
            "The memory is busy, its database cannot be reached, or the request took too long: nothing was stored",
        );
        if route.method != "GET" && !route.path.starts_with("/api/v1/lookup") {
            match op["parameters"].as_array_mut() {
                Some(list) => list.push(key.clone()),
                None => op["parameters"] = json!([key.clone()]),
            }
        }
    }
}

/// The document, built once.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi",
    summary = "This document",
    security(()),
    responses((status = 200, description = "OpenAPI 3.1 document", body = serde_json::Value))
)]
pub async fn serve() -> Json<Value> {
    static DOC: OnceLock<Value> = OnceLock::new();
    Json(DOC.get_or_init(document).clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    fn values<T: PartialSchema>() -> Vec<String> {
        let v = serde_json::to_value(T::schema()).unwrap_or_default();
        v["enum"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The named enums say what the handlers' parsers take: each value is
    /// taken, and the parsers take no other name the CLI documents.
    #[test]
    fn enums_agree_with_the_parsers() {
        let formats = values::<FileFormat>();
        assert_eq!(formats, ["tmx", "csv", "tsv"]);
        assert!(
            formats
                .iter()
                .all(|f| crate::formats::Format::parse(f).is_some())
        );
        let policies = values::<Policy>();
        assert_eq!(policies.len(), 3);
        for p in &policies {
            let parsed = crate::tm::wire::parse_policy(p).expect("a policy");
            assert_eq!(crate::tm::wire::policy_name(parsed), p);
        }
        let roles = values::<RoleName>();
        for r in [
            crate::tm::Role::Read,
            crate::tm::Role::Write,
            crate::tm::Role::Admin,
        ] {
            assert!(roles.iter().any(|x| x == r.as_str()), "{}", r.as_str());
        }
        assert!(roles.iter().all(|r| crate::tm::Role::parse(r).is_some()));
    }

    /// A language tag or a date the document allows is one the handlers
    /// take, and what they refuse outright the pattern refuses too.
    #[test]
    fn patterns_agree_with_the_parsers() {
        let lang = regex::Regex::new(LANG_PATTERN).unwrap();
        for ok in ["en", "EN_us", "pt-BR", "zh-Hant-TW", "x-klingon"] {
            assert!(lang.is_match(ok), "{ok}");
            assert!(crate::lang::normalize_tag(ok).is_ok(), "{ok}");
        }
        for bad in ["", "e", "en us", "en-", "-en"] {
            assert!(!lang.is_match(bad), "{bad:?}");
        }
        let date = regex::Regex::new(DATE_PATTERN).unwrap();
        for ok in ["2026-01-31", "20260131", "20260131T120000Z"] {
            assert!(date.is_match(ok), "{ok}");
            assert!(crate::memory::DateBound::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "2026-1-31", "yesterday"] {
            assert!(!date.is_match(bad), "{bad:?}");
            assert!(crate::memory::DateBound::parse(bad).is_err(), "{bad:?}");
        }
    }
}
