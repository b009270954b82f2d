//! `transmem serve` over real HTTP on 127.0.0.1 (port 0, read back from
//! the server's first stderr line): the tmserver protocol, tokens and
//! roles, hostile input, concurrent writers, SIGTERM draining, the OpenAPI
//! document against the routes and answers, review over the server, and
//! the CLI's `--server` client.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use transmem::memory::Memory;
use util::{Server, process, run_ok, store, text, unit, unit_count};

/// The server's own requests (the process itself: [`util::Server`]).
impl Server {
    fn start(mem: &Path, extra: &[&str]) -> Server {
        Server::start_with(process(mem), extra)
    }

    /// A server run by `c` (a `transmem` command with its memory options).
    fn start_with(c: std::process::Command, extra: &[&str]) -> Server {
        Server::spawn(c, extra, 120)
    }

    /// One request; returns the status and the body as text.
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> (u16, String) {
        let (status, body, _) = self.call_typed(method, path, token, body);
        (status, body)
    }

    /// One request; returns the status, the body as text and its media
    /// type (the Content-Type without parameters).
    fn call_typed(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> (u16, String, String) {
        let url = format!("{}{path}", self.base);
        let auth = token.map(|t| format!("Bearer {t}"));
        let resp = match method {
            "GET" => {
                let mut r = self.agent.get(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.call()
            }
            "POST" => {
                let mut r = self
                    .agent
                    .post(&url)
                    .header("Content-Type", "application/json");
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.send(body.unwrap_or(b""))
            }
            "PATCH" => {
                let mut r = self.agent.patch(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.send(body.unwrap_or(b""))
            }
            "PUT" => {
                let mut r = self.agent.put(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.send(body.unwrap_or(b""))
            }
            "DELETE" => {
                let mut r = self.agent.delete(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.call()
            }
            m => panic!("method {m}"),
        };
        let mut resp = resp.expect("request");
        let status = resp.status().as_u16();
        let media = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .trim()
            .to_string();
        let body = resp
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_string()
            .unwrap_or_default();
        (status, body, media)
    }

    fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let b = body.map(|v| v.to_string());
        let (s, t) = self.call(method, path, token, b.as_deref().map(str::as_bytes));
        let v = serde_json::from_str(&t)
            .unwrap_or_else(|e| panic!("{method} {path}: {s} not JSON ({e}): {t}"));
        (s, v)
    }
}

fn token(mem: &Path, role: &str) -> String {
    let out = run_ok(process(mem).args(["token", "create", "--role", role]), 0);
    text(&out.stdout).trim().to_string()
}

/// A memory with a few en/ru units and a read, a write and an admin token.
fn setup(dir: &Path) -> (PathBuf, String, String, String) {
    let mem = dir.join("m.sqlite");
    store(
        &mem,
        &[
            unit(&[
                ("en", "The minister arrived in Kyiv on Monday."),
                ("ru", "Министр прибыл в Киев в понедельник."),
            ]),
            unit(&[
                ("en", "The talks ended without an agreement."),
                ("ru", "Переговоры завершились без соглашения."),
            ]),
            unit(&[
                ("en", "Prices rose sharply in the capital."),
                ("ru", "Цены в столице резко выросли."),
            ]),
            unit(&[
                ("pt-BR", "O ministro chegou na segunda-feira."),
                ("en", "The minister arrived on Monday."),
            ]),
        ],
    );
    let r = token(&mem, "read");
    let w = token(&mem, "write");
    let a = token(&mem, "admin");
    (mem, r, w, a)
}

/// Everything a client could see of the memory, to prove it unchanged.
fn snapshot(mem: &Path) -> (u64, transmem::memory::Stamp, String) {
    let m = Memory::open_existing(mem).unwrap();
    let mut units = String::new();
    m.for_each_unit(|u| {
        units.push_str(&format!("{u:?}\n"));
        Ok(())
    })
    .unwrap();
    (m.unit_count().unwrap(), m.stamp().unwrap(), units)
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[test]
fn tmserver_protocol_answers_weblate_shape() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, r, _, _) = setup(dir.path());
    let s = Server::start(&mem, &[]);
    let (st, langs) = s.json("GET", "/tmserver/languages/", Some(&r), None);
    assert_eq!(st, 200);
    assert_eq!(
        langs,
        json!({"sourceLanguages": ["en", "pt_BR", "ru"], "targetLanguages": ["en", "pt_BR", "ru"]})
    );
    // A stored sentence: quality 100, in exactly the documented shape.
    let path = format!(
        "/tmserver/en/ru/unit/{}",
        enc("The minister arrived in Kyiv on Monday.")
    );
    let (st, v) = s.json("GET", &path, Some(&r), None);
    assert_eq!(st, 200);
    let list = v.as_array().expect("a JSON list");
    assert!(!list.is_empty());
    let first = list[0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["quality", "rank", "source", "target"]);
    assert_eq!(first["source"], "The minister arrived in Kyiv on Monday.");
    assert_eq!(first["target"], "Министр прибыл в Киев в понедельник.");
    assert_eq!(first["quality"], json!(100));
    assert!(first["quality"].is_i64());
    assert!(first["rank"].is_number());
    // A one-word edit: above 70, still best first.
    let path = format!(
        "/tmserver/en/ru/unit/{}",
        enc("The minister arrived in Kyiv on Tuesday.")
    );
    let (st, v) = s.json("GET", &path, Some(&r), None);
    assert_eq!(st, 200);
    let q = v[0]["quality"].as_i64().expect("integer quality");
    assert!(q > 70 && q < 100, "quality {q}");
    assert_eq!(v[0]["target"], "Министр прибыл в Киев в понедельник.");
    let qs: Vec<i64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["quality"].as_i64().unwrap())
        .collect();
    assert!(qs.windows(2).all(|w| w[0] >= w[1]), "best first: {qs:?}");
    // Language codes as the clients send them: pt_br.
    let path = format!(
        "/tmserver/pt_br/en/unit/{}",
        enc("O ministro chegou na segunda-feira.")
    );
    let (st, v) = s.json("GET", &path, Some(&r), None);
    assert_eq!(st, 200);
    assert_eq!(v[0]["target"], "The minister arrived on Monday.");
    assert_eq!(v[0]["quality"], 100);
    // Nothing similar: an empty list, not an error.
    let (st, v) = s.json(
        "GET",
        "/tmserver/en/ru/unit/Completely%20unrelated%20words%20here",
        Some(&r),
        None,
    );
    assert_eq!((st, v), (200, json!([])));
    // A bad language code: 400 with a JSON error.
    let (st, v) = s.json("GET", "/tmserver/e!n/ru/unit/Hello", Some(&r), None);
    assert_eq!(st, 400);
    assert!(v["error"].as_str().unwrap().contains("language"), "{v}");
}

#[test]
fn tokens_and_roles() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, r, w, _) = setup(dir.path());
    let s = Server::start(&mem, &[]);
    let before = snapshot(&mem);
    let add = json!({"units": [{"variants": [{"lang": "en", "text": "New one."}, {"lang": "ru", "text": "Новое."}]}]});
    for tok in [None, Some("wrong-token"), Some("")] {
        let (st, v) = s.json("POST", "/api/v1/units", tok, Some(add.clone()));
        assert_eq!(st, 401, "{tok:?}: {v}");
        assert!(v["error"].is_string());
        let (st, _) = s.json("GET", "/tmserver/languages/", tok, None);
        assert_eq!(st, 401);
        let (st, _) = s.json(
            "POST",
            "/api/v1/lookup",
            tok,
            Some(json!({"from": "en", "to": "ru", "text": "The talks ended."})),
        );
        assert_eq!(st, 401);
    }
    // A read token may read but not write.
    let (st, v) = s.json("POST", "/api/v1/units", Some(&r), Some(add.clone()));
    assert_eq!(st, 403, "{v}");
    let (st, _) = s.call(
        "POST",
        "/api/v1/import?format=tsv",
        Some(&r),
        Some(b"en\tru\nA.\tB.\n"),
    );
    assert_eq!(st, 403);
    let (st, _) = s.json("GET", "/api/v1/stats", Some(&r), None);
    assert_eq!(st, 200);
    assert_eq!(
        snapshot(&mem),
        before,
        "memory unchanged by refused requests"
    );
    // A write token writes, and the write is reported.
    let (st, v) = s.json("POST", "/api/v1/units", Some(&w), Some(add.clone()));
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["new"], 1);
    assert_eq!(unit_count(&mem), before.0 + 1);
    assert!(s.logged("stored 1 new unit"), "{:?}", s.log());
    // Revoked: refused (after the role cache expires).
    let list = text(&run_ok(process(&mem).args(["token", "list"]), 0).stdout);
    let id = list
        .lines()
        .find(|l| l.contains("write"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    run_ok(process(&mem).args(["token", "revoke", &id]), 0);
    std::thread::sleep(Duration::from_millis(5200));
    let (st, _) = s.json("POST", "/api/v1/units", Some(&w), Some(add));
    assert_eq!(st, 401);
    // The secret is not in the memory file, only its hash.
    let bytes = std::fs::read(&mem).unwrap();
    assert!(!bytes.windows(r.len()).any(|x| x == r.as_bytes()));
}

#[test]
fn anonymous_read_opens_lookups_and_tmserver_only() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, _, _, _) = setup(dir.path());
    let s = Server::start(&mem, &["--anonymous-read"]);
    let (st, _) = s.json("GET", "/tmserver/languages/", None, None);
    assert_eq!(st, 200);
    let (st, v) = s.json(
        "POST",
        "/api/v1/lookup",
        None,
        Some(json!({"from": "en", "to": "ru", "text": "The talks ended without an agreement."})),
    );
    assert_eq!(st, 200);
    assert_eq!(v["matches"][0]["score"], 100.0);
    let (st, _) = s.json("GET", "/api/v1/stats", None, None);
    assert_eq!(st, 401);
    let (st, _) = s.call("GET", "/api/v1/export", None, None);
    assert_eq!(st, 401);
    let (st, _) = s.json("POST", "/api/v1/units", None, Some(json!({"units": []})));
    assert_eq!(st, 401);
}

/// A note or label that TMX cannot hold (a C0 control character) is
/// refused at the door: stored, it broke every later TMX export mid-stream
/// (found by Schemathesis on the derived document).
#[test]
fn a_note_no_export_could_hold_is_refused_and_exports_stay_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, _, w, _) = setup(dir.path());
    let s = Server::start(&mem, &[]);
    let before = snapshot(&mem);
    for body in [
        json!({"units": [{"variants": [{"lang": "en", "text": "A."}, {"lang": "ru", "text": "А."}], "notes": ["bad\u{16}note"]}]}),
        json!({"units": [{"variants": [{"lang": "en", "text": "A.", "notes": ["\u{1}"]}, {"lang": "ru", "text": "А."}]}]}),
        json!({"units": [{"variants": [{"lang": "en", "text": "A."}, {"lang": "ru", "text": "А."}], "origin": "x\u{B}y"}]}),
    ] {
        let (st, v) = s.json("POST", "/api/v1/units", Some(&w), Some(body));
        assert_eq!(st, 400, "{v}");
        assert!(
            v["error"].as_str().unwrap().contains("control character"),
            "{v}"
        );
    }
    // The same for the origin an upload records, and an alignment's.
    for q in ["origin=a%00b", "default_origin=%16"] {
        let (st, v) = s.call(
            "POST",
            &format!("/api/v1/import?format=tsv&langs=en,ru&{q}"),
            Some(&w),
            Some("One.\tОдин.\n".as_bytes()),
        );
        assert_eq!(st, 400, "{q}: {v}");
        assert!(v.contains("control character"), "{v}");
    }
    let (st, v) = s.json(
        "POST",
        "/api/v1/alignments",
        Some(&w),
        Some(json!({"from": "en", "to": "ru", "source": "A.", "target": "А.", "origin": "x\u{0}"})),
    );
    assert_eq!(st, 400, "{v}");
    assert_eq!(snapshot(&mem), before);
    // A control character in a text is kept (TMX writes it as a placeholder).
    let (st, v) = s.json(
        "POST",
        "/api/v1/units",
        Some(&w),
        Some(json!({"units": [{"variants": [{"lang": "en", "text": "Bell \u{7} here."}, {"lang": "ru", "text": "Звонок."}], "notes": ["a fine note"]}]})),
    );
    assert_eq!(st, 201, "{v}");
    let (st, tmx) = s.call("GET", "/api/v1/export", Some(&w), None);
    assert_eq!(st, 200);
    assert!(tmx.trim_end().ends_with("</tmx>"), "{tmx}");
    assert!(tmx.contains("a fine note"));
}

#[test]
fn hostile_input_gets_4xx_json_and_leaves_the_memory_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, r, w, _) = setup(dir.path());
    let s = Server::start(
        &mem,
        &["--max-body-bytes", "4096", "--max-upload-bytes", "2048"],
    );
    let before = snapshot(&mem);
    let big = "x".repeat(10_000);
    let cases: Vec<(&str, String, Option<String>, &str, u16)> = vec![
        ("POST", "/api/v1/units".into(), Some("{not json".into()), &w, 400),
        ("POST", "/api/v1/units".into(), Some("[1,2,3]".into()), &w, 400),
        ("POST", "/api/v1/units".into(), Some(r#"{"units":[{"variants":[{"lang":"en","text":"A"}]}]}"#.into()), &w, 400),
        ("POST", "/api/v1/units".into(), Some(r#"{"units":[{"variants":[{"lang":"e n!","text":"A"},{"lang":"ru","text":"Б"}]}]}"#.into()), &w, 400),
        ("POST", "/api/v1/units".into(), Some(r#"{"units":[{"variants":[{"lang":"en","text":"A"},{"lang":"ru","text":"Б"}]}],"evil":1}"#.into()), &w, 400),
        ("POST", "/api/v1/units".into(), Some(r#"{"units":[{"variants":[{"lang":"en","text":"A"},{"lang":"ru","text":""}]}]}"#.into()), &w, 400),
        ("POST", "/api/v1/units".into(), Some(r#"{"units":[{"variants":[{"lang":"en","text":"A"},{"lang":"en","text":"B"}]}]}"#.into()), &w, 400),
        ("POST", "/api/v1/units".into(), Some(format!(r#"{{"units":[{{"variants":[{{"lang":"en","text":"{big}"}},{{"lang":"ru","text":"Б"}}]}}]}}"#)), &w, 413),
        ("POST", "/api/v1/units".into(), Some(r#"{"units":[],"on_duplicate":"explode"}"#.into()), &w, 400),
        ("POST", "/api/v1/lookup".into(), Some(r#"{"from":"en","to":"r u","text":"Hi there"}"#.into()), &r, 400),
        ("POST", "/api/v1/lookup".into(), Some(r#"{"from":"en","to":"ru","text":"Hi there","threshold":1e9}"#.into()), &r, 400),
        ("POST", "/api/v1/lookup".into(), Some(r#"{"from":"en","to":"ru","text":"Hi there","limit":0}"#.into()), &r, 400),
        ("POST", "/api/v1/lookup".into(), Some(r#"{"from":"en","to":"ru","text":12}"#.into()), &r, 400),
        ("POST", "/api/v1/lookup/batch".into(), Some(r#"{"from":"en","to":"ru","segments":"no"}"#.into()), &r, 400),
        ("POST", "/api/v1/import?format=tmx".into(), Some("<tmx><body><tu><tuv xml:lang='en'><seg>A".into()), &w, 400),
        ("POST", "/api/v1/import?format=tsv&langs=en,ru".into(), Some(format!("A\tB\n{}\n", "C\tD\n".repeat(1000))), &w, 413),
        ("POST", "/api/v1/import?format=exe".into(), Some("x".into()), &w, 400),
        ("POST", "/api/v1/import?format=tsv&langs=en,%21%21".into(), Some("A\tB\n".into()), &w, 400),
        ("POST", "/api/v1/import".into(), Some("A\tB\n".into()), &w, 400),
        // An empty upload was a 500 (found by Schemathesis).
        ("POST", "/api/v1/import?format=tsv&langs=en,ru".into(), Some(String::new()), &w, 400),
        ("POST", "/api/v1/import?format=tmx".into(), Some(" \n".into()), &w, 400),
        ("GET", "/api/v1/units/abc".into(), None, &r, 400),
        ("GET", "/api/v1/units/999999".into(), None, &r, 404),
        ("GET", "/api/v1/concordance?lang=en".into(), None, &r, 400),
        ("GET", "/api/v1/export?format=pdf".into(), None, &r, 400),
        ("GET", "/api/v1/nowhere".into(), None, &r, 404),
        ("DELETE", "/api/v1/health".into(), None, &r, 405),
        ("GET", "/tmserver/en/ru/unit/%FF%FE".into(), None, &r, 400),
        ("POST", "/api/v1/alignments".into(), Some(r#"{"from":"en","to":"ru","source":"","target":"x"}"#.into()), &w, 400),
        ("POST", "/api/v1/alignments/1/corrections?key=nope".into(), Some(r#"{"links":[]}"#.into()), &w, 404),
    ];
    for (method, path, body, tok, want) in cases {
        let (st, t) = s.call(method, &path, Some(tok), body.as_deref().map(str::as_bytes));
        assert_eq!(st, want, "{method} {path}: {t}");
        let v: Value =
            serde_json::from_str(&t).unwrap_or_else(|_| panic!("{method} {path}: not JSON: {t}"));
        assert!(
            v["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{method} {path}: {v}"
        );
        assert_eq!(snapshot(&mem), before, "{method} {path} changed the memory");
    }
    // A body too large announced by Content-Length is refused unread.
    let mut c = TcpStream::connect(&s.addr).unwrap();
    write!(
        c,
        "POST /api/v1/import?format=tsv&langs=en,ru HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {w}\r\nContent-Length: 999999999\r\nConnection: close\r\n\r\nA\tB\n"
    )
    .unwrap();
    let mut resp = String::new();
    let _ = c.read_to_string(&mut resp);
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    assert!(resp.contains("\"error\""), "{resp}");
    assert_eq!(snapshot(&mem), before);
    // The same without a length (chunked): cut off at the limit, 413.
    let mut c = TcpStream::connect(&s.addr).unwrap();
    write!(
        c,
        "POST /api/v1/import?format=tsv&langs=en,ru HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {w}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    for i in 0..4 {
        let chunk = format!("Chunk {i} line.\tСтрока {i}.\n").repeat(40);
        if write!(c, "{:x}\r\n{chunk}\r\n", chunk.len()).is_err() {
            break;
        }
    }
    let _ = write!(c, "0\r\n\r\n");
    let mut resp = String::new();
    let _ = c.read_to_string(&mut resp);
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    assert!(resp.contains("nothing was stored"), "{resp}");
    assert_eq!(snapshot(&mem), before);
    // The server is still up and answers.
    let (st, _) = s.json("GET", "/api/v1/health", None, None);
    assert_eq!(st, 200);
}

#[test]
fn concurrent_writers_never_lose_or_duplicate_a_unit() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, _, w, _) = setup(dir.path());
    let before = unit_count(&mem);
    let s = Arc::new(Server::start(&mem, &[]));
    let threads: Vec<_> = (0..8)
        .map(|c| {
            let s = s.clone();
            let w = w.clone();
            std::thread::spawn(move || {
                for batch in 0..100 {
                    let units: Vec<Value> = (0..10)
                        .map(|k| {
                            let i = batch * 10 + k;
                            json!({"variants": [
                                {"lang": "en", "text": format!("Client {c} wrote sentence number {i}.")},
                                {"lang": "ru", "text": format!("Клиент {c} написал предложение номер {i}.")}]})
                        })
                        .collect();
                    let (st, v) = s.json("POST", "/api/v1/units", Some(&w), Some(json!({"units": units})));
                    assert_eq!(st, 201, "{v}");
                    assert_eq!(v["new"], 10);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client thread");
    }
    assert_eq!(unit_count(&mem), before + 8000);
    let mut seen = std::collections::HashSet::new();
    for u in util::units(&mem) {
        assert!(
            seen.insert(u.variants[0].text.clone()),
            "duplicate {:?}",
            u.variants[0].text
        );
    }
    for c in 0..8 {
        for i in [0, 999] {
            assert!(seen.contains(&format!("Client {c} wrote sentence number {i}.")));
        }
    }
}

#[test]
fn sigterm_drains_the_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, _, w, _) = setup(dir.path());
    let before = unit_count(&mem);
    let mut s = Server::start(&mem, &[]);
    let body: String = (0..200)
        .map(|i| format!("Drained sentence {i}.\tСлитое предложение {i}.\n"))
        .collect();
    let (head, tail) = body.split_at(body.len() / 2);
    let mut c = TcpStream::connect(&s.addr).unwrap();
    write!(
        c,
        "POST /api/v1/import?format=tsv&langs=en,ru HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {w}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        body.len()
    )
    .unwrap();
    c.flush().unwrap();
    // The upload is in flight (half sent) when SIGTERM arrives.
    let t0 = Instant::now();
    while !s.log().iter().any(|_| true) && t0.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    s.terminate();
    let t0 = Instant::now();
    while !s.log().iter().any(|l| l.contains("stopping")) {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "no stopping line: {:?}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // New connections are no longer served...
    std::thread::sleep(Duration::from_millis(200));
    let refused = TcpStream::connect(&s.addr).map(|mut n| {
        let _ = write!(n, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut r = String::new();
        let _ = n.read_to_string(&mut r);
        r.is_empty()
    });
    assert!(
        refused.unwrap_or(true),
        "a new request was served while draining"
    );
    // ...but the one in flight completes and commits.
    c.write_all(tail.as_bytes()).unwrap();
    let mut resp = String::new();
    c.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"new\":200"), "{resp}");
    let status = s.child.wait().expect("server exit");
    assert!(status.success(), "{status:?}");
    assert_eq!(unit_count(&mem), before + 200);
}

/// Checks `v` against an OpenAPI 3.1 schema (JSON Schema: the keywords
/// the derived document uses): `$ref`, `type` (one or a list), `oneOf`,
/// `anyOf`, `allOf`, `enum`, `required`, `properties`,
/// `additionalProperties`, `propertyNames`, `items`, `prefixItems`, `minimum`, `maximum`,
/// `minItems`, `maxItems`, `maxLength` and `pattern`. An unknown keyword is
/// an error, so the test cannot pass by ignoring what the document says.
fn conforms(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    const KNOWN: &[&str] = &[
        "$ref",
        "type",
        "oneOf",
        "anyOf",
        "allOf",
        "enum",
        "required",
        "properties",
        "additionalProperties",
        "propertyNames",
        "items",
        "prefixItems",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "description",
        "title",
        "default",
        "examples",
        "nullable",
    ];
    let Some(obj) = schema.as_object() else {
        return if schema == &Value::Bool(true) {
            Ok(())
        } else {
            Err(format!("{at}: schema {schema} is not an object"))
        };
    };
    if let Some(k) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!("{at}: the check knows no schema keyword {k}"));
    }
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            return Err(format!("{at}: {r} is not in the document"));
        }
        conforms(doc, target, v, at)?;
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            conforms(doc, s, v, at)?;
        }
    }
    for (key, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(list) = schema[key].as_array() {
            let errors: Vec<String> = list
                .iter()
                .filter_map(|s| conforms(doc, s, v, at).err())
                .collect();
            let passed = list.len() - errors.len();
            if passed == 0 || (exactly_one && passed > 1) {
                return Err(format!(
                    "{at}: {passed} of the {key} schemas take {v}: {errors:?}"
                ));
            }
        }
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(v)
    {
        return Err(format!("{at}: {v} is not one of {values:?}"));
    }
    let is = |ty: &str| match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    };
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| is(t)) {
        return Err(format!("{at}: expected {types:?}, got {v}"));
    }
    if let Some(req) = schema["required"].as_array() {
        for k in req {
            let k = k.as_str().unwrap();
            if v.is_object() && v.get(k).is_none() {
                return Err(format!("{at}: missing {k} in {v}"));
            }
        }
    }
    if let Some(map) = v.as_object() {
        let props = schema["properties"].as_object();
        for (k, val) in map {
            if let Some(names) = schema.get("propertyNames") {
                conforms(
                    doc,
                    names,
                    &Value::String(k.clone()),
                    &format!("{at} key {k:?}"),
                )?;
            }
            match props.and_then(|p| p.get(k)) {
                Some(s) => conforms(doc, s, val, &format!("{at}.{k}"))?,
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        return Err(format!("{at}: undocumented field {k}"));
                    }
                    Some(s @ Value::Object(_)) => conforms(doc, s, val, &format!("{at}.{k}"))?,
                    _ => {}
                },
            }
        }
    }
    if let Some(arr) = v.as_array() {
        let prefix = schema["prefixItems"].as_array();
        for (i, x) in arr.iter().enumerate() {
            match prefix.and_then(|p| p.get(i)) {
                Some(s) => conforms(doc, s, x, &format!("{at}[{i}]"))?,
                None => {
                    if let Some(items) = schema.get("items") {
                        conforms(doc, items, x, &format!("{at}[{i}]"))?;
                    }
                }
            }
        }
        let n = arr.len() as u64;
        if schema["minItems"].as_u64().is_some_and(|m| n < m)
            || schema["maxItems"].as_u64().is_some_and(|m| n > m)
        {
            return Err(format!("{at}: {n} items, outside {schema}"));
        }
    }
    if let Some(x) = v.as_f64()
        && (schema["minimum"].as_f64().is_some_and(|m| x < m)
            || schema["maximum"].as_f64().is_some_and(|m| x > m))
    {
        return Err(format!("{at}: {x} outside {schema}"));
    }
    if let Some(t) = v.as_str() {
        let n = t.chars().count() as u64;
        if schema["minLength"].as_u64().is_some_and(|m| n < m)
            || schema["maxLength"].as_u64().is_some_and(|m| n > m)
        {
            return Err(format!("{at}: {t:?} has a length outside {schema}"));
        }
        if let Some(p) = schema["pattern"].as_str()
            && !regex::Regex::new(p).unwrap().is_match(t)
        {
            return Err(format!("{at}: {t:?} does not match {p}"));
        }
    }
    Ok(())
}

#[test]
fn openapi_document_matches_the_routes_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, _, _, a) = setup(dir.path());
    let s = Server::start(&mem, &[]);
    let (st, doc) = s.json("GET", "/api/v1/openapi.json", None, None);
    assert_eq!(st, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let (_, al) = s.json(
        "POST",
        "/api/v1/alignments",
        Some(&a),
        Some(json!({"from": "en", "to": "ru", "source": "One. Two.", "target": "Один. Два."})),
    );
    let key = al["review_url"]
        .as_str()
        .unwrap()
        .split("key=")
        .nth(1)
        .unwrap()
        .to_string();
    let align_id = al["id"].as_i64().unwrap();
    // A batch of its own for the undo sample (it only removes this unit).
    let (st, _) = s.json(
        "POST",
        "/api/v1/units",
        Some(&a),
        Some(json!({"units": [{"variants": [{"lang": "en", "text": "To be undone."}, {"lang": "ru", "text": "Будет отменено."}]}]})),
    );
    assert_eq!(st, 201);
    let (_, h) = s.json("GET", "/api/v1/history", Some(&a), None);
    let undo_batch = h["batches"].as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap();
    // Sample requests for every documented operation.
    let sample = |path: &str, method: &str| -> (String, Option<String>) {
        let p = path
            .replace(
                "{id}",
                if path.contains("alignments") {
                    "ALIGN"
                } else if path.contains("tokens") {
                    // The read token (the samples run with the admin one).
                    "1"
                } else if method == "DELETE" {
                    // Unit 1 is read and edited by the other samples.
                    "3"
                } else {
                    "1"
                },
            )
            .replace("ALIGN", &align_id.to_string())
            .replace("{src}", "en")
            .replace("{tgt}", "ru")
            .replace("{text}", &enc("Prices rose sharply in the capital."));
        let query = match (method, path) {
            (_, "/api/v1/concordance") => "?lang=en&q=minister",
            (_, "/api/v1/import") => "?format=tsv&langs=en,ru",
            ("GET", "/api/v1/units") => "?lang=en&match=minister&limit=1",
            (_, p) if p.starts_with("/api/v1/alignments/") => "KEY",
            _ => "",
        };
        let query = query.replace("KEY", &format!("?key={key}"));
        let body = match (method, path) {
            ("PUT" | "PATCH", "/api/v1/units/{id}") => Some(json!({"lang": "ru", "text": format!("Министр прибыл ({method}).")}).to_string()),
            (_, "/api/v1/units/delete") => Some(json!({"filter": {"ids": [2]}}).to_string()),
            (_, "/api/v1/replace") => Some(json!({"lang": "en", "find": "sharply", "replace": "steeply"}).to_string()),
            (_, "/api/v1/undo") => Some(json!({"batch": undo_batch}).to_string()),
            ("GET", _) => None,
            (_, path) => match path {
            "/api/v1/lookup" => Some(json!({"from": "en", "to": "ru", "text": "The talks ended without agreement."}).to_string()),
            "/api/v1/lookup/batch" => Some(json!({"from": "en", "to": "ru", "segments": ["The talks ended.", "Prices rose sharply in the capital."], "context": true}).to_string()),
            "/api/v1/units" => Some(json!({"units": [{"variants": [{"lang": "en", "text": "Documented."}, {"lang": "ru", "text": "Задокументировано."}]}]}).to_string()),
            "/api/v1/import" => Some("Imported line.\tИмпортированная строка.\n".into()),
            "/api/v1/alignments" => Some(json!({"from": "en", "to": "ru", "source": "A. B.", "target": "А. Б."}).to_string()),
            "/api/v1/alignments/{id}/corrections" => Some(json!({"links": [{"src": [0], "tgt": [0]}, {"src": [1], "tgt": [1]}]}).to_string()),
            "/api/v1/units/import" => Some([
                json!({"begin": {"command": "transmem import sample.tsv", "on_duplicate": "keep-both", "groups": 1}}),
                json!({"unit": {"group": 0, "unit": {"variants": [{"lang": "en", "text": "Streamed."}, {"lang": "ru", "text": "Потоком."}]}}}),
                json!({"end": {"units": 1}}),
            ].iter().map(|l| format!("{l}\n")).collect()),
            "/api/v1/lookup/queries" => Some(json!({"from": "en", "to": "ru", "queries": [{"text": "The talks ended.", "next": "Prices rose sharply in the capital."}]}).to_string()),
            "/api/v1/dedupe" => Some(json!({"from": "en", "to": "ru", "dry_run": true}).to_string()),
            "/api/v1/tm/edit" => Some(json!({"id": 1, "lang": "ru", "text": "Министр прибыл (tm).", "command": "transmem edit 1"}).to_string()),
            "/api/v1/tm/delete" => Some(json!({"filter": {"ids": [4]}}).to_string()),
            "/api/v1/tm/replace" => Some(json!({"lang": "en", "find": "talks", "replace": "negotiations", "dry_run": true}).to_string()),
            "/api/v1/tm/undo" => Some(json!({"batch": undo_batch, "dry_run": true}).to_string()),
            "/api/v1/tokens" => Some(json!({"hash": "ab".repeat(32), "role": "read", "name": "sample"}).to_string()),
            _ => None,
            },
        };
        (format!("{p}{query}"), body)
    };
    let mut checked = 0;
    // Saving corrections consumes the alignment: its page is fetched first.
    let mut paths: Vec<(&String, &Value)> = doc["paths"].as_object().unwrap().iter().collect();
    paths.sort_by_key(|(p, _)| p.ends_with("/corrections"));
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let method = method.to_uppercase();
            let (url, body) = sample(path, &method);
            let (st, t, media) =
                s.call_typed(&method, &url, Some(&a), body.as_deref().map(str::as_bytes));
            assert!((200..300).contains(&st), "{method} {url}: {st} {t}");
            let resp = &op["responses"][st.to_string()];
            assert!(
                resp.is_object(),
                "{method} {path}: status {st} not documented"
            );
            // The answer's media type is one the document gives (the
            // streams, the page and the metrics included).
            assert!(
                resp["content"].get(&media).is_some(),
                "{method} {path}: answered {media}, documented {}",
                resp["content"]
            );
            if let Some(schema) = resp["content"]
                .get("application/json")
                .map(|c| &c["schema"])
            {
                let v: Value = serde_json::from_str(&t).unwrap();
                conforms(&doc, schema, &v, &format!("{method} {path}")).unwrap();
            }
            // Every documented error status has the Error shape.
            for (code, r) in op["responses"].as_object().unwrap() {
                if code.starts_with('4') || code.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorAnswer",
                        "{method} {path} {code}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 37, "every route documented once");
    // A second token with the hash of a stored one is a documented 409,
    // not the store's constraint as a 500 (found by Schemathesis once the
    // document gave the hash its pattern).
    let (st, v) = s.json(
        "POST",
        "/api/v1/tokens",
        Some(&a),
        Some(json!({"hash": "ab".repeat(32), "role": "write"})),
    );
    assert_eq!(st, 409, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("nothing stored"),
        "{v}"
    );
    assert!(doc["paths"]["/api/v1/tokens"]["post"]["responses"]["409"].is_object());
    let (_, list) = s.json("GET", "/api/v1/tokens", Some(&a), None);
    let same = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == "sample")
        .count();
    assert_eq!(same, 1, "{list}");
    // The check is not blind: an answer that drifted from its type's
    // schema (a field gone, of another type, or one the type does not have)
    // is refused.
    let schema_of = |path: &str, method: &str, status: &str| {
        doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
            .clone()
    };
    let (_, health) = s.json("GET", "/api/v1/health", None, None);
    let health_schema = schema_of("/api/v1/health", "get", "200");
    conforms(&doc, &health_schema, &health, "health").unwrap();
    let mut gone = health.clone();
    gone.as_object_mut().unwrap().remove("generation");
    assert!(conforms(&doc, &health_schema, &gone, "health").is_err());
    let mut retyped = health.clone();
    retyped["generation"] = json!("7");
    assert!(conforms(&doc, &health_schema, &retyped, "health").is_err());
    let (_, page) = s.json("GET", "/api/v1/units?limit=1", Some(&a), None);
    let page_schema = schema_of("/api/v1/units", "get", "200");
    conforms(&doc, &page_schema, &page, "units").unwrap();
    let mut extra = page.clone();
    extra["next_offset"] = json!(1);
    assert!(conforms(&doc, &page_schema, &extra, "units").is_err());
    let mut bad_unit = page.clone();
    bad_unit["units"][0]["variants"] = json!("en");
    assert!(conforms(&doc, &page_schema, &bad_unit, "units").is_err());
    // Undocumented method or path: answered as no route.
    let (st, v) = s.json("PUT", "/api/v1/stats", Some(&a), None);
    assert_eq!(st, 405, "{v}");
    let (st, v) = s.json("GET", "/api/v2/lookup", Some(&a), None);
    assert_eq!(st, 404);
    conforms(
        &doc,
        &json!({"$ref": "#/components/schemas/ErrorAnswer"}),
        &v,
        "404",
    )
    .unwrap();
    // One log line per request, and the metrics count them.
    let log = s.log();
    assert!(
        log.iter().any(|l| l.contains(" GET /api/v1/stats 200 ")),
        "{log:?}"
    );
    let (_, m) = s.call("GET", "/metrics", Some(&a), None);
    assert!(
        m.contains(
            "transmem_http_requests_total{method=\"GET\",route=\"/api/v1/stats\",status=\"200\"} 1"
        ),
        "{m}"
    );
    assert!(
        m.contains(
            "transmem_http_request_duration_seconds_bucket{le=\"+Inf\",route=\"/api/v1/lookup\"} 1"
        ),
        "{m}"
    );
}

#[test]
fn import_export_lookup_and_context_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, r, _, _) = setup(dir.path());
    let w = text(
        &run_ok(
            process(&mem).args(["token", "create", "--role", "write", "--name", "editor"]),
            0,
        )
        .stdout,
    )
    .trim()
    .to_string();
    let s = Server::start(&mem, &[]);
    let tmx = r#"<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header srclang="en" segtype="sentence" datatype="plaintext" adminlang="en" creationtool="t" creationtoolversion="1" o-tmf="t"/>
<body><tu><tuv xml:lang="en"><seg>The bridge was closed for repairs.</seg></tuv><tuv xml:lang="ru"><seg>Мост закрыли на ремонт.</seg></tuv></tu></body></tmx>"#;
    let (st, t) = s.call(
        "POST",
        "/api/v1/import?format=tmx",
        Some(&w),
        Some(tmx.as_bytes()),
    );
    assert_eq!(st, 200, "{t}");
    let v: Value = serde_json::from_str(&t).unwrap();
    assert_eq!((v["read"].as_u64(), v["new"].as_u64()), (Some(1), Some(1)));
    let (st, tsv) = s.call(
        "GET",
        "/api/v1/export?format=tsv&langs=en,ru",
        Some(&r),
        None,
    );
    assert_eq!(st, 200);
    assert!(
        tsv.contains("The bridge was closed for repairs.\tМост закрыли на ремонт."),
        "{tsv}"
    );
    // The same export as the CLI writes.
    let cli = run_ok(
        process(&mem).args(["export", "--format", "tsv", "--langs", "en,ru"]),
        0,
    );
    assert_eq!(tsv, text(&cli.stdout));
    // A unit read back by id.
    let (_, v) = s.json("POST", "/api/v1/units", Some(&w), Some(json!({"units": [{"variants": [{"lang": "en", "text": "First of three."}, {"lang": "ru", "text": "Первое из трёх."}], "origin": "doc1"}]})));
    let id = v["results"][0]["id"].as_i64().unwrap();
    let (st, u) = s.json("GET", &format!("/api/v1/units/{id}"), Some(&r), None);
    assert_eq!(st, 200);
    // The writer's token name is recorded as the creator.
    assert_eq!(u["creator"], "editor");
    assert_eq!(u["variants"][0]["text"], "First of three.");
    assert_eq!(u["origin"], "doc1");
    // Context (101%) from a batch: units stored with neighbours.
    let doc_en = [
        "Alpha opened the meeting.",
        "The vote was postponed.",
        "Everyone went home.",
    ];
    let doc_ru = [
        "Альфа открыл собрание.",
        "Голосование отложили.",
        "Все разошлись по домам.",
    ];
    let units: Vec<Value> = (0..3)
        .map(|i| {
            json!({"variants": [
                {"lang": "en", "text": doc_en[i], "prev": i.checked_sub(1).map(|p| doc_en[p]), "next": doc_en.get(i + 1)},
                {"lang": "ru", "text": doc_ru[i]}]})
        })
        .collect();
    let (st, _) = s.json(
        "POST",
        "/api/v1/units",
        Some(&w),
        Some(json!({"units": units})),
    );
    assert_eq!(st, 201);
    let (st, v) = s.json(
        "POST",
        "/api/v1/lookup/batch",
        Some(&r),
        Some(json!({"from": "en", "to": "ru", "segments": doc_en, "context": true})),
    );
    assert_eq!(st, 200);
    assert_eq!(v["results"][1]["matches"][0]["score"], 101.0, "{v}");
    assert_eq!(v["results"][1]["matches"][0]["context"], true);
    let (_, v) = s.json(
        "POST",
        "/api/v1/lookup/batch",
        Some(&r),
        Some(json!({"from": "en", "to": "ru", "segments": doc_en})),
    );
    assert_eq!(v["results"][1]["matches"][0]["score"], 100.0);
    // A unit written through the server is found by the next lookup.
    let (_, v) = s.json(
        "POST",
        "/api/v1/lookup",
        Some(&r),
        Some(json!({"from": "en", "to": "ru", "text": "First of three."})),
    );
    assert_eq!(v["matches"][0]["target"], "Первое из трёх.");
    let (_, v) = s.json(
        "GET",
        "/api/v1/concordance?lang=en&q=bridge",
        Some(&r),
        None,
    );
    assert_eq!(v["hits"][0]["text"], "The bridge was closed for repairs.");
}

#[test]
fn review_page_saves_corrections_into_the_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, r, w, a) = setup(dir.path());
    let s = Server::start(&mem, &[]);
    let (st, al) = s.json(
        "POST",
        "/api/v1/alignments",
        Some(&w),
        Some(json!({"from": "en", "to": "ru", "title": "Harbour story",
            "source": "The harbour reopened. Ships came back on Monday.",
            "target": "Гавань снова открылась. Корабли вернулись в понедельник."})),
    );
    assert_eq!(st, 201, "{al}");
    assert_eq!(
        (
            al["source_segments"].as_u64(),
            al["target_segments"].as_u64()
        ),
        (Some(2), Some(2))
    );
    let review = al["review_url"].as_str().unwrap();
    let save = al["save_url"].as_str().unwrap();
    // The page needs its key, not a token (a browser sends none).
    let (st, page) = s.call("GET", review, None, None);
    assert_eq!(st, 200);
    assert!(
        page.contains("Harbour story") && page.contains(&save.replace('&', "&amp;"))
            || page.contains(save),
        "save URL in the page"
    );
    let wrong = review.replace("key=", "key=0");
    assert_eq!(s.call("GET", &wrong, None, None).0, 403);
    let before = unit_count(&mem);
    // Bad corrections: 400, nothing stored.
    let (st, _) = s.call(
        "POST",
        save,
        None,
        Some(br#"{"links":[{"src":[7],"tgt":[0]}]}"#),
    );
    assert_eq!(st, 400);
    assert_eq!(unit_count(&mem), before);
    // The translator edits the second target and saves.
    let corr = json!({"links": [{"src": [0], "tgt": [0]}, {"src": [1], "tgt": [1], "tgt_text": "Суда вернулись в понедельник."}]});
    let (st, v) = s.json("POST", save, None, Some(corr.clone()));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["new"], 2);
    let batch = v["batch"].as_i64().expect("the save names its batch");
    assert_eq!(unit_count(&mem), before + 2);
    let (_, v) = s.json(
        "POST",
        "/api/v1/lookup",
        Some(&r),
        Some(json!({"from": "en", "to": "ru", "text": "Ships came back on Monday."})),
    );
    assert_eq!(v["matches"][0]["target"], "Суда вернулись в понедельник.");
    // Saved once: a second save stores nothing and says where the first went.
    let (st, v) = s.json("POST", save, None, Some(corr));
    assert_eq!(st, 409, "{v}");
    assert_eq!(
        v["error"].as_str().unwrap(),
        format!("this review was already saved in batch {batch}")
    );
    assert_eq!(unit_count(&mem), before + 2);
    // The save is one batch: undoing it removes exactly the reviewed units.
    let (st, u) = s.json(
        "POST",
        "/api/v1/undo",
        Some(&a),
        Some(json!({"batch": batch})),
    );
    assert_eq!(st, 200, "{u}");
    assert_eq!(unit_count(&mem), before);
}

/// Submits the harbour pair under `title` for review; its save URL.
fn submit_review(s: &Server, w: &str, title: &str, second: &str) -> String {
    let (st, al) = s.json(
        "POST",
        "/api/v1/alignments",
        Some(w),
        Some(json!({"from": "en", "to": "ru", "title": title,
            "source": "The harbour reopened. Ships came back on Monday.",
            "target": format!("Гавань снова открылась. {second}")})),
    );
    assert_eq!(st, 201, "{al}");
    al["save_url"].as_str().unwrap().to_string()
}

#[test]
fn a_review_key_saves_once_under_concurrent_saves() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, _r, w, _a) = setup(dir.path());
    let s = Arc::new(Server::start(&mem, &[]));
    for round in 0..3 {
        let before = unit_count(&mem);
        let save = submit_review(
            &s,
            &w,
            &format!("Harbour {round}"),
            "Корабли вернулись в понедельник.",
        );
        // Eight saves of one key at once, each with its own correction.
        let answers: Vec<(u16, Value)> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..8)
                .map(|i| {
                    let (s, save) = (s.clone(), save.clone());
                    sc.spawn(move || {
                        let corr = json!({"links": [{"src": [0], "tgt": [0]},
                            {"src": [1], "tgt": [1], "tgt_text": format!("Суда вернулись {round}-{i}.")}]});
                        s.json("POST", &save, None, Some(corr))
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let ok: Vec<_> = answers.iter().filter(|(st, _)| *st == 200).collect();
        assert_eq!(ok.len(), 1, "exactly one save is stored: {answers:?}");
        for (st, v) in &answers {
            if *st != 200 {
                assert_eq!(*st, 409, "{v}");
                let e = v["error"].as_str().unwrap();
                assert!(
                    e.starts_with("this review was already saved in batch")
                        || e.contains("being saved"),
                    "{e}"
                );
            }
        }
        // The first link's unit is stored once over the rounds; the
        // corrected one each round.
        let new = ok[0].1["new"].as_u64().unwrap();
        assert_eq!(new, if round == 0 { 2 } else { 1 }, "{:?}", ok[0].1);
        assert_eq!(
            unit_count(&mem),
            before + new,
            "one correction stored, not several"
        );
    }
}

#[test]
fn a_reviewed_document_saved_again_replaces_its_earlier_units() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, r, w, _a) = setup(dir.path());
    let s = Server::start(&mem, &[]);
    let before = unit_count(&mem);
    let plain = json!({"links": [{"src": [0], "tgt": [0]}, {"src": [1], "tgt": [1]}]});
    let save = submit_review(&s, &w, "Harbour story", "Корабли вернулись в понедельник.");
    let (st, v) = s.json("POST", &save, None, Some(plain.clone()));
    assert_eq!((st, v["new"].as_u64()), (200, Some(2)), "{v}");
    // The same document, its translation revised, reviewed and saved again:
    // the revised unit replaces the earlier one, the unchanged one stays.
    let save = submit_review(&s, &w, "Harbour story", "Суда вернулись в понедельник.");
    let (st, v) = s.json("POST", &save, None, Some(plain));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["superseded"], 1, "{v}");
    assert_eq!(v["unchanged"], 1, "{v}");
    assert_eq!(unit_count(&mem), before + 2, "the units did not pile up");
    let (_, v) = s.json(
        "POST",
        "/api/v1/lookup",
        Some(&r),
        Some(json!({"from": "en", "to": "ru", "text": "Ships came back on Monday."})),
    );
    let m = v["matches"].as_array().unwrap();
    assert_eq!(m[0]["target"], "Суда вернулись в понедельник.", "{v}");
    assert!(
        m.iter()
            .all(|x| x["target"] != "Корабли вернулись в понедельник."),
        "the superseded translation is gone: {v}"
    );
}

#[test]
fn cli_client_works_the_same_against_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, r, w, _) = setup(dir.path());
    let s = Server::start(&mem, &[]);
    // No --memory: the server named in the environment is the memory, and
    // nothing local (the per-user default memory included) is created.
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let other = home.join("unused.sqlite");
    let client = |args: &[&str], tok: &str| {
        let mut c = util::bin();
        c.args(["--creator", "tester"])
            .args(args)
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("TRANSMEM_SERVER", &s.base)
            .env("TRANSMEM_TOKEN", tok);
        c
    };
    // lookup: same jsonl as against the file.
    let q = "The minister arrived in Kyiv on Tuesday.";
    // --server given as an option (the env var is set too: the option wins).
    let mut c = client(
        &[
            "lookup", "--from", "en", "--to", "ru", "--format", "jsonl", q,
        ],
        &r,
    );
    let remote = run_ok(c.arg("--server").arg(&s.base), 0);
    let local = run_ok(
        process(&mem).args([
            "lookup", "--from", "en", "--to", "ru", "--format", "jsonl", q,
        ]),
        0,
    );
    assert_eq!(text(&remote.stdout), text(&local.stdout));
    // lookup of stdin lines, table format.
    let mut c = client(&["lookup", "--from", "en", "--to", "ru"], &r);
    c.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Prices rose sharply in the capital.\nNothing like it at all here\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(
        t.contains("100.0%") && t.contains("Цены в столице резко выросли."),
        "{t}"
    );
    // import: into the server's memory, reported with where.
    let file = util::tsv(dir.path(), "remote", 5);
    let out = run_ok(
        &mut client(&["import", "--langs", "en,ru", file.to_str().unwrap()], &w),
        0,
    );
    assert!(
        text(&out.stderr).contains("stored 5 new units"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(unit_count(&mem), 9);
    assert!(!other.exists(), "the local memory is not touched");
    assert_eq!(
        std::fs::read_dir(&home).unwrap().count(),
        0,
        "nothing local is created"
    );
    // import with a read token: refused, exit 2, nothing stored.
    let out = run_ok(
        &mut client(&["import", "--langs", "en,ru", file.to_str().unwrap()], &r),
        2,
    );
    assert!(
        text(&out.stderr).contains("403") || text(&out.stderr).contains("may not"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(unit_count(&mem), 9);
    // export: byte for byte what the file gives.
    let remote = run_ok(
        &mut client(&["export", "--format", "tsv", "--langs", "en,ru"], &r),
        0,
    );
    let local = run_ok(
        process(&mem).args(["export", "--format", "tsv", "--langs", "en,ru"]),
        0,
    );
    assert_eq!(remote.stdout, local.stdout);
    let out_file = dir.path().join("out.tmx");
    run_ok(
        &mut client(&["export", "-o", out_file.to_str().unwrap()], &r),
        0,
    );
    assert!(std::fs::read_to_string(&out_file).unwrap().contains("<tmx"));
    // A wrong token: exit 2 with the server's reason.
    let out = run_ok(
        &mut client(&["lookup", "--from", "en", "--to", "ru", "Hello"], "nope"),
        2,
    );
    assert!(
        text(&out.stderr).contains("401") || text(&out.stderr).contains("token"),
        "{}",
        text(&out.stderr)
    );
    // No server there: exit 2, a clear message.
    let out = run_ok(
        util::bin().args([
            "lookup",
            "--server",
            "http://127.0.0.1:9",
            "--from",
            "en",
            "--to",
            "ru",
            "Hello",
        ]),
        2,
    );
    assert!(
        text(&out.stderr).contains("127.0.0.1:9"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_request_over_the_time_limit_gets_a_json_503() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, _, w, _) = setup(dir.path());
    let s = Server::start(&mem, &["--request-timeout", "1"]);
    let before = snapshot(&mem);
    // A body announced but never sent: the handler waits for it until the
    // time limit answers for it.
    let mut c = TcpStream::connect(&s.addr).unwrap();
    write!(
        c,
        "POST /api/v1/units HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {w}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{{\"units\": ["
    )
    .unwrap();
    let t0 = Instant::now();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut buf = [0u8; 4096];
    let n = c.read(&mut buf).unwrap();
    let resp = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(resp.starts_with("HTTP/1.1 503"), "{resp}");
    assert!(
        resp.contains("\"error\"") && resp.contains("longer than 1 s"),
        "{resp}"
    );
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert_eq!(snapshot(&mem), before);
}

#[test]
fn token_command_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, _, _, _) = setup(dir.path());
    let out = run_ok(process(&mem).args(["token", "revoke", "999"]), 2);
    assert!(
        text(&out.stderr).contains("no token #999"),
        "{}",
        text(&out.stderr)
    );
    run_ok(process(&mem).args(["token", "create", "--role", "root"]), 2);
    let list = text(&run_ok(process(&mem).args(["token", "list"]), 0).stdout);
    assert_eq!(list.lines().count(), 3, "{list}");
    // A listed token never shows its secret or hash.
    let secret = token(&mem, "read");
    let list = text(&run_ok(process(&mem).args(["token", "list"]), 0).stdout);
    assert!(!list.contains(&secret[..16]), "{list}");
}

/// `transmem --memory MEM token create --role ROLE --name NAME`.
fn named_token(mem: &Path, role: &str, name: &str) -> String {
    let out = run_ok(
        process(mem).args(["token", "create", "--role", role, "--name", name]),
        0,
    );
    text(&out.stdout).trim().to_string()
}

/// A request that must be refused: method, path, token, body, status.
type Refused<'a> = (&'a str, String, Option<&'a str>, Option<Value>, u16);

#[test]
fn maintenance_over_http_is_batched_refusals_change_nothing_and_undo_restores_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, r, _, a) = setup(dir.path());
    let w = named_token(&mem, "write", "editor");
    let s = Server::start(&mem, &["--max-body-bytes", "4000"]);
    let export = |s: &Server| s.call("GET", "/api/v1/export?format=tmx", Some(&r), None);
    let (st, before) = export(&s);
    assert_eq!(st, 200);
    let (_, h) = s.json("GET", "/api/v1/history", Some(&r), None);
    let first_new_batch = h["batches"].as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap()
        + 1;

    // Listing: the units filters, paginated, with a read token.
    let (st, v) = s.json(
        "GET",
        "/api/v1/units?lang=en,ru&match=(%3Fi)MINISTER",
        Some(&r),
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["units"][0]["id"], 1);
    let (_, all) = s.json("GET", "/api/v1/units?lang=en&limit=2", Some(&r), None);
    assert_eq!(all["total"], 4);
    assert_eq!(all["units"].as_array().unwrap().len(), 2);
    let (_, page2) = s.json(
        "GET",
        "/api/v1/units?lang=en&limit=2&offset=2",
        Some(&r),
        None,
    );
    let ids: Vec<i64> = page2["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [3, 4]);

    // Every refused request: a 4xx JSON error, and the memory unchanged.
    let big = "x".repeat(5000);
    let refused: Vec<Refused> = vec![
        (
            "GET",
            "/api/v1/units?match=(unclosed".into(),
            Some(&r),
            None,
            400,
        ),
        (
            "GET",
            "/api/v1/units?since=yesterday".into(),
            Some(&r),
            None,
            400,
        ),
        ("GET", "/api/v1/units?limit=0".into(), Some(&r), None, 400),
        (
            "PUT",
            "/api/v1/units/1".into(),
            Some(&r),
            Some(json!({"lang": "ru", "text": "Нет."})),
            403,
        ),
        (
            "PUT",
            "/api/v1/units/1".into(),
            None,
            Some(json!({"lang": "ru", "text": "Нет."})),
            401,
        ),
        (
            "PUT",
            "/api/v1/units/999".into(),
            Some(&w),
            Some(json!({"lang": "ru", "text": "Нет."})),
            404,
        ),
        (
            "PUT",
            "/api/v1/units/1".into(),
            Some(&w),
            Some(json!({"lang": "de", "text": "Nein."})),
            404,
        ),
        (
            "PUT",
            "/api/v1/units/1".into(),
            Some(&w),
            Some(json!({"lang": "ru", "text": "  "})),
            400,
        ),
        (
            "PUT",
            "/api/v1/units/1".into(),
            Some(&w),
            Some(json!({"lang": "ru", "text": big})),
            413,
        ),
        (
            "PATCH",
            "/api/v1/units/1".into(),
            Some(&w),
            Some(json!({"lang": "ru"})),
            400,
        ),
        ("DELETE", "/api/v1/units/999".into(), Some(&w), None, 404),
        ("DELETE", "/api/v1/units/1".into(), Some(&r), None, 403),
        (
            "POST",
            "/api/v1/units/delete".into(),
            Some(&w),
            Some(json!({"filter": {}})),
            400,
        ),
        (
            "POST",
            "/api/v1/units/delete".into(),
            Some(&w),
            Some(json!({"filter": {"match": "[a-"}})),
            400,
        ),
        (
            "POST",
            "/api/v1/units/delete".into(),
            Some(&r),
            Some(json!({"filter": {"ids": [1]}})),
            403,
        ),
        (
            "POST",
            "/api/v1/replace".into(),
            Some(&w),
            Some(json!({"lang": "en", "find": "(", "replace": "x"})),
            400,
        ),
        (
            "POST",
            "/api/v1/replace".into(),
            Some(&w),
            Some(json!({"lang": "en", "find": "^.*$", "replace": ""})),
            400,
        ),
        (
            "POST",
            "/api/v1/replace".into(),
            Some(&r),
            Some(json!({"lang": "en", "find": "a", "replace": "b"})),
            403,
        ),
        (
            "POST",
            "/api/v1/replace".into(),
            Some(&w),
            Some(json!({"lang": "en", "find": "a", "replace": big})),
            413,
        ),
        (
            "POST",
            "/api/v1/undo".into(),
            Some(&w),
            Some(json!({"batch": 1})),
            403,
        ),
        (
            "POST",
            "/api/v1/undo".into(),
            Some(&a),
            Some(json!({"batch": 999})),
            404,
        ),
        (
            "POST",
            "/api/v1/undo".into(),
            Some(&a),
            Some(json!({"batch": "one"})),
            400,
        ),
    ];
    let check_refused = |s: &Server| {
        for (method, path, tok, body, want) in &refused {
            let snap = snapshot(&mem);
            let (st, v) = s.json(method, path, *tok, body.clone());
            assert_eq!(st, *want, "{method} {path}: {v}");
            assert!(v["error"].is_string(), "{method} {path}: {v}");
            assert_eq!(snapshot(&mem), snap, "{method} {path} changed the memory");
        }
    };
    check_refused(&s);

    // Edit: one batch, with the token's name and the request.
    let (st, v) = s.json(
        "PUT",
        "/api/v1/units/1",
        Some(&w),
        Some(json!({"lang": "ru", "text": "Министр приехал в Киев в понедельник."})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["edited"], 1);
    assert_eq!(v["old"], "Министр прибыл в Киев в понедельник.");
    assert_eq!(v["unit"]["id"], 1);
    let edit_batch = v["batch"].as_i64().unwrap();
    assert_eq!(edit_batch, first_new_batch);
    let (_, u) = s.json("GET", "/api/v1/units/1", Some(&r), None);
    assert!(u.to_string().contains("Министр приехал"), "{u}");
    assert!(
        u.to_string().contains("The minister arrived in Kyiv"),
        "{u}"
    );
    let (_, h) = s.json("GET", "/api/v1/history?limit=1", Some(&r), None);
    let b = &h["batches"][0];
    assert_eq!(b["id"], edit_batch);
    assert_eq!(b["user"], "editor");
    assert!(
        b["command"]
            .as_str()
            .unwrap()
            .starts_with("PUT /api/v1/units/1 {"),
        "{b}"
    );
    assert_eq!(b["counts"]["edited"], 1, "{b}");
    // PATCH is the same operation; the same text again changes nothing.
    let (st, v) = s.json(
        "PATCH",
        "/api/v1/units/1",
        Some(&w),
        Some(json!({"lang": "ru", "text": "Министр приехал в Киев в понедельник."})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["edited"].as_i64(), v["batch"].is_null()),
        (Some(0), true)
    );

    // Replace: the dry run answers the diffs and writes nothing.
    let snap = snapshot(&mem);
    let rep = json!({"lang": "en", "find": "(?i)the (\\w+)", "replace": "A $1", "filter": {"langs": ["ru"]}, "dry_run": true});
    let (st, v) = s.json("POST", "/api/v1/replace", Some(&w), Some(rep.clone()));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["changed"], 3, "{v}");
    assert_eq!(
        v["changes"][0]["old"],
        "The minister arrived in Kyiv on Monday."
    );
    assert_eq!(
        v["changes"][0]["new"],
        "A minister arrived in Kyiv on Monday."
    );
    assert_eq!(snapshot(&mem), snap);
    let mut real = rep.clone();
    real["dry_run"] = json!(false);
    let (st, v) = s.json("POST", "/api/v1/replace", Some(&w), Some(real));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["changed"], 3);
    let replace_batch = v["batch"].as_i64().unwrap();
    let (_, h) = s.json("GET", "/api/v1/history?limit=1", Some(&r), None);
    assert_eq!(h["batches"][0]["id"], replace_batch);
    assert_eq!(h["batches"][0]["counts"]["edited"], 3);
    assert_eq!(h["batches"][0]["units"], 3);

    // An undo refused for a conflict (the replace changed unit 1 again)
    // changes nothing; its dry run with force names the conflict.
    let snap = snapshot(&mem);
    let (st, v) = s.json(
        "POST",
        "/api/v1/undo",
        Some(&a),
        Some(json!({"batch": edit_batch})),
    );
    assert_eq!(st, 409, "{v}");
    let (st, v) = s.json(
        "POST",
        "/api/v1/undo",
        Some(&a),
        Some(json!({"batch": edit_batch, "force": true, "dry_run": true})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["conflicts"], json!([replace_batch]));
    assert!(v["batch"].is_null());
    assert_eq!(snapshot(&mem), snap);

    // Delete by filter: above 100 units it needs confirm.
    let bulk: Vec<Value> = (0..120)
        .map(|i| json!({"variants": [{"lang": "en", "text": format!("Bulk line {i}.")}, {"lang": "ru", "text": format!("Строка {i}.")}], "origin": "bulk/a.tmx"}))
        .collect();
    let s2 = Server::start(&mem, &[]); // the bulk body is over the first server's limit
    let (st, v) = s2.json(
        "POST",
        "/api/v1/units",
        Some(&w),
        Some(json!({"units": bulk})),
    );
    assert_eq!(st, 201, "{v}");
    // Adding units is a batch named after the request and the token too.
    let (_, h) = s.json("GET", "/api/v1/history?limit=1", Some(&r), None);
    assert_eq!(h["batches"][0]["user"], "editor", "{h}");
    assert_eq!(h["batches"][0]["command"], "POST /api/v1/units (120 units)");
    assert_eq!(h["batches"][0]["counts"]["inserted"], 120);
    let del = json!({"filter": {"origin": "bulk/*"}});
    let snap = snapshot(&mem);
    let (st, v) = s.json("POST", "/api/v1/units/delete", Some(&w), Some(del.clone()));
    assert_eq!(st, 409, "{v}");
    assert!(v["error"].as_str().unwrap().contains("120 units"), "{v}");
    assert_eq!(snapshot(&mem), snap);
    let mut dry = del.clone();
    dry["dry_run"] = json!(true);
    let (st, v) = s.json("POST", "/api/v1/units/delete", Some(&w), Some(dry));
    assert_eq!((st, v["count"].as_i64()), (200, Some(120)), "{v}");
    assert_eq!(snapshot(&mem), snap);
    let mut yes = del.clone();
    yes["confirm"] = json!(true);
    let (st, v) = s.json("POST", "/api/v1/units/delete", Some(&w), Some(yes));
    assert_eq!((st, v["deleted"].as_i64()), (200, Some(120)), "{v}");
    assert_eq!(unit_count(&mem), 4);
    // One unit by id.
    let (st, v) = s.json("DELETE", "/api/v1/units/4", Some(&w), None);
    assert_eq!((st, v["deleted"].as_i64()), (200, Some(1)), "{v}");
    let (st, _) = s.json("GET", "/api/v1/units/4", Some(&r), None);
    assert_eq!(st, 404);
    check_refused(&s);

    // Undo every batch made here, newest first: the export is the one
    // taken before, byte for byte.
    let (_, h) = s.json("GET", "/api/v1/history?limit=10000", Some(&r), None);
    let mut mine: Vec<i64> = h["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .filter(|&b| b >= first_new_batch)
        .collect();
    mine.reverse();
    assert_eq!(mine.len(), 5, "{h}"); // edit, replace, bulk add, bulk delete, delete
    for b in mine {
        let (st, v) = s.json("POST", "/api/v1/undo", Some(&a), Some(json!({"batch": b})));
        assert_eq!(st, 200, "undo {b}: {v}");
        assert!(v["batch"].as_i64().unwrap() > b);
    }
    let (_, after) = export(&s);
    assert_eq!(after, before);
    // An undone batch cannot be undone twice.
    let (st, _) = s.json(
        "POST",
        "/api/v1/undo",
        Some(&a),
        Some(json!({"batch": edit_batch})),
    );
    assert_eq!(st, 409);
}

/// Two `serve` processes on one memory: a unit written through one is
/// found by the other's very next lookup (the brief asks for 1 s).
/// `write(server, en, ru)` stores one unit through `server` (or beside it).
fn two_servers_see_each_others_writes(a: &Server, b: &Server, write: impl Fn(&Server, &str, &str)) {
    let look = |s: &Server, text: &str| {
        let (st, v) = s.json(
            "POST",
            "/api/v1/lookup",
            None,
            Some(json!({"from": "en", "to": "ru", "text": text})),
        );
        assert_eq!(st, 200, "{v}");
        v["matches"].as_array().unwrap().clone()
    };
    // Both have loaded their matchers.
    assert!(look(a, "The ferry leaves at noon.").is_empty());
    assert!(look(b, "The ferry leaves at noon.").is_empty());
    for (i, (writer, reader)) in [(a, b), (b, a)].into_iter().enumerate() {
        let (en, ru) = [
            ("The ferry leaves at noon.", "Паром уходит в полдень."),
            (
                "The bridge closes at midnight.",
                "Мост закрывается в полночь.",
            ),
        ][i];
        write(writer, en, ru);
        // A batch lookup refreshes once per batch, a single one per lookup:
        // each must see the write when it is the first request after it.
        let batch = || {
            let (st, v) = reader.json(
                "POST",
                "/api/v1/lookup/batch",
                None,
                Some(json!({"from": "en", "to": "ru", "segments": ["Nothing like it.", en]})),
            );
            assert_eq!(st, 200, "{v}");
            assert_eq!(v["results"][1]["matches"][0]["target"], ru, "{v}");
        };
        let single = || {
            let t = Instant::now();
            let found = look(reader, en);
            let took = t.elapsed();
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0]["score"], 100.0);
            assert_eq!(found[0]["target"], ru);
            eprintln!("found through the other server in {took:?}");
        };
        if i == 0 {
            batch();
            single();
        } else {
            single();
            batch();
        }
    }
}

#[test]
fn a_unit_written_through_one_server_is_found_through_another() {
    let dir = tempfile::tempdir().unwrap();
    let (mem, _, w, _) = setup(dir.path());
    let a = Server::start(&mem, &["--anonymous-read"]);
    let b = Server::start(&mem, &["--anonymous-read"]);
    two_servers_see_each_others_writes(&a, &b, |writer, en, ru| {
        let (st, v) = writer.json(
            "POST",
            "/api/v1/units",
            Some(&w),
            Some(json!({"units": [{"variants": [{"lang": "en", "text": en}, {"lang": "ru", "text": ru}]}]})),
        );
        assert_eq!(st, 201, "{v}");
    });
}

#[test]
fn a_unit_written_through_one_server_is_found_through_another_on_postgresql() {
    let Some(base) = util::test_database("two servers on one PostgreSQL memory") else {
        return;
    };
    let (schema, tsv) = seeded_postgres(&base);
    let db = || util::db(&schema.url, &[]);
    let a = Server::start_with(db(), &["--anonymous-read"]);
    let b = Server::start_with(db(), &["--anonymous-read"]);
    // The PostgreSQL backend keeps no API tokens yet, so nothing can write
    // through its servers: a third process (the CLI) writes, and both
    // servers' next lookups must see it.
    two_servers_see_each_others_writes(&a, &b, |_, en, ru| {
        std::fs::write(tsv.path().join("new.tsv"), format!("{en}\t{ru}\n")).unwrap();
        run_ok(
            db().arg("import")
                .arg(tsv.path().join("new.tsv"))
                .args(["--langs", "en,ru"]),
            0,
        );
    });
}

/// A PostgreSQL memory of its own on the test server at `base`, holding
/// one unit imported from `seed.tsv` in the folder returned with it.
fn seeded_postgres(base: &str) -> (util::PgSchema, tempfile::TempDir) {
    let schema = util::PgSchema::new(base);
    let d = tempfile::tempdir().unwrap();
    let seed = d.path().join("seed.tsv");
    std::fs::write(
        &seed,
        "The harbour opens at dawn.\tГавань открывается на рассвете.\n",
    )
    .unwrap();
    run_ok(
        util::db(&schema.url, &["import", "--langs", "en,ru"]).arg(&seed),
        0,
    );
    (schema, d)
}

/// Issue 11's checks on PostgreSQL: tokens stored in the database, a request
/// without one refused, and 8 clients each writing 1,000 distinct units at
/// once through one server leave exactly 8,000 more, none twice.
#[test]
fn concurrent_writers_through_a_postgresql_server() {
    let Some(base) = util::test_database("concurrent writers through a PostgreSQL server") else {
        return;
    };
    let (schema, _seed) = seeded_postgres(&base);
    let db = || util::db(&schema.url, &[]);
    let token = |role: &str| {
        let out = run_ok(db().args(["token", "create", "--role", role]), 0);
        text(&out.stdout).trim().to_string()
    };
    let (r, w) = (token("read"), token("write"));
    let count = || -> u64 {
        let out = run_ok(db().args(["units", "--count"]), 0);
        text(&out.stdout).trim().parse().expect("a count")
    };
    let before = count();
    let s = Arc::new(Server::start_with(db(), &[]));
    // No token, a wrong one, and a read token writing: refused, nothing stored.
    let one = json!({"units": [{"variants": [{"lang": "en", "text": "Refused."}, {"lang": "ru", "text": "Отказано."}]}]});
    assert_eq!(
        s.json("POST", "/api/v1/units", None, Some(one.clone())).0,
        401
    );
    assert_eq!(
        s.json("POST", "/api/v1/units", Some("0123"), Some(one.clone()))
            .0,
        401
    );
    assert_eq!(s.json("POST", "/api/v1/units", Some(&r), Some(one)).0, 403);
    assert_eq!(count(), before);
    let threads: Vec<_> = (0..8)
        .map(|c| {
            let s = s.clone();
            let w = w.clone();
            std::thread::spawn(move || {
                for batch in 0..100 {
                    let units: Vec<Value> = (0..10)
                        .map(|k| {
                            let i = batch * 10 + k;
                            json!({"variants": [
                                {"lang": "en", "text": format!("Writer {c} sent line {i}.")},
                                {"lang": "ru", "text": format!("Автор {c} прислал строку {i}.")}]})
                        })
                        .collect();
                    let (st, v) = s.json(
                        "POST",
                        "/api/v1/units",
                        Some(&w),
                        Some(json!({"units": units})),
                    );
                    assert_eq!(st, 201, "{v}");
                    assert_eq!(v["new"], 10);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client thread");
    }
    assert_eq!(count(), before + 8000);
    // Every one found once: a lookup of the last line of each writer is 100.
    for c in 0..8 {
        let (st, v) = s.json(
            "POST",
            "/api/v1/lookup",
            Some(&r),
            Some(json!({"from": "en", "to": "ru", "text": format!("Writer {c} sent line 999.")})),
        );
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["matches"][0]["score"], 100.0, "{v}");
        assert_eq!(
            v["matches"][0]["target"],
            format!("Автор {c} прислал строку 999.")
        );
    }
}
