//! The shared test harness: fixtures, memories built from them, and the
//! `transmem` binary. Each test file includes it with `mod util;`; not every
//! file uses every helper.
#![allow(dead_code)] // reason: each test crate uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use transmem::memory::{Memory, OnDuplicate, Unit, Variant};

/// `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The `transmem` binary as a `std::process::Command` (for `spawn`), with
/// no memory from the environment and no colour.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_transmem"));
    c.env_remove("TRANSMEM_MEMORY")
        .env_remove("TRANSMEM_DATABASE")
        .env("NO_COLOR", "1");
    c
}

/// [`bin`] working on the memory at `mem`, recording "tester" as creator.
pub fn process(mem: &Path) -> Command {
    let mut c = bin();
    c.arg("--memory").arg(mem).args(["--creator", "tester"]);
    c
}

/// [`bin`] working on the PostgreSQL memory at `url`, recording "tester"
/// as creator, with `args` after the global options.
pub fn db(url: &str, args: &[&str]) -> Command {
    let mut c = bin();
    c.args(["--database", url, "--creator", "tester"])
        .args(args);
    c
}

/// [`bin`] as an `assert_cmd` command (for `.assert()` chains).
pub fn transmem() -> assert_cmd::Command {
    assert_cmd::Command::from_std(bin())
}

/// [`process`] as an `assert_cmd` command.
pub fn tm(mem: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(process(mem))
}

/// Runs `c` to its end.
pub fn run(c: &mut Command) -> Output {
    c.output().expect("run transmem")
}

/// Output bytes as text, for messages and assertions.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `c`, asserting exit code `code`; returns its output.
pub fn run_ok(c: &mut Command, code: i32) -> Output {
    let out = run(c);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// A unit with one variant per `(lang, text)`.
pub fn unit(variants: &[(&str, &str)]) -> Unit {
    Unit::new(variants.iter().map(|(l, t)| Variant::new(*l, *t)).collect())
}

/// Stores `units` in the memory at `path` (created if missing), one
/// transaction.
pub fn store(path: &Path, units: &[Unit]) {
    let mut mem = Memory::open(path).expect("open memory");
    let mut w = mem.writer().expect("writer");
    for u in units {
        w.insert(u, None, OnDuplicate::KeepBoth).expect("insert");
    }
    w.commit().expect("commit");
}

/// Units stored in the memory at `path`.
pub fn unit_count(path: &Path) -> u64 {
    Memory::open_existing(path)
        .expect("open memory")
        .unit_count()
        .expect("count")
}

/// Every unit of the memory at `path`, in id order.
pub fn units(path: &Path) -> Vec<Unit> {
    let m = Memory::open_existing(path).expect("open memory");
    let mut out = Vec::new();
    m.for_each_unit(|u| {
        out.push(u);
        Ok(())
    })
    .expect("read units");
    out
}

/// Writes a headerless en/ru TSV of `n` distinct pairs, each sentence tagged
/// with `tag` so two files never share a unit; returns its path.
pub fn tsv(dir: &Path, tag: &str, n: usize) -> PathBuf {
    use std::fmt::Write;
    let mut s = String::with_capacity(n * 64);
    for i in 0..n {
        let _ = writeln!(
            s,
            "Sentence {i} of batch {tag} about the harbour.\tПредложение {i} из пакета {tag} о гавани."
        );
    }
    let p = dir.join(format!("{tag}.tsv"));
    std::fs::write(&p, s).expect("write tsv");
    p
}

/// The PostgreSQL server tests may use: `TRANSMEM_TEST_DATABASE`
/// (`postgresql://postgres@127.0.0.1:5432/test` in CI). `None` when unset,
/// after saying on stderr that `what` was not run; a test then returns.
pub fn test_database(what: &str) -> Option<String> {
    match std::env::var("TRANSMEM_TEST_DATABASE") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            // Written to stderr directly, not through eprintln!, which the
            // test harness captures: `cargo test` shows it, once per test
            // binary.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "PostgreSQL half not run ({what}, and the rest of this file's): \
                     set TRANSMEM_TEST_DATABASE=postgresql://… to run it"
                );
            });
            None
        }
    }
}

/// A schema of its own in the test database, so tests run in parallel
/// without seeing each other's memories: a random name (the memory creates
/// it on first open), dropped with everything in it when this is dropped.
pub struct PgSchema {
    /// The test database's URL with this schema first in `search_path`.
    pub url: String,
    base: String,
    name: String,
}

impl PgSchema {
    /// A fresh schema name on the server at `base`.
    pub fn new(base: &str) -> PgSchema {
        use std::hash::{BuildHasher, Hasher};
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(N.fetch_add(1, Ordering::Relaxed));
        h.write_u32(std::process::id());
        let name = format!("tmtest_{:016x}", h.finish());
        let sep = if base.contains('?') { '&' } else { '?' };
        PgSchema {
            url: format!("{base}{sep}options=-csearch_path%3D{name}"),
            base: base.to_string(),
            name,
        }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        // Never panic here: this runs while a failed test unwinds, and a
        // panic in a destructor then aborts the test process (the client
        // runs tokio inside, which panics if its runtime cannot start).
        // A schema left behind is reported, not fatal.
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.drop_schema()));
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test schema {}: {e}", self.name),
            Err(_) => eprintln!(
                "could not drop test schema {}: the client panicked",
                self.name
            ),
        }
    }
}

impl PgSchema {
    fn drop_schema(&self) -> Result<(), postgres::Error> {
        // Test cleanup only: the one place outside the store that speaks
        // to the server directly, to drop what the test made, and the
        // matcher's cache files of that memory (named by its instance id).
        postgres::Client::connect(&self.base, postgres::NoTls).and_then(|mut c| {
            let instance = c
                .query_one(
                    &format!(
                        "SELECT value FROM {}.store_state WHERE key = 'instance'",
                        self.name
                    ),
                    &[],
                )
                .and_then(|r| r.try_get::<_, i64>(0));
            if let (Ok(i), Some(dir)) = (instance, pg_cache_dir()) {
                let prefix = format!("pg-{:016x}.", i as u64);
                for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                    if e.file_name().to_string_lossy().starts_with(&prefix) {
                        let _ = std::fs::remove_file(e.path());
                    }
                }
            }
            c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name))
        })
    }
}

/// Where a PostgreSQL memory's matcher cache lives (as the store chooses it).
fn pg_cache_dir() -> Option<PathBuf> {
    match std::env::var_os("TRANSMEM_CACHE_DIR").filter(|d| !d.is_empty()) {
        Some(d) => Some(PathBuf::from(d)),
        None => {
            directories::ProjectDirs::from("", "", "transmem").map(|d| d.cache_dir().to_path_buf())
        }
    }
}

/// A `transmem serve` started by [`spawn_server`]: the process, its
/// address (`127.0.0.1:PORT`) and its stderr lines as they arrive (read
/// on a thread of their own).
pub struct Spawned {
    /// The server process (the caller kills it).
    pub child: std::process::Child,
    /// `127.0.0.1:PORT`, read back from the server's startup line.
    pub addr: String,
    /// The server's stderr, a line each.
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// Runs `c serve --listen 127.0.0.1:0 EXTRA…` (`c`: a `transmem` command
/// with its memory options) and waits up to 60 s for its startup line.
pub fn spawn_server(mut c: Command, extra: &[&str]) -> Spawned {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut child = c
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start server");
    let stderr = child.stderr.take().expect("stderr");
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let l2 = log.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                let _ = tx.send(addr);
            }
            l2.lock().unwrap().push(line);
        }
    });
    let addr = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("server did not start: {:?}", log.lock().unwrap()));
    Spawned { child, addr, log }
}

/// An HTTP client for tests: every status is an answer (not an error), and
/// a request gives up after `secs` seconds.
pub fn agent(secs: u64) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(secs)))
        .build()
        .into()
}

/// A running `transmem serve` ([`spawn_server`]), killed on drop. Each test
/// file adds the requests it needs in an `impl Server` of its own.
pub struct Server {
    /// The server process.
    pub child: std::process::Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The server's stderr, a line each.
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// A client whose requests give up after the `secs` given to `spawn`.
    pub agent: ureq::Agent,
}

impl Server {
    /// Runs `c serve --listen 127.0.0.1:0 EXTRA…` (`c`: a `transmem`
    /// command with its memory options), with a client that waits `secs`.
    pub fn spawn(c: Command, extra: &[&str], secs: u64) -> Server {
        let Spawned { child, addr, log } = spawn_server(c, extra);
        Server {
            child,
            base: format!("http://{addr}"),
            addr,
            log,
            agent: agent(secs),
        }
    }

    /// The server's stderr so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Whether a log line starting with `prefix` arrives within 10 s: the
    /// server writes it before answering, but this process reads stderr on
    /// a thread of its own, so right after the answer it may not be here
    /// yet (`tokens_and_roles` failed so under load).
    pub fn logged(&self, prefix: &str) -> bool {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if self.log().iter().any(|l| l.starts_with(prefix)) {
                return true;
            }
            if std::time::Instant::now() > end {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM (the server then stops on its own).
    pub fn terminate(&self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
