//! `transmem serve` on PostgreSQL while its database connections are
//! killed (issue 23): every backend of the server's own database is ended
//! with `pg_terminate_backend`, again and again, while clients look up and
//! write. Every answer is a success or a 503; afterwards the memory holds
//! exactly the units whose writes were answered 201 (none half-applied,
//! none answered 503 and kept), and `/api/v1/health` is 200 again within
//! 2 s of the last kill, without a restart.
//!
//! PostgreSQL only: run when `TRANSMEM_TEST_DATABASE` is set (and said to
//! be skipped otherwise). The test makes a database of its own on that
//! server and ends only that database's sessions, never those of the
//! shared test database.

mod util;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use transmem::memory::Memory;
use util::{Server, run_ok, text};

/// A database of its own on the test server, dropped (its sessions ended
/// first) when this is dropped.
struct OwnDatabase {
    /// Its URL.
    url: String,
    /// The test server's URL (its `test` database): where it is made and
    /// dropped from, and where the killer's session lives.
    admin: String,
    name: String,
}

impl OwnDatabase {
    fn new(base: &str) -> OwnDatabase {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("tm_pg_{}_{nanos}", std::process::id());
        let (head, query) = match base.split_once('?') {
            Some((h, q)) => (h, format!("?{q}")),
            None => (base, String::new()),
        };
        let (server, _) = head.rsplit_once('/').expect("a database URL with a path");
        let mut c = postgres::Client::connect(base, postgres::NoTls).expect("connect to test db");
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create own database");
        OwnDatabase {
            url: format!("{server}/{name}{query}"),
            admin: base.to_string(),
            name,
        }
    }

    /// Ends every session of this database (the killer's own session is
    /// in the test database); returns how many.
    fn kill_sessions(&self, admin: &mut postgres::Client) -> i64 {
        admin
            .query_one(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
                 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&self.name],
            )
            .and_then(|r| r.try_get(0))
            .expect("terminate backends")
    }
}

impl Drop for OwnDatabase {
    fn drop(&mut self) {
        // Never panic here (this runs while a failed test unwinds).
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            postgres::Client::connect(&self.admin, postgres::NoTls).and_then(|mut c| {
                c.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
            })
        }));
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

/// The requests these tests make (the process itself: [`util::Server`]).
impl Server {
    fn start(c: std::process::Command) -> Server {
        Server::spawn(c, &[], 60)
    }

    /// One request with a JSON body (POST) or none (GET): status and body.
    fn json(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, String) {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {token}");
        let resp = match body {
            None if token.is_empty() => self.agent.get(&url).call(),
            None => self.agent.get(&url).header("Authorization", &auth).call(),
            Some(b) => {
                assert_eq!(method, "POST");
                self.agent
                    .post(&url)
                    .header("Authorization", &auth)
                    .header("Content-Type", "application/json")
                    .send(b.to_string().as_bytes())
            }
        };
        let mut resp = resp.unwrap_or_else(|e| {
            panic!(
                "{method} {path}: no answer ({e}); server log: {:?}",
                self.log.lock().unwrap()
            )
        });
        let status = resp.status().as_u16();
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        (status, body)
    }

    fn health(&self) -> (u16, String) {
        self.json("GET", "/api/v1/health", "", None)
    }
}

fn unit_json(en: &str, ru: &str) -> Value {
    json!({"units": [{"variants": [{"lang": "en", "text": en}, {"lang": "ru", "text": ru}]}]})
}

#[test]
fn server_survives_its_database_connections_being_killed() {
    let Some(base) = util::test_database("the PostgreSQL server's fault test") else {
        return;
    };
    let own = OwnDatabase::new(&base);
    let db = || util::db(&own.url, &[]);
    let out = run_ok(db().args(["token", "create", "--role", "write"]), 0);
    let token = text(&out.stdout).trim().to_string();
    let server = Arc::new(Server::start(db()));
    let seed = "The harbour opens at dawn.";
    let (st, body) = server.json(
        "POST",
        "/api/v1/units",
        &token,
        Some(unit_json(seed, "Гавань открывается на рассвете.")),
    );
    assert_eq!(st, 201, "{body}");
    assert_eq!(server.health().0, 200);

    let stop = Arc::new(AtomicBool::new(false));
    // text -> status of its one write.
    let writes: Arc<Mutex<BTreeMap<String, u16>>> = Arc::default();
    let reads: Arc<Mutex<BTreeMap<u16, u64>>> = Arc::default();
    let mut clients = Vec::new();
    for c in 0..4 {
        let (server, stop, writes, token) =
            (server.clone(), stop.clone(), writes.clone(), token.clone());
        clients.push(std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let en = format!("Writer {c} sent line {i} while the database went away.");
                let ru = format!("Автор {c} прислал строку {i}, пока база пропадала.");
                let (st, body) =
                    server.json("POST", "/api/v1/units", &token, Some(unit_json(&en, &ru)));
                assert!(st == 201 || st == 503, "write answered {st}: {body}");
                writes.lock().unwrap().insert(en, st);
                i += 1;
            }
        }));
    }
    for r in 0..2 {
        let (server, stop, reads, token) =
            (server.clone(), stop.clone(), reads.clone(), token.clone());
        clients.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let (st, body) = if r == 0 {
                    server.json(
                        "POST",
                        "/api/v1/lookup",
                        &token,
                        Some(
                            json!({"from": "en", "to": "ru", "text": "The harbour opens at noon."}),
                        ),
                    )
                } else {
                    server.health()
                };
                assert!(st == 200 || st == 503, "read answered {st}: {body}");
                if st == 200 && r == 0 {
                    let v: Value = serde_json::from_str(&body).expect("JSON");
                    assert_eq!(v["matches"][0]["source"], seed, "{v}");
                }
                *reads.lock().unwrap().entry(st).or_default() += 1;
            }
        }));
    }

    // Kill every session of the server's database, 25 times, 150 ms apart.
    let mut admin = postgres::Client::connect(&own.admin, postgres::NoTls).expect("admin");
    let mut killed = 0;
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..25 {
        killed += own.kill_sessions(&mut admin);
        std::thread::sleep(Duration::from_millis(150));
    }
    let last_kill = Instant::now();
    // Health comes back by itself, within 2 s.
    let back = loop {
        let (st, body) = server.health();
        if st == 200 {
            break last_kill.elapsed();
        }
        assert_eq!(st, 503, "{body}");
        assert!(
            last_kill.elapsed() < Duration::from_secs(2),
            "health still {st} 2 s after the last kill: {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join()
            .expect("a client saw an answer other than 2xx or 503");
    }
    let writes = writes.lock().unwrap().clone();
    let reads = reads.lock().unwrap().clone();
    let ok: BTreeSet<&String> = writes
        .iter()
        .filter(|(_, st)| **st == 201)
        .map(|(t, _)| t)
        .collect();
    let refused = writes.len() - ok.len();
    eprintln!(
        "{killed} sessions killed; {} writes: {} stored, {refused} answered 503; \
         reads by status {reads:?}; health 200 again {back:?} after the last kill",
        writes.len(),
        ok.len()
    );
    // Each round finds the sessions the server opened since the last one.
    assert!(killed >= 10, "the kills hit almost no session ({killed})");
    assert!(!ok.is_empty(), "no write went through");

    // The database refuses connections for a while (as while it restarts):
    // health says 503 with the reason, a write is 503 and stores nothing;
    // once it accepts them again, health is 200 within 2 s.
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {} WITH ALLOW_CONNECTIONS false",
            own.name
        ))
        .expect("refuse connections");
    own.kill_sessions(&mut admin);
    let (st, body) = server.health();
    assert_eq!(st, 503, "{body}");
    assert!(body.contains("unavailable"), "{body}");
    let refused_text = "Written while the database refused connections.";
    let (st, body) = server.json(
        "POST",
        "/api/v1/units",
        &token,
        Some(unit_json(refused_text, "Записано, пока база не принимала.")),
    );
    assert_eq!(st, 503, "{body}");
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {} WITH ALLOW_CONNECTIONS true",
            own.name
        ))
        .expect("accept connections");
    let reopened = Instant::now();
    loop {
        let (st, body) = server.health();
        if st == 200 {
            break;
        }
        assert_eq!(st, 503, "{body}");
        assert!(
            reopened.elapsed() < Duration::from_secs(2),
            "health still {st} 2 s after the database came back: {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "health 200 again {:?} after the database accepted connections again",
        reopened.elapsed()
    );
    drop(server);

    // Exactly the writes answered 201 are stored, each once and whole.
    let mem = Memory::open_database_existing(&own.url).expect("open memory");
    let mut stored: BTreeMap<String, usize> = BTreeMap::new();
    mem.for_each_unit(|u| {
        assert_eq!(u.variants.len(), 2, "half a unit: {u:?}");
        let en = u.variants.iter().find(|v| v.lang == "en").expect("en");
        *stored.entry(en.text.clone()).or_default() += 1;
        Ok(())
    })
    .expect("read units");
    assert_eq!(stored.remove(seed), Some(1));
    assert_eq!(
        stored.remove(refused_text),
        None,
        "a write answered 503 was stored"
    );
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored twice: {twice:?}");
    let stored: BTreeSet<&String> = stored.keys().collect();
    let lost: Vec<_> = ok.difference(&stored).collect();
    let kept_503: Vec<_> = stored.difference(&ok).collect();
    assert!(lost.is_empty(), "answered 201 but not stored: {lost:?}");
    assert!(kept_503.is_empty(), "answered 503 but stored: {kept_503:?}");
    // One batch per write answered 201 (and the seed): none half-recorded.
    assert_eq!(mem.batches().expect("batches").len(), ok.len() + 1);
    drop(mem);
}
