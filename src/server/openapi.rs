//! The OpenAPI 3 document of the server, served at `/api/v1/openapi.json`.
//! Its paths and operation ids must be exactly [`super::ROUTES`] (a unit
//! test checks); tests/server.rs checks answers against its schemas.

use axum::Json;
use serde_json::{Value, json};

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

fn err(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn ok(schema: &str) -> Value {
    json!({"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn body(schema: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn q(name: &str, required: bool, ty: &str, desc: &str) -> Value {
    json!({"name": name, "in": "query", "required": required, "schema": {"type": ty}, "description": desc})
}

fn p(name: &str, ty: &str, desc: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": ty}, "description": desc})
}

/// Standard error answers of an operation needing a token.
fn secured(mut responses: Value) -> Value {
    responses["401"] = err("No token, or an unknown one");
    responses["403"] = err("The token's role may not do this");
    responses
}

fn common(mut responses: Value) -> Value {
    responses["400"] = err("Bad JSON, a bad language tag or a bad parameter");
    responses["503"] = err(
        "The memory is busy, its database cannot be reached, or the request took too long: nothing was stored",
    );
    responses
}

/// The whole document.
pub fn document() -> Value {
    let open: Value = json!([]);
    let mut doc = json!({
      "openapi": "3.0.3",
      "info": {
        "title": "transmem server",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Translation memory over HTTP: lookups, concordance, units, import/export, alignment review, and the tmserver protocol of Weblate, Pootle and Virtaal. Send `Authorization: Bearer TOKEN` (see `transmem token create`). Every error answer is JSON: {\"error\": \"...\"}."
      },
      "security": [{"bearer": []}],
      "paths": {},
      "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A token from `transmem token create --role read|write|admin`"}}, "schemas": {}}
    });
    doc["paths"]["/api/v1/health"] = json!({"get": {
          "operationId": "health", "summary": "The server and its memory answer", "security": open,
          "responses": {"200": ok("Health"), "503": err("The memory is busy, or its database cannot be reached (the reason is in error)")}}});
    doc["paths"]["/api/v1/openapi.json"] = json!({"get": {
          "operationId": "openapi", "summary": "This document", "security": open,
          "responses": {"200": {"description": "OpenAPI 3 document", "content": {"application/json": {"schema": {"type": "object"}}}}}}});
    doc["paths"]["/api/v1/stats"] = json!({"get": {
          "operationId": "stats", "summary": "Unit counts per pair, language and origin",
          "responses": secured(json!({"200": ok("Stats")}))}});
    doc["paths"]["/api/v1/whoami"] = json!({"get": {
          "operationId": "whoami", "summary": "The role of the token sent (clients check it before a long upload)",
          "responses": secured(json!({"200": ok("Whoami")}))}});
    doc["paths"]["/api/v1/lookup"] = json!({"post": {
          "operationId": "lookup", "summary": "Fuzzy matches for one segment (open to anonymous read with --anonymous-read)",
          "requestBody": body("LookupRequest"),
          "responses": common(secured(json!({"200": ok("LookupResult"), "413": err("Body over the size limit")})))}});
    doc["paths"]["/api/v1/lookup/batch"] = json!({"post": {
          "operationId": "lookupBatch", "summary": "Fuzzy matches for up to 1000 segments; with context, each segment's neighbours give 101% matches",
          "requestBody": body("BatchRequest"),
          "responses": common(secured(json!({"200": ok("BatchResult"), "413": err("Body over the size limit")})))}});
    doc["paths"]["/api/v1/concordance"] = json!({"get": {
          "operationId": "concordance", "summary": "Stored segments containing words or a phrase",
          "parameters": [q("lang", true, "string", "Language of q"), q("q", true, "string", "Words or phrase"), q("limit", false, "integer", "At most this many (1-10000, default 20)")],
          "responses": common(secured(json!({"200": ok("Concordance")})))}});
    doc["paths"]["/api/v1/units"] = json!({"post": {
          "operationId": "addUnits", "summary": "Store units, all in one transaction",
          "requestBody": body("AddUnits"),
          "responses": common(secured(json!({"201": ok("Added"), "413": err("Body over the size limit")})))}});
    doc["paths"]["/api/v1/units/{id}"] = json!({"get": {
          "operationId": "getUnit", "summary": "One stored unit",
          "parameters": [p("id", "integer", "Unit id")],
          "responses": common(secured(json!({"200": ok("Unit"), "404": err("No such unit")})))}});
    doc["paths"]["/api/v1/import"] = json!({"post": {
          "operationId": "import", "summary": "Import a TMX, CSV or TSV upload (streamed) in one transaction: a failed upload stores nothing",
          "parameters": [q("format", true, "string", "tmx, csv or tsv"), q("langs", false, "string", "CSV/TSV without header: languages of the first columns, comma-separated"),
                         q("columns", false, "string", "CSV/TSV column meanings"), q("origin", false, "string", "Origin recorded on every unit"), q("default_origin", false, "string", "Origin for units that name none (the CLI sends the file name)"),
                         q("on_duplicate", false, "string", "keep-both (default), skip or overwrite")],
          "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
          "responses": common(secured(json!({"200": ok("Imported"), "413": err("Upload over the size limit")})))}});
    doc["paths"]["/api/v1/export"] = json!({"get": {
          "operationId": "export", "summary": "The memory as TMX, CSV or TSV, streamed",
          "parameters": [q("format", false, "string", "tmx (default), csv or tsv"), q("langs", false, "string", "Only these languages, comma-separated"), q("bom", false, "boolean", "Start with a UTF-8 byte order mark")],
          "responses": common(secured(json!({"200": {"description": "The file", "content": {
              "application/xml": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}, "text/tab-separated-values": {"schema": {"type": "string"}}}}})))}});
    doc["paths"]["/api/v1/alignments"] = json!({"post": {
          "operationId": "createAlignment", "summary": "Segment and align an article pair for review; answers the review page's URL (with its key)",
          "requestBody": body("AlignmentRequest"),
          "responses": common(secured(json!({"201": ok("Alignment"), "413": err("Body over the size limit")})))}});
    doc["paths"]["/api/v1/alignments/{id}/review"] = json!({"get": {
          "operationId": "reviewPage", "summary": "The review page (HTML) of a submitted pair; its Save stores the corrections", "security": open,
          "parameters": [p("id", "integer", "Alignment id"), q("key", true, "string", "The key given when the pair was submitted")],
          "responses": {"200": {"description": "Self-contained HTML page", "content": {"text/html": {"schema": {"type": "string"}}}},
                        "403": err("Wrong key"), "404": err("No such alignment awaiting review")}}});
    doc["paths"]["/api/v1/alignments/{id}/corrections"] = json!({"post": {
          "operationId": "saveCorrections", "summary": "Store the corrected links ({\"links\": [...]}, as the review page saves them) in one transaction", "security": open,
          "parameters": [p("id", "integer", "Alignment id"), q("key", true, "string", "The key given when the pair was submitted")],
          "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["links"], "properties": {"links": {"type": "array", "items": {"type": "object"}}}}}}},
          "responses": common(json!({"200": ok("Saved"), "403": err("Wrong key"), "404": err("No such alignment awaiting review")}))}});
    doc["paths"]["/tmserver/languages/"] = json!({"get": {
          "operationId": "tmLanguages", "summary": "tmserver: the languages stored (open to anonymous read with --anonymous-read)",
          "responses": secured(json!({"200": ok("TmLanguages")}))}});
    doc["paths"]["/tmserver/{src}/{tgt}/unit/{text}"] = json!({"get": {
          "operationId": "tmUnit", "summary": "tmserver: matches for a URL-encoded text, best first (Weblate, Pootle, Virtaal)",
          "parameters": [p("src", "string", "Source language as the clients send it (en, pt_br)"), p("tgt", "string", "Target language"),
                         p("text", "string", "The text, URL-encoded"), q("min_similarity", false, "number", "Lowest quality (default 70)"),
                         q("max_candidates", false, "integer", "At most this many (default 5)")],
          "responses": common(secured(json!({"200": ok("TmUnits")})))}});
    doc["paths"]["/metrics"] = json!({"get": {
          "operationId": "metrics", "summary": "Prometheus text metrics",
          "responses": secured(json!({"200": {"description": "OpenMetrics 1.0 text (prometheus-client)", "content": {"application/openmetrics-text": {"schema": {"type": "string"}}}}}))}});
    // Maintenance: every write is one batch (its id in the answer) that
    // POST /api/v1/undo reverts.
    let filter_params = || {
        json!([
            q(
                "lang",
                false,
                "string",
                "Only units holding each of these languages, comma-separated"
            ),
            q(
                "id",
                false,
                "string",
                "Only these unit ids, comma-separated"
            ),
            q(
                "origin",
                false,
                "string",
                "Origin glob: * any run, ? one character"
            ),
            q("created_by", false, "string", "Exact creator"),
            q(
                "since",
                false,
                "string",
                "Changed (else created) on or after: 2026-01-31 or 20260131T120000Z"
            ),
            q(
                "until",
                false,
                "string",
                "Changed (else created) on or before (inclusive)"
            ),
            q(
                "match",
                false,
                "string",
                "Regular expression some variant's text must match"
            ),
            q(
                "offset",
                false,
                "integer",
                "Skip this many matching units (default 0)"
            ),
            q(
                "limit",
                false,
                "integer",
                "At most this many units (1-10000, default 100)"
            )
        ])
    };
    doc["paths"]["/api/v1/units"]["get"] = json!({
          "operationId": "listUnits", "summary": "Units the filters select (as `transmem units`), in id order, one page at a time",
          "parameters": filter_params(),
          "responses": common(secured(json!({"200": ok("UnitPage")})))});
    let edit = |id: &str, summary: &str| {
        json!({
          "operationId": id, "summary": summary,
          "parameters": [p("id", "integer", "Unit id")],
          "requestBody": body("EditRequest"),
          "responses": common(secured(json!({"200": ok("Edited"), "404": err("No such unit, or no variant in that language"), "413": err("Body over the size limit")})))})
    };
    doc["paths"]["/api/v1/units/{id}"]["put"] = edit(
        "updateUnit",
        "Set one variant's text (as `transmem edit`); the unit keeps its context, origin and creation data; one batch",
    );
    doc["paths"]["/api/v1/units/{id}"]["patch"] = edit(
        "patchUnit",
        "The same as PUT: set one variant's text; one batch",
    );
    doc["paths"]["/api/v1/units/{id}"]["delete"] = json!({
          "operationId": "deleteUnit", "summary": "Delete one unit; one batch (undo puts it back exactly)",
          "parameters": [p("id", "integer", "Unit id")],
          "responses": common(secured(json!({"200": ok("Deleted"), "404": err("No such unit")})))});
    doc["paths"]["/api/v1/units/delete"] = json!({"post": {
          "operationId": "deleteUnits", "summary": "Delete every unit a filter selects, in one batch; dry_run lists them; more than 100 need confirm",
          "requestBody": body("DeleteRequest"),
          "responses": common(secured(json!({"200": ok("Deleted"), "409": err("More than 100 units without confirm: nothing deleted"), "413": err("Body over the size limit")})))}});
    doc["paths"]["/api/v1/replace"] = json!({"post": {
          "operationId": "replace", "summary": "Replace a regular expression in one language's texts (as `transmem replace`): dry_run answers the diffs, the real run makes them in one batch",
          "requestBody": body("ReplaceRequest"),
          "responses": common(secured(json!({"200": ok("Replaced"), "409": err("A text changed meanwhile: nothing changed"), "413": err("Body over the size limit")})))}});
    doc["paths"]["/api/v1/history"] = json!({"get": {
          "operationId": "history", "summary": "Recorded write batches, oldest first (as `transmem history`)",
          "parameters": [q("limit", false, "integer", "The last this many (1-10000, default 100)")],
          "responses": common(secured(json!({"200": ok("History")})))}});
    doc["paths"]["/api/v1/undo"] = json!({"post": {
          "operationId": "undo", "summary": "Revert one batch (admin): units it added go, units it changed or deleted come back exactly; the undo is itself a batch",
          "requestBody": body("UndoRequest"),
          "responses": common(secured(json!({"200": ok("Undone"), "404": err("No such batch"),
              "409": err("Undone already, or a later batch changed the same units (send force)"), "413": err("Body over the size limit")})))}});
    let batch = json!({"type": "integer", "nullable": true, "description": "The batch recorded (null: nothing changed)"});
    doc["components"]["schemas"]["Filter"] = json!({"type": "object", "additionalProperties": false, "properties": {
            "ids": {"type": "array", "items": {"type": "integer"}}, "langs": {"type": "array", "items": {"type": "string"}},
            "origin": {"type": "string"}, "created_by": {"type": "string"}, "since": {"type": "string"}, "until": {"type": "string"},
            "match": {"type": "string", "description": "Regular expression"}}});
    doc["components"]["schemas"]["UnitPage"] = json!({"type": "object", "required": ["units", "total", "offset", "limit"], "additionalProperties": false, "properties": {
            "units": {"type": "array", "items": {"$ref": "#/components/schemas/Unit"}}, "total": {"type": "integer"},
            "offset": {"type": "integer"}, "limit": {"type": "integer"}}});
    doc["components"]["schemas"]["EditRequest"] = json!({"type": "object", "required": ["lang", "text"], "additionalProperties": false, "properties": {
            "lang": {"type": "string"}, "text": {"type": "string", "minLength": 1, "maxLength": 65536}}});
    doc["components"]["schemas"]["Edited"] = json!({"type": "object", "required": ["batch", "edited", "old", "unit"], "additionalProperties": false, "properties": {
            "batch": batch, "edited": {"type": "integer"}, "old": {"type": "string", "nullable": true}, "unit": {"$ref": "#/components/schemas/Unit"}}});
    doc["components"]["schemas"]["DeleteRequest"] = json!({"type": "object", "required": ["filter"], "additionalProperties": false, "properties": {
            "filter": {"$ref": "#/components/schemas/Filter"}, "dry_run": {"type": "boolean"}, "confirm": {"type": "boolean", "description": "Needed above 100 units"}}});
    doc["components"]["schemas"]["Deleted"] = json!({"type": "object", "additionalProperties": false, "properties": {
            "dry_run": {"type": "boolean"}, "batch": batch, "deleted": {"type": "integer"},
            "count": {"type": "integer", "description": "dry run: units that would go"}, "units": {"type": "array", "description": "dry run: the first 10,000 of them", "items": {"$ref": "#/components/schemas/Unit"}}}});
    doc["components"]["schemas"]["ReplaceRequest"] = json!({"type": "object", "required": ["lang", "find", "replace"], "additionalProperties": false, "properties": {
            "lang": {"type": "string"}, "find": {"type": "string", "description": "Regular expression ((?i) for any case)"},
            "replace": {"type": "string", "description": "$1 or ${name} insert groups, $$ a dollar sign"},
            "filter": {"$ref": "#/components/schemas/Filter"}, "dry_run": {"type": "boolean"}}});
    doc["components"]["schemas"]["Replaced"] = json!({"type": "object", "required": ["dry_run", "changed", "changes"], "additionalProperties": false, "properties": {
            "dry_run": {"type": "boolean"}, "batch": batch, "changed": {"type": "integer"},
            "changes": {"type": "array", "description": "The first 10,000 changes; changed counts all", "items": {"type": "object", "required": ["id", "lang", "old", "new"], "properties": {
              "id": {"type": "integer"}, "lang": {"type": "string"}, "old": {"type": "string"}, "new": {"type": "string"}}}}}});
    doc["components"]["schemas"]["History"] = json!({"type": "object", "required": ["batches", "total"], "additionalProperties": false, "properties": {
            "total": {"type": "integer"}, "batches": {"type": "array", "items": {"type": "object", "required": ["id", "time", "command", "counts", "units"], "properties": {
              "id": {"type": "integer"}, "time": {"type": "string"}, "command": {"type": "string"}, "user": {"type": "string", "nullable": true},
              "counts": {"type": "object", "additionalProperties": {"type": "integer"}}, "units": {"type": "integer"},
              "undone_by": {"type": "integer", "nullable": true}, "undoes": {"type": "integer", "nullable": true}}}}}});
    doc["components"]["schemas"]["UndoRequest"] = json!({"type": "object", "required": ["batch"], "additionalProperties": false, "properties": {
            "batch": {"type": "integer"}, "force": {"type": "boolean", "description": "Undo even when later batches changed the same units"},
            "dry_run": {"type": "boolean"}}});
    doc["components"]["schemas"]["Undone"] = json!({"type": "object", "required": ["dry_run", "undid", "batch", "removed", "restored", "conflicts"], "additionalProperties": false, "properties": {
            "dry_run": {"type": "boolean"}, "undid": {"type": "integer"}, "batch": batch, "removed": {"type": "integer"},
            "restored": {"type": "integer"}, "conflicts": {"type": "array", "items": {"type": "integer"}}}});
    doc["components"]["schemas"]["Whoami"] = json!({"type": "object", "required": ["role"], "additionalProperties": false, "properties": {"role": {"type": "string", "enum": ["read", "write", "admin"]}}});
    doc["components"]["schemas"]["Error"] = json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}});
    doc["components"]["schemas"]["Health"] = json!({"type": "object", "required": ["status", "generation"], "properties": {"status": {"type": "string"}, "generation": {"type": "integer"}}});
    doc["components"]["schemas"]["Stats"] = json!({"type": "object", "required": ["units", "pairs", "languages", "origins"], "properties": {
            "units": {"type": "integer"}, "pairs": {"type": "object", "additionalProperties": {"type": "integer"}},
            "languages": {"type": "object", "additionalProperties": {"type": "integer"}}, "origins": {"type": "object", "additionalProperties": {"type": "integer"}}}});
    doc["components"]["schemas"]["LookupRequest"] = json!({"type": "object", "required": ["from", "to", "text"], "additionalProperties": false, "properties": {
            "from": {"type": "string"}, "to": {"type": "string"}, "text": {"type": "string", "maxLength": 65536},
            "prev": {"type": "string"}, "next": {"type": "string"},
            "threshold": {"type": "number", "minimum": 0, "maximum": 101}, "limit": {"type": "integer", "minimum": 1, "maximum": 10000}}});
    doc["components"]["schemas"]["BatchRequest"] = json!({"type": "object", "required": ["from", "to", "segments"], "additionalProperties": false, "properties": {
            "from": {"type": "string"}, "to": {"type": "string"}, "segments": {"type": "array", "maxItems": 1000, "items": {"type": "string"}},
            "context": {"type": "boolean"}, "threshold": {"type": "number"}, "limit": {"type": "integer"}}});
    doc["components"]["schemas"]["Match"] = json!({"type": "object", "required": ["score", "source", "target", "id", "base", "diff"], "properties": {
            "score": {"type": "number"}, "source": {"type": "string"}, "target": {"type": "string"}, "id": {"type": "integer"},
            "origin": {"type": "string"}, "base": {"type": "number"}, "penalties": {"type": "array", "items": {"type": "object"}},
            "context": {"type": "boolean"}, "substituted_target": {"type": "string"}, "substituted_score": {"type": "number"},
            "substituted": {"type": "array", "items": {"type": "object"}}, "diff": {"type": "array", "items": {"type": "object"}}}});
    doc["components"]["schemas"]["LookupResult"] = json!({"type": "object", "required": ["query", "matches"], "properties": {
            "query": {"type": "string"}, "matches": {"type": "array", "items": {"$ref": "#/components/schemas/Match"}}, "skipped": {"type": "string"}}});
    doc["components"]["schemas"]["BatchResult"] = json!({"type": "object", "required": ["results"], "properties": {
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/LookupResult"}}}});
    doc["components"]["schemas"]["Concordance"] = json!({"type": "object", "required": ["hits"], "properties": {"hits": {"type": "array", "items": {"type": "object",
            "required": ["id", "lang", "text", "hits", "phrase", "translations"], "properties": {
              "id": {"type": "integer"}, "lang": {"type": "string"}, "text": {"type": "string"},
              "hits": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}, "phrase": {"type": "boolean"},
              "translations": {"type": "object", "additionalProperties": {"type": "string"}}, "origin": {"type": "string"}}}}}});
    doc["components"]["schemas"]["VariantIn"] = json!({"type": "object", "required": ["lang", "text"], "additionalProperties": false, "properties": {
            "lang": {"type": "string"}, "text": {"type": "string"}, "prev": {"type": "string"}, "next": {"type": "string"}, "notes": {"type": "array", "items": {"type": "string"}}}});
    doc["components"]["schemas"]["AddUnits"] = json!({"type": "object", "required": ["units"], "additionalProperties": false, "properties": {
            "units": {"type": "array", "minItems": 1, "maxItems": 10000, "items": {"type": "object", "required": ["variants"], "additionalProperties": false, "properties": {
              "variants": {"type": "array", "minItems": 2, "items": {"$ref": "#/components/schemas/VariantIn"}},
              "origin": {"type": "string"}, "tuid": {"type": "string"}, "creator": {"type": "string"}, "notes": {"type": "array", "items": {"type": "string"}}}}},
            "on_duplicate": {"type": "string", "enum": ["keep-both", "skip", "overwrite"]}, "source_lang": {"type": "string"}}});
    doc["components"]["schemas"]["Added"] = json!({"type": "object", "required": ["results", "new", "memory"], "properties": {
            "results": {"type": "array", "items": {"type": "object", "required": ["id", "status"], "properties": {
              "id": {"type": "integer"}, "status": {"type": "string", "enum": ["new", "duplicate", "skipped", "overwritten"]}}}},
            "new": {"type": "integer"}, "memory": {"type": "string"}}});
    doc["components"]["schemas"]["Unit"] = json!({"type": "object", "required": ["id", "variants"], "properties": {
            "id": {"type": "integer"}, "variants": {"type": "array", "items": {"type": "object", "required": ["lang", "text"], "properties": {
              "lang": {"type": "string"}, "text": {"type": "string"}}}}, "origin": {"type": "string", "nullable": true},
            "created": {"type": "string", "nullable": true}, "creator": {"type": "string", "nullable": true}}});
    doc["components"]["schemas"]["Imported"] = json!({"type": "object", "required": ["read", "new", "duplicate", "skipped", "overwritten", "memory"], "properties": {
            "read": {"type": "integer"}, "new": {"type": "integer"}, "duplicate": {"type": "integer"}, "skipped": {"type": "integer"},
            "overwritten": {"type": "integer"}, "memory": {"type": "string"}}});
    doc["components"]["schemas"]["AlignmentRequest"] = json!({"type": "object", "required": ["from", "to", "source", "target"], "additionalProperties": false, "properties": {
            "from": {"type": "string"}, "to": {"type": "string"}, "source": {"type": "string"}, "target": {"type": "string"},
            "title": {"type": "string"}, "origin": {"type": "string"}}});
    doc["components"]["schemas"]["Alignment"] = json!({"type": "object", "required": ["id", "review_url", "save_url", "links", "source_segments", "target_segments"], "properties": {
            "id": {"type": "integer"}, "review_url": {"type": "string"}, "save_url": {"type": "string"}, "links": {"type": "integer"},
            "source_segments": {"type": "integer"}, "target_segments": {"type": "integer"}}});
    doc["components"]["schemas"]["Saved"] = json!({"type": "object", "required": ["new", "duplicate", "batch", "memory"], "properties": {
            "new": {"type": "integer"}, "duplicate": {"type": "integer"},
            "batch": {"type": ["integer", "null"], "description": "The write batch (history, undo)"}, "memory": {"type": "string"}}});
    doc["components"]["schemas"]["TmLanguages"] = json!({"type": "object", "required": ["sourceLanguages", "targetLanguages"], "properties": {
            "sourceLanguages": {"type": "array", "items": {"type": "string"}}, "targetLanguages": {"type": "array", "items": {"type": "string"}}}});
    super::tm_routes::describe(&mut doc);
    doc["components"]["schemas"]["TmUnits"] = json!({"type": "array", "items": {"type": "object", "required": ["source", "target", "quality", "rank"], "additionalProperties": false, "properties": {
            "source": {"type": "string"}, "target": {"type": "string"}, "quality": {"type": "integer"}, "rank": {"type": "number"}}}});
    tighten(&mut doc);
    idempotency_keys(&mut doc);
    doc
}

/// A language tag as `crate::lang::normalize_tag` accepts it (any case,
/// `-` or `_`; private-use `x-…` and `i-…`).
const LANG_PATTERN: &str = "^([A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*|[xXiI]([-_][A-Za-z0-9]{1,8})+)$";
/// A comma-separated list of language tags.
const LANGS_PATTERN: &str = "^([A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*|[xXiI]([-_][A-Za-z0-9]{1,8})+)(,([A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*|[xXiI]([-_][A-Za-z0-9]{1,8})+))*$";
/// A day or a TMX timestamp, as `DateBound::parse` accepts them.
const DATE_PATTERN: &str =
    "^([0-9]{4}-?[0-9]{2}-?[0-9]{2}|[0-9]{8}T[0-9]{2}:?[0-9]{2}:?[0-9]{2}Z)$";

/// Makes the document say what the handlers check, so that a client (or
/// Schemathesis) generating "valid" requests from it gets them accepted:
/// every integer is an int64, language tags, dates, formats and limits
/// carry their patterns and ranges, and every operation documents the 400
/// that a malformed path or query gets. Found by Schemathesis 4.32
/// (`positive_data_acceptance`: 28 operations rejected requests the
/// document allowed, e.g. an empty `lang`, a unit id above 2^63).
fn tighten(doc: &mut Value) {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("integer")
                    && !map.contains_key("format")
                {
                    map.insert("format".into(), json!("int64"));
                }
                if let Some(Value::Object(props)) = map.get_mut("properties") {
                    for (name, schema) in props.iter_mut() {
                        constrain(name, schema);
                    }
                }
                if let (Some(name), Some(schema)) = (
                    map.get("name").and_then(Value::as_str).map(str::to_string),
                    map.get_mut("schema"),
                ) {
                    constrain(&name, schema);
                }
                for (_, child) in map.iter_mut() {
                    walk(child);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    fn constrain(name: &str, schema: &mut Value) {
        let is = |t: &str| schema.get("type").and_then(Value::as_str) == Some(t);
        match name {
            "lang" | "from" | "to" | "src" | "tgt" | "source_lang" if is("string") => {
                schema["pattern"] = json!(LANG_PATTERN);
            }
            "langs" if is("string") => schema["pattern"] = json!(LANGS_PATTERN),
            "langs" if is("array") => schema["items"]["pattern"] = json!(LANG_PATTERN),
            "since" | "until" if is("string") => schema["pattern"] = json!(DATE_PATTERN),
            "format" if is("string") => schema["enum"] = json!(["tmx", "csv", "tsv"]),
            "limit" if is("integer") && schema.get("minimum").is_none() => {
                schema["minimum"] = json!(1);
                schema["maximum"] = json!(10000);
            }
            "offset" | "batch" if is("integer") => schema["minimum"] = json!(0),
            _ => {}
        }
    }
    walk(doc);
    if let Some(Value::Object(paths)) = doc.get_mut("paths") {
        for (_, item) in paths.iter_mut() {
            let Value::Object(ops) = item else { continue };
            for (_, op) in ops.iter_mut() {
                if let Some(Value::Object(resp)) = op.get_mut("responses")
                    && !resp.contains_key("400")
                {
                    resp.insert("400".into(), err("A malformed path, query or body"));
                }
            }
        }
    }
}

/// Every write takes an `Idempotency-Key` header (src/server/idempotency.rs).
fn idempotency_keys(doc: &mut Value) {
    use super::idempotency::{MAX_KEY_LEN, TTL};
    doc["components"]["parameters"]["IdempotencyKey"] = json!({
        "name": "Idempotency-Key", "in": "header", "required": false,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LEN},
        "description": format!(
            "Makes a retry safe: a second request with the same key, from the same token, to the same method and path, \
             within {} s gets the first answer again (header Idempotency-Replayed: true) and stores nothing. \
             A 5xx answer is not kept, so a retry after it runs again; while the first request runs, a retry answers 409.",
            TTL.as_secs()
        )
    });
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, ops) in paths.iter_mut() {
        let Some(ops) = ops.as_object_mut() else {
            continue;
        };
        for (method, op) in ops.iter_mut() {
            if method == "get" || path.starts_with("/api/v1/lookup") {
                continue;
            }
            let key = json!({"$ref": "#/components/parameters/IdempotencyKey"});
            match op["parameters"].as_array_mut() {
                Some(list) => list.push(key),
                None => op["parameters"] = json!([key]),
            }
        }
    }
}

pub async fn serve() -> Json<Value> {
    Json(document())
}
