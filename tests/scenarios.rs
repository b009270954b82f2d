//! Every command that reads or writes a memory, run the same way against
//! the three kinds of location: a file, PostgreSQL (its own schema in
//! `TRANSMEM_TEST_DATABASE`; not run when that is unset) and a
//! `transmem serve` started here on a free port, named by the one
//! `--memory LOCATION` option. Each step's exit code, standard output and
//! standard error must agree across the three once the location and the
//! clock are written the same way; after each write the three memories
//! must hold the same units; and nothing is ever written to a local file
//! when a server is named (HOME points at an empty folder that must stay
//! empty). Parameterised as `tests/store_conformance.rs` runs the store on
//! each backend.

mod util;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use transmem::memory::Memory;
use transmem::model::Unit;
use util::{Server, bin, fixture, text};

/// A `transmem serve` on its own memory file ([`util::Server`]).
impl Server {
    fn start(mem: &Path) -> Server {
        let mut c = bin();
        c.arg("--memory").arg(mem);
        Server::spawn(c, &[], 120)
    }

    /// Requests the server logged (one line each), for counting.
    fn requests(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(" /api/v1/"))
            .cloned()
            .collect()
    }
}

/// Where a place's memory is.
enum Kind {
    File(PathBuf),
    Postgres(util::PgSchema),
    Server(Server, PathBuf, String),
}

/// One location with its own working folder (the same input files in
/// each) and its own empty HOME.
struct Place {
    name: &'static str,
    dir: tempfile::TempDir,
    kind: Kind,
}

/// What one run gave.
#[derive(Debug)]
struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

const INPUTS: &[(&str, &str)] = &[
    ("harbour.en.txt", "cli/harbour.en.txt"),
    ("harbour.ru.txt", "cli/harbour.ru.txt"),
    ("good.tmx", "tmx/good.tmx"),
    ("omegat.xlf", "xliff/omegat.xlf"),
];

const PAIRS: &str = "The storm closed the port on Monday.\tШторм закрыл порт в понедельник.\n\
The ferry can carry 250 passengers and 40 cars.\tПаром берёт 250 пассажиров и 40 машин.\n\
Tickets are sold at the pier.\tБилеты продаются на причале.\n\
Tickets are sold at the pier.\tБилеты продаются на причале.\n";

const NEW_ARTICLE: &str = "A new ferry line between Vladivostok and Russky Island opened on Saturday. \
The ferry can carry 300 passengers and 40 cars.\n\n\
Tickets will cost 150 roubles. Children under seven will travel free of charge.\n\n\
The zebra crossing near the pier was painted again.\n";

impl Place {
    fn new(name: &'static str, kind: impl FnOnce(&Path) -> Kind) -> Place {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        for (to, from) in INPUTS {
            std::fs::copy(fixture(from), dir.path().join(to)).unwrap();
        }
        std::fs::write(dir.path().join("pairs.tsv"), PAIRS).unwrap();
        std::fs::write(dir.path().join("new.en.txt"), NEW_ARTICLE).unwrap();
        let kind = kind(dir.path());
        Place { name, dir, kind }
    }

    /// The location as given on the command line.
    fn location(&self) -> String {
        match &self.kind {
            Kind::File(p) => p.display().to_string(),
            Kind::Postgres(s) => s.url.clone(),
            Kind::Server(s, ..) => s.base.clone(),
        }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// `transmem --memory LOCATION --creator tester ARGS` in this place's
    /// folder, HOME emptied, the server's token in the environment.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = bin();
        c.current_dir(self.dir.path())
            .env("HOME", self.home())
            .env("XDG_DATA_HOME", self.home().join("data"))
            .env("XDG_CACHE_HOME", self.home().join("cache"))
            .env_remove("TRANSMEM_SERVER")
            .env_remove("TRANSMEM_TOKEN")
            .args(["--memory", &self.location(), "--creator", "tester"])
            .args(args);
        if let Kind::Postgres(_) = &self.kind {
            // The PostgreSQL memory's match index cache, kept out of HOME.
            c.env("TRANSMEM_CACHE_DIR", self.dir.path().join("pg-cache"));
        }
        if let Kind::Server(_, _, token) = &self.kind {
            c.env("TRANSMEM_TOKEN", token);
        }
        c
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Out {
        let mut c = self.cmd(args);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("run transmem");
        let input = stdin.unwrap_or("").to_string();
        let mut pipe = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        Out {
            code: out.status.code(),
            stdout: text(&out.stdout),
            stderr: text(&out.stderr),
        }
    }

    /// The memory itself, opened directly.
    fn memory(&self) -> Memory {
        match &self.kind {
            Kind::File(p) => Memory::open_existing(p).unwrap(),
            Kind::Postgres(s) => Memory::open_database_existing(&s.url).unwrap(),
            Kind::Server(_, p, _) => Memory::open_existing(p).unwrap(),
        }
    }

    /// Every unit, with the clock left out.
    fn units(&self) -> Vec<Unit> {
        let mut out = Vec::new();
        self.memory()
            .for_each_unit(|mut u| {
                u.created = None;
                u.changed = None;
                out.push(u);
                Ok(())
            })
            .unwrap();
        out
    }

    /// `s` with this place's location written `LOC`, timestamps `TS`, and
    /// what only a local memory says (building its match index) or shows
    /// (a file's size) left out.
    fn norm(&self, s: &str) -> String {
        let ts = regex::Regex::new(r"\d{8}T\d{6}Z|\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ").unwrap();
        let bytes = regex::Regex::new(r#""bytes":\d+"#).unwrap();
        let secret = regex::Regex::new(r"\b[0-9a-f]{64}\b").unwrap();
        let mut s = s.replace(&self.location(), "LOC");
        if let Kind::File(p) = &self.kind {
            s = s.replace(
                &std::path::absolute(p).unwrap().display().to_string(),
                "LOC",
            );
        }
        let s = ts.replace_all(&s, "TS");
        let s = bytes.replace_all(&s, r#""bytes":N"#);
        let s = secret.replace_all(&s, "SECRET");
        s.lines()
            .filter(|l| {
                !l.starts_with("transmem: building the ")
                    && !l.starts_with("transmem: fetched the ")
                    && !l.contains(" match index ready: ")
                    && !l.starts_with("size    ")
            })
            .map(|l| format!("{l}\n"))
            .collect()
    }
}

/// The places: a file, PostgreSQL when `TRANSMEM_TEST_DATABASE` is set,
/// and a server over a file of its own. Each starts with one admin token
/// named `tester` (so the server records the same user as `--creator`).
fn places() -> Vec<Place> {
    let mut v = Vec::new();
    let token = |p: &Place| {
        let out = p.run(
            &["token", "create", "--role", "admin", "--name", "tester"],
            None,
        );
        assert_eq!(out.code, Some(0), "{}: {}", p.name, out.stderr);
    };
    let file = Place::new("file", |d| Kind::File(d.join("m.sqlite")));
    token(&file);
    v.push(file);
    if let Some(base) = util::test_database("tests/scenarios.rs on PostgreSQL") {
        let pg = Place::new("postgresql", |_| Kind::Postgres(util::PgSchema::new(&base)));
        token(&pg);
        v.push(pg);
    }
    let server = Place::new("server", |d| {
        let mem = d.join("served.sqlite");
        let out = util::run(
            bin()
                .arg("--memory")
                .arg(&mem)
                .args(["token", "create", "--role", "admin", "--name", "tester"]),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let token = text(&out.stdout).trim().to_string();
        Kind::Server(Server::start(&mem), mem, token)
    });
    v.push(server);
    v
}

/// Runs `args` (with `stdin`) in every place; asserts the exit code is
/// `code` everywhere and the normalised outputs agree; returns the outputs.
fn same(places: &[Place], args: &[&str], stdin: Option<&str>, code: i32) -> Vec<Out> {
    let outs: Vec<Out> = places.iter().map(|p| p.run(args, stdin)).collect();
    let first = &places[0];
    for (p, o) in places.iter().zip(&outs) {
        assert_eq!(
            o.code,
            Some(code),
            "{args:?} on {}: stdout {}\nstderr {}",
            p.name,
            o.stdout,
            o.stderr
        );
        assert_eq!(
            p.norm(&o.stdout),
            first.norm(&outs[0].stdout),
            "{args:?}: stdout on {} differs from {}",
            p.name,
            first.name
        );
        assert_eq!(
            p.norm(&o.stderr),
            first.norm(&outs[0].stderr),
            "{args:?}: stderr on {} differs from {}",
            p.name,
            first.name
        );
    }
    outs
}

/// The three memories hold the same units.
fn same_memory(places: &[Place], after: &str) {
    let first = places[0].units();
    assert!(!first.is_empty() || after == "start", "{after}");
    for p in &places[1..] {
        assert_eq!(p.units(), first, "after {after}: {} differs", p.name);
    }
}

/// Every place's HOME is still empty: nothing local was created.
fn nothing_local(places: &[Place]) {
    for p in places {
        let left: Vec<_> = walk(&p.home());
        assert!(left.is_empty(), "{}: files under HOME: {left:?}", p.name);
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The batch a write's stderr names.
fn batch_of(o: &Out) -> String {
    o.stderr
        .split("recorded as batch ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no batch in {}", o.stderr))
        .to_string()
}

#[test]
fn every_command_works_the_same_on_a_file_postgresql_and_a_server() {
    let places = places();
    let p = places.as_slice();
    // An empty memory.
    same(p, &["stats"], None, 0);
    let o = same(
        p,
        &["lookup", "--from", "en", "--to", "ru", "Hello there."],
        None,
        2,
    );
    assert!(o[0].stderr.contains("holds no en text"), "{}", o[0].stderr);
    same(p, &["history"], None, 1);

    // Writes: import (three formats, one batch), align --store.
    let o = same(
        p,
        &[
            "import",
            "--langs",
            "en,ru",
            "pairs.tsv",
            "good.tmx",
            "omegat.xlf",
        ],
        None,
        0,
    );
    assert!(
        o[0].stderr
            .contains("pairs.tsv: 4 units read, 3 new, 1 duplicate"),
        "{}",
        o[0].stderr
    );
    same_memory(p, "import");
    let o = same(
        p,
        &[
            "align",
            "--from",
            "en",
            "--to",
            "ru",
            "--store",
            "harbour.en.txt",
            "harbour.ru.txt",
        ],
        None,
        0,
    );
    assert!(
        o[0].stderr.contains("stored 7 new units"),
        "{}",
        o[0].stderr
    );
    same_memory(p, "align --store");
    // A failed import stores nothing anywhere (one transaction; a server
    // gets no end line).
    for pl in p {
        std::fs::write(
            pl.dir.path().join("bad.tmx"),
            "<tmx version=\"1.4\"><header srclang=\"en\"/><body>\
             <tu><tuv xml:lang=\"en\"><seg>Fine.</seg></tuv><tuv xml:lang=\"ru\"><seg>Хорошо.</seg></tuv></tu>\
             <tu><tuv xml:lang=\"en\"><seg>Broken",
        )
        .unwrap();
    }
    let o = same(
        p,
        &["import", "pairs.tsv", "--langs", "en,ru", "bad.tmx"],
        None,
        2,
    );
    assert!(o[0].stderr.contains("bad.tmx"), "{}", o[0].stderr);
    same_memory(p, "a failed import");

    // Reading.
    same(p, &["stats"], None, 0);
    same(p, &["stats", "--format", "json"], None, 0);
    same(
        p,
        &[
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "The ferry can carry 300 passengers and 40 cars.",
        ],
        None,
        0,
    );
    same(
        p,
        &[
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "jsonl",
            "--context",
        ],
        Some(
            "New ferry line opens in Vladivostok\n\nThe ferry can carry 250 passengers and 40 cars.\n42\n",
        ),
        0,
    );
    same(
        p,
        &[
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "Zebras graze quietly.",
        ],
        None,
        1,
    );
    same(
        p,
        &[
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "--penalty",
            "origin:pairs.tsv=7",
            "--origin",
            "*.t*",
            "--limit",
            "3",
            "--threshold",
            "50",
            "The ferry can carry 250 passengers and 40 cars.",
        ],
        None,
        0,
    );
    same(
        p,
        &[
            "lookup",
            "--from",
            "en",
            "--to",
            "ru",
            "--penalty-number",
            "3",
            "The ferry can carry 300 passengers and 40 cars.",
        ],
        None,
        0,
    );
    same(p, &["concordance", "--lang", "en", "ferry"], None, 0);
    same(
        p,
        &[
            "concordance",
            "--lang",
            "en",
            "--format",
            "jsonl",
            "tickets",
        ],
        None,
        0,
    );
    same(p, &["concordance", "--lang", "en", "zebra"], None, 1);
    for format in ["table", "json", "csv"] {
        same(
            p,
            &[
                "analyze",
                "--from",
                "en",
                "--to",
                "ru",
                "--format",
                format,
                "new.en.txt",
                "harbour.en.txt",
            ],
            None,
            0,
        );
    }
    same(
        p,
        &[
            "analyze",
            "--from",
            "en",
            "--to",
            "ru",
            "--bands",
            "100,90,60",
            "new.en.txt",
        ],
        None,
        0,
    );
    same(
        p,
        &[
            "pretranslate",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "tsv",
            "new.en.txt",
        ],
        None,
        0,
    );
    same(
        p,
        &[
            "pretranslate",
            "--from",
            "en",
            "--to",
            "ru",
            "new.en.txt",
            "-o",
            "draft.xlf",
        ],
        None,
        0,
    );
    let draft = |pl: &Place| std::fs::read_to_string(pl.dir.path().join("draft.xlf")).unwrap();
    for pl in &p[1..] {
        assert_eq!(draft(pl), draft(&p[0]), "draft on {}", pl.name);
    }
    same(p, &["export"], None, 0);
    same(
        p,
        &[
            "export",
            "--format",
            "tsv",
            "--langs",
            "en,ru",
            "--columns",
            "origin,creator,context",
        ],
        None,
        0,
    );
    same(
        p,
        &["export", "--format", "csv", "--bom", "-o", "out.csv"],
        None,
        0,
    );
    let csv = |pl: &Place| std::fs::read(pl.dir.path().join("out.csv")).unwrap();
    for pl in &p[1..] {
        assert_eq!(csv(pl), csv(&p[0]), "export -o on {}", pl.name);
    }
    same(p, &["units", "--lang", "ru"], None, 0);
    same(
        p,
        &["units", "--origin", "harbour*", "--format", "jsonl"],
        None,
        0,
    );
    same(
        p,
        &["units", "--match", "(?i)ticket", "--format", "tsv"],
        None,
        0,
    );
    same(p, &["units", "--count", "--lang", "en"], None, 0);
    same(p, &["units", "--match", "zebra"], None, 1);

    // Maintenance: each write one batch, the same batch everywhere.
    same(
        p,
        &[
            "edit",
            "2",
            "--lang",
            "ru",
            "--text",
            "Паром берёт 250 человек.",
            "--dry-run",
        ],
        None,
        0,
    );
    let o = same(
        p,
        &[
            "edit",
            "2",
            "--lang",
            "ru",
            "--text",
            "Паром берёт 250 человек.",
        ],
        None,
        0,
    );
    let edit_batch = batch_of(&o[0]);
    same_memory(p, "edit");
    same(
        p,
        &[
            "edit",
            "2",
            "--lang",
            "ru",
            "--text",
            "Паром берёт 250 человек.",
        ],
        None,
        0,
    );
    let o = same(p, &["edit", "999", "--lang", "ru", "--text", "x"], None, 2);
    assert!(o[0].stderr.contains("no unit 999 in"), "{}", o[0].stderr);
    same(p, &["edit", "2", "--lang", "de", "--text", "x"], None, 2);
    same(
        p,
        &[
            "replace",
            "--lang",
            "ru",
            "--find",
            "(?i)билеты",
            "--replace",
            "Билетики",
            "--dry-run",
        ],
        None,
        0,
    );
    same(
        p,
        &[
            "replace",
            "--lang",
            "ru",
            "--find",
            "(?i)билеты",
            "--replace",
            "Билетики",
        ],
        None,
        0,
    );
    same_memory(p, "replace");
    same(
        p,
        &[
            "replace",
            "--lang",
            "ru",
            "--find",
            "zebra",
            "--replace",
            "x",
        ],
        None,
        1,
    );
    same(p, &["delete", "3", "--dry-run"], None, 0);
    same(p, &["delete", "3"], None, 0);
    same_memory(p, "delete");
    same(p, &["delete", "999"], None, 1);
    same(p, &["delete", "--origin", "nothing-*"], None, 1);
    let o = same(p, &["undo", edit_batch.as_str()], None, 0);
    assert!(o[0].stderr.contains("1 restored"), "{}", o[0].stderr);
    same_memory(p, "undo");
    same(p, &["undo", edit_batch.as_str(), "--dry-run"], None, 2);
    // dedupe: "Tickets are sold at the pier." twice is an exact duplicate;
    // a second translation of a source makes a conflict.
    for pl in p {
        std::fs::write(
            pl.dir.path().join("conflict.tsv"),
            "The storm closed the port on Monday.\tВ понедельник шторм закрыл порт.\n",
        )
        .unwrap();
    }
    same(p, &["import", "--langs", "en,ru", "conflict.tsv"], None, 0);
    // Made identical to the first translation of its source: an exact
    // duplicate (the other conflict, the ferry's, stays).
    let last = p[0].units().last().and_then(|u| u.id).unwrap().to_string();
    same(
        p,
        &[
            "edit",
            &last,
            "--lang",
            "ru",
            "--text",
            "Шторм закрыл порт в понедельник.",
        ],
        None,
        0,
    );
    same(
        p,
        &["dedupe", "--from", "en", "--to", "ru", "--dry-run"],
        None,
        0,
    );
    let o = same(
        p,
        &[
            "dedupe",
            "--from",
            "en",
            "--to",
            "ru",
            "--conflicts",
            "keep-newest",
        ],
        None,
        0,
    );
    assert!(
        o[0].stderr.contains("merged away 1 duplicate unit"),
        "{}",
        o[0].stderr
    );
    same_memory(p, "dedupe");
    same(p, &["dedupe", "--from", "en", "--to", "ru"], None, 0);

    // The history: the same batches, commands, counts and users (a
    // server records the client's command line, and the token's name as
    // user: `tester` here, as --creator says locally).
    let o = same(p, &["history", "--last", "2", "--format", "jsonl"], None, 0);
    same(p, &["history"], None, 0);
    let hist = |pl: &Place| -> Vec<serde_json::Value> {
        let out = pl.run(&["history", "--format", "jsonl"], None);
        assert_eq!(out.code, Some(0));
        out.stdout
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["time"] = "TS".into();
                let c = v["command"].as_str().unwrap_or("").to_string();
                v["command"] = pl.norm(&c).into();
                v
            })
            .collect()
    };
    assert!(o[0].stdout.lines().count() == 2);
    let h0 = hist(&p[0]);
    assert_eq!(h0.len(), 9, "{h0:?}");
    assert!(h0.iter().all(|b| b["user"] == "tester"), "{h0:?}");
    for pl in &p[1..] {
        assert_eq!(hist(pl), h0, "history on {}", pl.name);
    }

    // Token administration (an admin token; only hashes are stored).
    same(p, &["token", "list"], None, 0);
    let o = same(
        p,
        &["token", "create", "--role", "read", "--name", "bot"],
        None,
        0,
    );
    assert!(o[0].stdout.trim().len() == 64);
    same(p, &["token", "list"], None, 0);
    same(p, &["token", "revoke", "2"], None, 0);
    same(p, &["token", "revoke", "2"], None, 2);
    same(p, &["token", "list"], None, 0);

    same(p, &["export", "--format", "tmx"], None, 0);
    same(p, &["stats"], None, 0);
    nothing_local(p);
}

#[test]
fn what_cannot_run_on_a_location_exits_2_and_says_why() {
    let places = places();
    let server = places.last().unwrap();
    for pl in &places {
        let o = pl.run(&["import", "--langs", "en,ru", "pairs.tsv"], None);
        assert_eq!(o.code, Some(0), "{}", o.stderr);
    }
    // Scoring every stored segment is the file's or database's job.
    let o = server.run(
        &[
            "lookup",
            "--exhaustive",
            "--from",
            "en",
            "--to",
            "ru",
            "The storm closed the port.",
        ],
        None,
    );
    assert_eq!(o.code, Some(2));
    assert!(
        o.stderr.contains("--exhaustive") && o.stderr.contains(&server.location()),
        "{}",
        o.stderr
    );
    let local = places[0].run(
        &[
            "lookup",
            "--exhaustive",
            "--from",
            "en",
            "--to",
            "ru",
            "The storm closed the port.",
        ],
        None,
    );
    assert_eq!(local.code, Some(0), "{}", local.stderr);
    // A server is not a memory to serve.
    let o = server.run(&["serve", "--listen", "127.0.0.1:0"], None);
    assert_eq!(o.code, Some(2));
    assert!(o.stderr.contains("is a transmem server"), "{}", o.stderr);
    // A read token may not write: refused before anything is sent, and
    // nothing stored.
    let Kind::Server(_, mem, _) = &server.kind else {
        unreachable!()
    };
    let out = util::run(
        bin()
            .arg("--memory")
            .arg(mem)
            .args(["token", "create", "--role", "read"]),
    );
    let read = text(&out.stdout).trim().to_string();
    let before = server.units().len();
    for args in [
        &[
            "align",
            "--from",
            "en",
            "--to",
            "ru",
            "--store",
            "harbour.en.txt",
            "harbour.ru.txt",
        ][..],
        &["edit", "1", "--lang", "ru", "--text", "Нет."],
        &["token", "list"],
    ] {
        let o = {
            let mut c = server.cmd(args);
            c.env("TRANSMEM_TOKEN", &read);
            util::run(&mut c)
        };
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            text(&o.stderr).contains("403"),
            "{args:?}: {}",
            text(&o.stderr)
        );
    }
    assert_eq!(server.units().len(), before);
    // No server there: a clear error naming it, and no local fallback.
    let o = util::run(
        bin()
            .current_dir(server.dir.path())
            .env("HOME", server.home())
            .env("XDG_DATA_HOME", server.home().join("data"))
            .args(["--memory", "http://127.0.0.1:9", "stats"]),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("server http://127.0.0.1:9"),
        "{}",
        text(&o.stderr)
    );
    nothing_local(&places);
}

/// Issue 24's reproduction: with `TRANSMEM_SERVER` (and then
/// `TRANSMEM_MEMORY=http://…`) set, `align --store` stores on the server,
/// in one request, and `analyze` analyses against it; no local file is
/// created.
#[test]
fn the_issue_reproduction_stores_on_the_server_and_analyses_against_it() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    for (to, from) in INPUTS {
        std::fs::copy(fixture(from), dir.path().join(to)).unwrap();
    }
    let served = dir.path().join("team.sqlite");
    let out = util::run(
        bin()
            .arg("--memory")
            .arg(&served)
            .args(["token", "create", "--role", "write", "--name", "ann"]),
    );
    let token = text(&out.stdout).trim().to_string();
    let server = Server::start(&served);
    for var in ["TRANSMEM_SERVER", "TRANSMEM_MEMORY"] {
        let client = |args: &[&str]| {
            let mut c = bin();
            c.current_dir(dir.path())
                .env("HOME", &home)
                .env("XDG_DATA_HOME", home.join("data"))
                .env("XDG_CACHE_HOME", home.join("cache"))
                .env(var, &server.base)
                .env("TRANSMEM_TOKEN", &token)
                .args(args);
            util::run(&mut c)
        };
        let before = server.requests().len();
        let out = client(&[
            "align",
            "--from",
            "en",
            "--to",
            "ru",
            "--store",
            "harbour.en.txt",
            "harbour.ru.txt",
        ]);
        assert_eq!(out.status.code(), Some(0), "{var}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("in {}", server.base)) && err.contains(" new unit"),
            "{var}: {err}"
        );
        // One request carried the whole alignment.
        let sent: Vec<String> = server.requests()[before..].to_vec();
        assert_eq!(sent.len(), 1, "{var}: {sent:?}");
        assert!(
            sent[0].contains("POST /api/v1/units/import 200"),
            "{sent:?}"
        );
        let out = client(&[
            "analyze",
            "--from",
            "en",
            "--to",
            "ru",
            "--format",
            "json",
            "harbour.en.txt",
        ]);
        assert_eq!(out.status.code(), Some(0), "{var}: {}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let context = v["total"]["context"]["segments"].as_u64().unwrap();
        let exact = v["total"]["100"]["segments"].as_u64().unwrap();
        assert!(
            context + exact >= 7,
            "{var}: analysed against the server: {v}"
        );
        let sent: Vec<String> = server.requests()[before + 1..].to_vec();
        assert_eq!(sent.len(), 1, "{var}: one lookup request: {sent:?}");
    }
    // `--server` is an option of every command, after its name too (it was
    // "unexpected argument '--server'" for analyze).
    let out = util::run(
        bin()
            .current_dir(dir.path())
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("TRANSMEM_TOKEN", &token)
            .args([
                "analyze",
                "--server",
                &server.base,
                "--from",
                "en",
                "--to",
                "ru",
                "harbour.en.txt",
            ]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("context"),
        "{}",
        text(&out.stdout)
    );
    // Stored on the server (the second time all duplicates), nowhere else.
    assert_eq!(util::unit_count(&served), 7);
    assert!(walk(&home).is_empty(), "{:?}", walk(&home));
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sqlite"))
        .collect();
    assert_eq!(entries, ["team.sqlite"]);
}

/// One raw request to a server: status and body.
fn call(base: &str, method: &str, path: &str, token: &str, body: Option<&[u8]>) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{base}{path}");
    let auth = format!("Bearer {token}");
    let resp = match method {
        "GET" => agent.get(&url).header("Authorization", &auth).call(),
        "DELETE" => agent.delete(&url).header("Authorization", &auth).call(),
        _ => agent
            .post(&url)
            .header("Authorization", &auth)
            .send(body.unwrap_or(b"")),
    };
    let mut resp = resp.expect("request");
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .unwrap_or_default();
    (status, text)
}

/// A refused request: method, path, token, body, status, what the reason says.
type Case<'a> = (&'a str, &'a str, &'a str, Vec<u8>, u16, &'a str);

/// The routes a remote memory uses refuse what they cannot take with a
/// 4xx and a JSON reason, and store nothing; an upload cut off (no end
/// line, a bad line, a client that stops mid-stream) stores nothing.
#[test]
fn the_remote_routes_refuse_bad_input_and_store_nothing() {
    let places = places();
    let server = places.last().unwrap();
    let o = server.run(&["import", "--langs", "en,ru", "pairs.tsv"], None);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let Kind::Server(srv, mem, admin) = &server.kind else {
        unreachable!()
    };
    let out = util::run(
        bin()
            .arg("--memory")
            .arg(mem)
            .args(["token", "create", "--role", "read"]),
    );
    let read = text(&out.stdout).trim().to_string();
    let snapshot = || {
        let m = Memory::open_existing(mem).unwrap();
        (
            m.stamp().unwrap(),
            server.units(),
            m.tokens().unwrap().len(),
        )
    };
    let before = snapshot();
    let lines = |ls: &[serde_json::Value]| -> Vec<u8> {
        ls.iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            .into_bytes()
    };
    let begin =
        serde_json::json!({"begin": {"command": "test", "on_duplicate": "keep-both", "groups": 1}});
    let unit = |en: &str| serde_json::json!({"unit": {"group": 0, "unit": {"variants": [{"lang": "en", "text": en}, {"lang": "ru", "text": "Да."}]}}});
    let cases: Vec<Case> = vec![
        ("POST", "/api/v1/units/import", admin, lines(&[begin.clone(), unit("One.")]), 400, "before its end line"),
        ("POST", "/api/v1/units/import", admin, lines(&[begin.clone(), unit("One."), serde_json::json!({"end": {"units": 2}})]), 400, "the upload held 1"),
        ("POST", "/api/v1/units/import", admin, b"{\"begin\": {\"command\": \"x\", \"on_duplicate\": \"keep-both\", \"groups\": 1}}\n{not json\n".to_vec(), 400, "line 2"),
        ("POST", "/api/v1/units/import", admin, lines(&[unit("One.")]), 400, "begin line"),
        ("POST", "/api/v1/units/import", admin, lines(&[
            begin.clone(),
            serde_json::json!({"unit": {"group": 0, "unit": {"variants": [{"lang": "en", "text": "A."}, {"lang": "en", "text": "B."}]}}}),
            serde_json::json!({"end": {"units": 1}}),
        ]), 400, "line 2"),
        ("POST", "/api/v1/units/import", admin, lines(&[
            begin.clone(),
            serde_json::json!({"unit": {"group": 3, "unit": {"variants": [{"lang": "en", "text": "A."}, {"lang": "ru", "text": "Б."}]}}}),
            serde_json::json!({"end": {"units": 1}}),
        ]), 400, "group 3"),
        ("POST", "/api/v1/units/import", admin, lines(&[serde_json::json!({"begin": {"command": "x", "on_duplicate": "both", "groups": 1}})]), 400, "on_duplicate"),
        ("POST", "/api/v1/units/import", &read, lines(&[begin.clone(), unit("One."), serde_json::json!({"end": {"units": 1}})]), 403, "needs write"),
        ("POST", "/api/v1/lookup/queries", admin,
            serde_json::json!({"from": "en", "to": "ru", "queries": vec![serde_json::json!({"text": "x"}); 1001]}).to_string().into_bytes(), 400, "at most 1000"),
        ("POST", "/api/v1/lookup/queries", admin,
            serde_json::json!({"from": "en", "to": "ru", "queries": [], "threshold": 150}).to_string().into_bytes(), 400, "threshold"),
        ("POST", "/api/v1/lookup/queries", admin,
            serde_json::json!({"from": "en", "to": "ru", "queries": [], "candidates": 20000}).to_string().into_bytes(), 400, "candidates"),
        ("POST", "/api/v1/lookup/queries", admin,
            serde_json::json!({"from": "e n", "to": "ru", "queries": []}).to_string().into_bytes(), 400, "from"),
        ("POST", "/api/v1/lookup/queries", admin,
            serde_json::json!({"from": "en", "to": "ru", "queries": [{"text": "x".repeat(70_000)}]}).to_string().into_bytes(), 400, "queries[0].text"),
        ("POST", "/api/v1/tokens", admin, serde_json::json!({"hash": "xyz", "role": "read"}).to_string().into_bytes(), 400, "hash"),
        ("POST", "/api/v1/tokens", admin, serde_json::json!({"hash": "ab".repeat(32), "role": "owner"}).to_string().into_bytes(), 400, "role"),
        ("POST", "/api/v1/tokens", &read, serde_json::json!({"hash": "ab".repeat(32), "role": "admin"}).to_string().into_bytes(), 403, "needs admin"),
        ("GET", "/api/v1/tokens", &read, Vec::new(), 403, "needs admin"),
        ("DELETE", "/api/v1/tokens/1", &read, Vec::new(), 403, "needs admin"),
        ("POST", "/api/v1/tm/delete", admin, serde_json::json!({"filter": {}}).to_string().into_bytes(), 400, "give a filter"),
        ("POST", "/api/v1/tm/delete", &read, serde_json::json!({"filter": {"ids": [1]}}).to_string().into_bytes(), 403, "needs write"),
        ("POST", "/api/v1/tm/replace", admin, serde_json::json!({"lang": "ru", "find": "(", "replace": "x"}).to_string().into_bytes(), 400, "find"),
        ("POST", "/api/v1/tm/replace", admin, serde_json::json!({"lang": "ru", "find": ".*", "replace": ""}).to_string().into_bytes(), 400, "empty ru text"),
        ("POST", "/api/v1/tm/edit", admin, serde_json::json!({"id": 1, "lang": "ru", "text": "  "}).to_string().into_bytes(), 400, "empty"),
        ("POST", "/api/v1/tm/undo", admin, serde_json::json!({"batch": 999}).to_string().into_bytes(), 400, "999"),
        ("POST", "/api/v1/tm/undo", &read, serde_json::json!({"batch": 1}).to_string().into_bytes(), 403, "needs admin"),
        ("POST", "/api/v1/dedupe", &read, serde_json::json!({"from": "en", "to": "ru"}).to_string().into_bytes(), 403, "needs write"),
        ("POST", "/api/v1/dedupe", admin, serde_json::json!({"from": "en", "to": "ru", "extra": 1, "keep_newest": "yes"}).to_string().into_bytes(), 400, "boolean"),
        ("GET", "/api/v1/units/export?match=(", admin, Vec::new(), 400, "match"),
        ("GET", "/api/v1/units/export?id=x", admin, Vec::new(), 400, "not a unit id"),
    ];
    for (method, path, token, body, status, says) in &cases {
        let (st, t) = call(&srv.base, method, path, token, Some(body));
        assert_eq!(st, *status, "{method} {path}: {t}");
        let v: serde_json::Value =
            serde_json::from_str(&t).unwrap_or_else(|_| panic!("{path}: not JSON: {t}"));
        let why = v["error"].as_str().unwrap_or("");
        assert!(
            why.contains(says),
            "{method} {path}: {why:?} lacks {says:?}"
        );
        assert_eq!(snapshot(), before, "{method} {path} changed the memory");
    }
    // A client that breaks off a streamed upload (a file whose end is
    // malformed, after more than the 4 MiB sent as one request) stores
    // nothing of it.
    let mut tmx = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tmx version=\"1.4\"><header srclang=\"en\" datatype=\"plaintext\" segtype=\"sentence\" adminlang=\"en\" o-tmf=\"x\" creationtool=\"t\" creationtoolversion=\"1\"/><body>\n",
    );
    let mut i = 0;
    while tmx.len() < 6 << 20 {
        tmx.push_str(&format!(
            "<tu><tuv xml:lang=\"en\"><seg>Streamed sentence number {i} about the harbour and its ferries.</seg></tuv><tuv xml:lang=\"ru\"><seg>Предложение номер {i} о гавани и её паромах.</seg></tuv></tu>\n"
        ));
        i += 1;
    }
    tmx.push_str("<tu><tuv xml:lang=\"en\"><seg>Broken");
    std::fs::write(server.dir.path().join("big-bad.tmx"), &tmx).unwrap();
    let o = server.run(&["import", "big-bad.tmx"], None);
    assert_eq!(o.code, Some(2), "{}", o.stderr);
    assert!(o.stderr.contains("big-bad.tmx"), "{}", o.stderr);
    assert_eq!(snapshot(), before, "a broken-off upload stored something");
    assert!(
        srv.requests()
            .iter()
            .any(|l| l.contains("GET /api/v1/whoami 200")),
        "the large upload was streamed after a role check"
    );
    nothing_local(&places);
}
