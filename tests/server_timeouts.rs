//! A timeout means nothing happened (issue 23): a request the server
//! answers 503, or whose client leaves, stores nothing and stops working;
//! `Idempotency-Key` makes a retry safe; a request whose client left is
//! logged as 499 and the in-flight gauge comes back to 0.
//!
//! Over raw TCP, so a test can send half a body, hold a connection open
//! or close it in the middle of a request.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use util::{Server, process, run_ok, store, text, unit, unit_count, units};

/// The requests these tests make (the process itself: [`util::Server`]).
impl Server {
    fn start(mem: &Path, extra: &[&str]) -> Server {
        Server::start_with(process(mem), extra)
    }

    /// A server run by `c` (a `transmem` command with its memory options).
    fn start_with(c: std::process::Command, extra: &[&str]) -> Server {
        Server::spawn(c, extra, 120)
    }

    /// Waits up to `secs` for a log line containing `what`; how many there are.
    fn wait_log(&self, what: &str, n: usize, secs: u64) -> usize {
        let until = Instant::now() + Duration::from_secs(secs);
        loop {
            let c = self.log().iter().filter(|l| l.contains(what)).count();
            if c >= n || Instant::now() > until {
                return c;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        s
    }

    /// One whole request; the status, the headers (lowercase names) and the body.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, String) {
        let mut s = self.connect();
        s.write_all(head(method, path, headers, Some(body.len())).as_bytes())
            .unwrap();
        s.write_all(body).unwrap();
        response(&mut s)
    }

    fn json(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let auth = format!("Bearer {token}");
        let b = body.map(|v| v.to_string()).unwrap_or_default();
        let (s, _, t) = self.request(method, path, &[("Authorization", &auth)], b.as_bytes());
        let v = serde_json::from_str(&t)
            .unwrap_or_else(|e| panic!("{method} {path}: {s} not JSON ({e}): {t}"));
        (s, v)
    }
}

/// A request head; `len` None: chunked.
fn head(method: &str, path: &str, headers: &[(&str, &str)], len: Option<usize>) -> String {
    let mut h = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    match len {
        Some(n) => h.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {n}\r\n"
        )),
        None => h.push_str("Transfer-Encoding: chunked\r\n"),
    }
    h.push_str("\r\n");
    h
}

/// Reads a whole answer (the server closes the connection after it).
fn response(s: &mut TcpStream) -> (u16, Vec<(String, String)>, String) {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let t = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = t.split_once("\r\n\r\n").unwrap_or((&t, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no answer: {t:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, headers, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn chunk(data: &str) -> String {
    format!("{:x}\r\n{data}\r\n", data.len())
}

fn token(mem: &Path, role: &str) -> String {
    let out = run_ok(process(mem).args(["token", "create", "--role", role]), 0);
    text(&out.stdout).trim().to_string()
}

/// A memory with one unit, and a write and an admin token.
fn setup(dir: &Path) -> (std::path::PathBuf, String, String) {
    let mem = dir.join("m.sqlite");
    store(
        &mem,
        &[unit(&[
            ("en", "The minister arrived in Kyiv on Monday."),
            ("ru", "Министр прибыл в Киев в понедельник."),
        ])],
    );
    let w = token(&mem, "write");
    let a = token(&mem, "admin");
    (mem, w, a)
}

fn batches(s: &Server, admin: &str) -> u64 {
    let (code, h) = s.json("GET", "/api/v1/history", admin, None);
    assert_eq!(code, 200, "{h}");
    h["total"].as_u64().expect("total")
}

fn tsv_lines(n: usize, tag: &str) -> String {
    (0..n)
        .map(|i| format!("Upload {tag} sentence number {i}.\tПредложение {tag} номер {i}.\n"))
        .collect()
}

/// Sends a chunked import of 100 whole lines and never its last chunk.
fn half_import(s: &Server, token: &str) -> TcpStream {
    half_import_of(s, token, "a")
}

/// [`half_import`] of lines tagged `tag` (distinct from other tags').
fn half_import_of(s: &Server, token: &str, tag: &str) -> TcpStream {
    let mut sock = s.connect();
    let auth = format!("Bearer {token}");
    let h = head(
        "POST",
        "/api/v1/import?format=tsv&langs=en,ru",
        &[("Authorization", &auth)],
        None,
    );
    sock.write_all(h.as_bytes()).unwrap();
    sock.write_all(chunk(&tsv_lines(100, tag)).as_bytes())
        .unwrap();
    sock.flush().unwrap();
    sock
}

#[test]
fn an_import_cut_by_the_transfer_timeout_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, w, a) = setup(dir.path());
    let s = Server::start(&mem, &["--transfer-timeout", "3"]);
    let before = batches(&s, &a);
    let mut sock = half_import(&s, &w);
    let t = Instant::now();
    let (status, _, body) = response(&mut sock);
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("longer than 3 s"), "{body}");
    assert!(t.elapsed() < Duration::from_secs(30));
    // The worker sees the body end short and rolls back.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(unit_count(&mem), 1, "the 100 lines were committed");
    assert_eq!(batches(&s, &a), before, "a batch was recorded");
    assert_eq!(
        s.wait_log("import stopped, nothing was stored", 1, 10),
        1,
        "{:?}",
        s.log()
    );
}

#[test]
fn an_import_whose_client_leaves_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, w, a) = setup(dir.path());
    let s = Server::start(&mem, &[]);
    let before = batches(&s, &a);
    let sock = half_import(&s, &w);
    std::thread::sleep(Duration::from_millis(500));
    drop(sock);
    // Logged: 400 when the handler saw the body break, 499 when hyper
    // dropped it first.
    assert_eq!(
        s.wait_log("import stopped, nothing was stored", 1, 20),
        1,
        "{:?}",
        s.log()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(unit_count(&mem), 1, "the lines were committed");
    assert_eq!(batches(&s, &a), before);
    // The server still writes: the write handle was given back.
    let (code, v) = s.json(
        "POST",
        "/api/v1/units",
        &w,
        Some(json!({"units": [{"variants": [
            {"lang": "en", "text": "After the cut."},
            {"lang": "ru", "text": "После обрыва."}]}]})),
    );
    assert_eq!(code, 201, "{v}");
}

fn one_unit(en: &str) -> String {
    json!({"units": [{"variants": [
        {"lang": "en", "text": en},
        {"lang": "ru", "text": "Текст, пока другой импорт пишет."}]}]})
    .to_string()
}

fn stored(mem: &Path, en: &str) -> usize {
    units(mem)
        .iter()
        .filter(|u| u.variants.iter().any(|v| v.text == en))
        .count()
}

#[test]
fn a_write_answered_503_is_never_stored_and_a_keyed_retry_stores_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, w, a) = setup(dir.path());
    let s = Server::start(&mem, &["--request-timeout", "2"]);
    let auth = format!("Bearer {w}");
    let text = "Written while an import held the lock.";
    // An import holds the write lock while its body arrives.
    let mut import = half_import(&s, &w);
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let (code, _, body) = s.request(
        "POST",
        "/api/v1/units",
        &[("Authorization", &auth), ("Idempotency-Key", "unit-1")],
        one_unit(text).as_bytes(),
    );
    assert_eq!(code, 503, "{body}");
    assert!(t.elapsed() < Duration::from_secs(10));
    // The import ends; the lock is free.
    import.write_all(b"0\r\n\r\n").unwrap();
    let (code, _, body) = response(&mut import);
    assert_eq!(code, 200, "{body}");
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(stored(&mem, text), 0, "the 503 write was stored after all");
    assert_eq!(unit_count(&mem), 101);

    // The retry with the same key runs (the 503 was not kept) and stores it.
    let (code, h1, first) = s.request(
        "POST",
        "/api/v1/units",
        &[("Authorization", &auth), ("Idempotency-Key", "unit-1")],
        one_unit(text).as_bytes(),
    );
    assert_eq!(code, 201, "{first}");
    assert!(!h1.iter().any(|(k, _)| k == "idempotency-replayed"));
    let before = batches(&s, &a);
    // Its retry gets the same answer, replayed, and stores nothing.
    let (code, h2, second) = s.request(
        "POST",
        "/api/v1/units",
        &[("Authorization", &auth), ("Idempotency-Key", "unit-1")],
        one_unit(text).as_bytes(),
    );
    assert_eq!(code, 201, "{second}");
    assert_eq!(first, second);
    assert!(
        h2.iter()
            .any(|(k, v)| k == "idempotency-replayed" && v == "true"),
        "{h2:?}"
    );
    assert_eq!(stored(&mem, text), 1);
    assert_eq!(batches(&s, &a), before);
    // Another key, or the same key from another token, is another request.
    // (The memory keeps one copy of an identical unit: these answer
    // "duplicate" rather than replaying.)
    let (code, h, b) = s.request(
        "POST",
        "/api/v1/units",
        &[("Authorization", &auth), ("Idempotency-Key", "unit-2")],
        one_unit(text).as_bytes(),
    );
    assert_eq!(code, 201, "{b}");
    assert!(!h.iter().any(|(k, _)| k == "idempotency-replayed"));
    assert!(b.contains("\"duplicate\""), "{b}");
    let w2 = token(&mem, "write");
    let auth2 = format!("Bearer {w2}");
    let (code, h, b) = s.request(
        "POST",
        "/api/v1/units",
        &[("Authorization", &auth2), ("Idempotency-Key", "unit-1")],
        one_unit(text).as_bytes(),
    );
    assert_eq!(code, 201, "{b}");
    assert!(!h.iter().any(|(k, _)| k == "idempotency-replayed"));
    assert!(b.contains("\"duplicate\""), "{b}");
    assert_eq!(stored(&mem, text), 1);
}

#[test]
fn idempotency_keys_on_edits_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, w, a) = setup(dir.path());
    let s = Server::start(&mem, &[]);
    let auth = format!("Bearer {w}");
    let id = units(&mem)[0].id.expect("id");
    let edit = json!({"lang": "en", "text": "The minister left Kyiv on Tuesday."}).to_string();
    let path = format!("/api/v1/units/{id}");
    let key = [("Authorization", auth.as_str()), ("Idempotency-Key", "e1")];
    let (c1, _, b1) = s.request("PUT", &path, &key, edit.as_bytes());
    assert_eq!(c1, 200, "{b1}");
    let n = batches(&s, &a);
    let (c2, _, b2) = s.request("PUT", &path, &key, edit.as_bytes());
    assert_eq!((c2, &b2), (200, &b1));
    assert_eq!(batches(&s, &a), n, "the replay recorded a batch");
    let del = [("Authorization", auth.as_str()), ("Idempotency-Key", "d1")];
    let (c1, _, b1) = s.request("DELETE", &path, &del, b"");
    assert_eq!(c1, 200, "{b1}");
    // Without the key the second delete would be a 404.
    let (c2, _, b2) = s.request("DELETE", &path, &del, b"");
    assert_eq!((c2, &b2), (200, &b1));
    // A key that is not one is refused.
    let long = "k".repeat(300);
    let (c, _, b) = s.request(
        "DELETE",
        &path,
        &[("Authorization", auth.as_str()), ("Idempotency-Key", &long)],
        b"",
    );
    assert_eq!(c, 400, "{b}");
}

/// A memory of `n` units over a small vocabulary, so that long queries
/// share many words with many units: each lookup has work to do.
fn busy_memory(dir: &Path, n: usize) -> (std::path::PathBuf, String) {
    let mem = dir.join("busy.sqlite");
    let words = [
        "harbour", "minister", "council", "treaty", "river", "market", "winter", "railway",
        "village", "budget", "school", "bridge", "factory", "doctor", "garden", "letter",
    ];
    let list: Vec<_> = (0..n)
        .map(|i| {
            let en: Vec<&str> = (0..12)
                .map(|k| words[(i * 7 + k * (i % 5 + 1)) % 16])
                .collect();
            let en = format!("{} {i}.", en.join(" "));
            let ru = format!("Предложение {i}.");
            unit(&[("en", en.as_str()), ("ru", ru.as_str())])
        })
        .collect();
    store(&mem, &list);
    let r = token(&mem, "read");
    (mem, r)
}

/// A batch of long segments that takes the server seconds.
fn heavy_batch() -> String {
    let words = [
        "harbour", "minister", "council", "treaty", "river", "market", "winter", "railway",
        "village", "budget", "school", "bridge", "factory", "doctor", "garden", "letter",
    ];
    let segs: Vec<String> = (0..1000)
        .map(|i| {
            (0..100)
                .map(|k| words[(i * 3 + k * 5) % 16])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    json!({"from": "en", "to": "ru", "segments": segs, "threshold": 30}).to_string()
}

#[test]
fn abandoned_batches_stop_and_are_logged_as_499() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, r) = busy_memory(dir.path(), 3000);
    let s = Server::start(&mem, &[]);
    let auth = format!("Bearer {r}");
    let body = heavy_batch();
    // Warm the matcher (its index is built on first use).
    let small = json!({"from": "en", "to": "ru", "segments": ["harbour river"]}).to_string();
    let (code, _, b) = s.request(
        "POST",
        "/api/v1/lookup/batch",
        &[("Authorization", &auth)],
        small.as_bytes(),
    );
    assert_eq!(code, 200, "{b}");
    for _ in 0..5 {
        let mut sock = s.connect();
        sock.write_all(
            head(
                "POST",
                "/api/v1/lookup/batch",
                &[("Authorization", &auth)],
                Some(body.len()),
            )
            .as_bytes(),
        )
        .unwrap();
        sock.write_all(body.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        drop(sock);
    }
    assert_eq!(
        s.wait_log("/api/v1/lookup/batch 499", 5, 30),
        5,
        "{:?}",
        s.log()
    );
    // Each one's work stopped before its end.
    assert_eq!(
        s.wait_log("lookup/batch stopped after", 5, 30),
        5,
        "{:?}",
        s.log()
    );
    for l in s.log().iter().filter(|l| l.contains("stopped after")) {
        assert!(!l.contains("after 1000 of"), "{l}");
    }
    // The gauge counts at most the request that reads it (it was 5 more).
    let (code, _, m) = s.request("GET", "/metrics", &[("Authorization", &auth)], b"");
    assert_eq!(code, 200, "{m}");
    let gauge: f64 = m
        .lines()
        .find(|l| l.starts_with("transmem_http_requests_in_flight"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{m}"));
    assert!(gauge <= 1.0, "in flight on an idle server: {gauge}");
}

#[test]
fn a_batch_past_the_request_timeout_stops() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, r) = busy_memory(dir.path(), 3000);
    let s = Server::start(&mem, &["--request-timeout", "1"]);
    let auth = format!("Bearer {r}");
    let (code, _, b) = s.request(
        "POST",
        "/api/v1/lookup/batch",
        &[("Authorization", &auth)],
        heavy_batch().as_bytes(),
    );
    assert_eq!(code, 503, "{b}");
    assert_eq!(
        s.wait_log("lookup/batch stopped after", 1, 30),
        1,
        "{:?}",
        s.log()
    );
}

#[test]
fn a_review_save_answered_503_stores_nothing_and_can_be_saved_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, w, _a) = setup(dir.path());
    // Long enough for the alignment itself (a debug build is slow).
    let s = Server::start(&mem, &["--request-timeout", "6"]);
    let (st, al) = s.json(
        "POST",
        "/api/v1/alignments",
        &w,
        Some(json!({"from": "en", "to": "ru", "title": "Harbour",
            "source": "The harbour reopened. Ships came back on Monday.",
            "target": "Гавань снова открылась. Корабли вернулись в понедельник."})),
    );
    assert_eq!(st, 201, "{al}");
    let save = al["save_url"].as_str().unwrap().to_string();
    let corr = json!({"links": [{"src": [0], "tgt": [0]}, {"src": [1], "tgt": [1]}]}).to_string();
    // An import holds the write lock: the save times out.
    let mut import = half_import(&s, &w);
    std::thread::sleep(Duration::from_millis(300));
    let (code, _, body) = s.request("POST", &save, &[], corr.as_bytes());
    assert_eq!(code, 503, "{body}");
    import.write_all(b"0\r\n\r\n").unwrap();
    let (code, _, body) = response(&mut import);
    assert_eq!(code, 200, "{body}");
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(unit_count(&mem), 101, "the 503 save was stored after all");
    // The key was given back: the save can be made, once.
    let (code, _, body) = s.request("POST", &save, &[], corr.as_bytes());
    assert_eq!(code, 200, "{body}");
    assert_eq!(unit_count(&mem), 103);
    let (code, _, body) = s.request("POST", &save, &[], corr.as_bytes());
    assert_eq!(code, 409, "{body}");
}

#[test]
fn the_openapi_document_names_the_idempotency_key_on_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, _w, _a) = setup(dir.path());
    let s = Server::start(&mem, &[]);
    let (code, _, body) = s.request("GET", "/api/v1/openapi.json", &[], b"");
    assert_eq!(code, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    let p = &doc["components"]["parameters"]["IdempotencyKey"];
    assert_eq!(p["in"], "header", "{p}");
    assert_eq!(p["name"], "Idempotency-Key");
    let has = |path: &str, m: &str| {
        doc["paths"][path][m]["parameters"]
            .as_array()
            .is_some_and(|l| {
                l.iter()
                    .any(|x| x["$ref"] == "#/components/parameters/IdempotencyKey")
            })
    };
    assert!(has("/api/v1/units", "post"));
    assert!(has("/api/v1/import", "post"));
    assert!(has("/api/v1/units/{id}", "delete"));
    assert!(has("/api/v1/undo", "post"));
    assert!(!has("/api/v1/units", "get"));
    assert!(!has("/api/v1/lookup/batch", "post"));
}

#[test]
fn on_postgresql_a_cut_import_and_a_write_answered_503_store_nothing() {
    let Some(base) = util::test_database("timeouts on a PostgreSQL server") else {
        return;
    };
    let schema = util::PgSchema::new(&base);
    let db = || util::db(&schema.url, &[]);
    let token = |role: &str| {
        let out = run_ok(db().args(["token", "create", "--role", role]), 0);
        text(&out.stdout).trim().to_string()
    };
    let (w, a) = (token("write"), token("admin"));
    let count = || -> u64 {
        let out = run_ok(db().args(["units", "--count"]), 0);
        text(&out.stdout).trim().parse().expect("a count")
    };
    let s = Server::start_with(db(), &["--request-timeout", "2", "--transfer-timeout", "8"]);
    let auth = format!("Bearer {w}");
    let before = batches(&s, &a);
    // A write that times out behind an import holding the write handle.
    let mut import = half_import(&s, &w);
    std::thread::sleep(Duration::from_millis(300));
    let text = "Written on PostgreSQL while an import held the lock.";
    let (code, _, body) = s.request(
        "POST",
        "/api/v1/units",
        &[("Authorization", &auth)],
        one_unit(text).as_bytes(),
    );
    assert_eq!(code, 503, "{body}");
    import.write_all(b"0\r\n\r\n").unwrap();
    let (code, _, body) = response(&mut import);
    assert_eq!(code, 200, "{body}");
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(count(), 100, "the 503 write was stored after all");
    assert_eq!(batches(&s, &a), before + 1);
    // An import cut by the transfer timeout.
    let mut cut = half_import_of(&s, &w, "b");
    let (code, _, body) = response(&mut cut);
    assert_eq!(code, 503, "{body}");
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(count(), 100, "the cut import was committed");
    assert_eq!(batches(&s, &a), before + 1);
}
