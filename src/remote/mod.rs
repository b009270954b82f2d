//! A translation memory on a team server: [`Remote`] implements
//! [`crate::tm::Tm`] over the JSON API of `transmem serve` (`/api/v1`,
//! docs/server.md), with ureq, synchronously.
//!
//! Work goes in batches, never a request per segment or unit: a file's
//! lookups travel up to [`MAX_QUERIES`] queries (and about half a MiB) per
//! request, a write streams every unit in one request (one transaction on
//! the server), and units are read back as one streamed list. This module
//! knows routes and JSON shapes ([`crate::tm::wire`]), never a table.

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::matcher::concordance::Hit;
use crate::matcher::{Match, Query};
use crate::memory::{Batch, Stats};
use crate::model::Unit;
use crate::tm::wire::{self, MAX_QUERIES, WriteLine};
use crate::tm::{
    BatchInfo, DedupeDone, DedupeRequest, Deleted, EditDone, Filter, Location, LookupOptions,
    ReplaceRequest, Replaced, Role, Sink, Tm, TokenEntry, UndoDone, WriteRequest, Written,
};

/// Largest body of one lookup request: below the server's default limit
/// (1 MiB), so a file of long segments is split into more requests.
const QUERY_BYTES: usize = 512 << 10;

/// Largest JSON answer read.
const ANSWER_BYTES: u64 = 256 << 20;

/// Longest line of a streamed unit list.
const LINE_BYTES: usize = 64 << 20;

/// Ids per `GET /units?id=…` (the request line stays a few KiB).
const IDS_PER_REQUEST: usize = 500;

/// A memory served by `transmem serve` at a URL.
pub struct Remote {
    location: Location,
    /// The URL without a trailing slash.
    base: String,
    /// As messages show it (password redacted).
    shown: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("url", &self.shown).finish()
    }
}

type Resp = ureq::http::Response<ureq::Body>;

/// Percent-encodes a query value or path segment.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn query(params: &[(&str, String)]) -> String {
    let mut q = String::new();
    for (k, v) in params {
        q.push(if q.is_empty() { '?' } else { '&' });
        q.push_str(k);
        q.push('=');
        q.push_str(&enc(v));
    }
    q
}

impl Remote {
    /// The server at `url` (`http(s)://host:port`), reached with `token`
    /// (`Authorization: Bearer`). Nothing is sent until the first call.
    pub fn new(url: &str, token: Option<&str>) -> Result<Remote> {
        let base = url.trim().trim_end_matches('/').to_string();
        let shown = crate::tm::redact(&base);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .build()
            .into();
        Ok(Remote {
            location: Location::Server(base.clone()),
            base,
            shown,
            token: token
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from),
            agent,
        })
    }

    fn err(&self, status: Option<u16>, message: impl Into<String>) -> Error {
        Error::Remote {
            url: self.shown.clone(),
            status,
            message: message.into(),
        }
    }

    fn auth<B>(&self, r: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.token {
            Some(t) => r.header("Authorization", format!("Bearer {t}")),
            None => r,
        }
    }

    /// The answer when it is a success; else an error with the server's
    /// reason (`{"error": …}`) and status.
    fn check(&self, what: &str, resp: std::result::Result<Resp, ureq::Error>) -> Result<Resp> {
        let mut resp =
            resp.map_err(|e| self.err(None, format!("cannot reach the server ({what}): {e}")))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .unwrap_or_default();
        let reason = serde_json::from_str::<wire::ErrorAnswer>(&body)
            .map(|e| e.error)
            .unwrap_or(body);
        if status == ureq::http::StatusCode::BAD_REQUEST {
            // The request itself cannot work (a bad expression, a batch
            // undone already, a unit the store refuses): said as a local
            // memory says it.
            return Err(Error::Invalid(reason));
        }
        Err(self.err(Some(status.as_u16()), format!("{status}: {reason}")))
    }

    fn read_json<T: DeserializeOwned>(&self, what: &str, mut resp: Resp) -> Result<T> {
        let text = resp
            .body_mut()
            .with_config()
            .limit(ANSWER_BYTES)
            .read_to_string()
            .map_err(|e| self.err(None, format!("reading the answer ({what}): {e}")))?;
        serde_json::from_str(&text)
            .map_err(|e| self.err(None, format!("not the expected answer ({what}): {e}")))
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let url = format!("{}/api/v1{path}", self.base);
        let resp = self.check(path, self.auth(self.agent.get(&url)).call())?;
        self.read_json(path, resp)
    }

    fn send<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T> {
        let url = format!("{}/api/v1{path}", self.base);
        let json = serde_json::to_string(body)
            .map_err(|e| Error::Invalid(format!("encoding a request: {e}")))?;
        let r = match method {
            "PUT" => self.auth(self.agent.put(&url)),
            _ => self.auth(self.agent.post(&url)),
        };
        let resp = self.check(
            path,
            r.header("Content-Type", "application/json").send(json),
        )?;
        self.read_json(path, resp)
    }

    /// Refuses early (before a long upload) when the token's role is below `need`.
    fn require(&self, need: Role) -> Result<()> {
        #[derive(serde::Deserialize)]
        struct Who {
            role: String,
        }
        let who: Who = self.get("/whoami")?;
        match Role::parse(&who.role) {
            Some(r) if r >= need => Ok(()),
            _ => Err(self.err(
                Some(403),
                format!(
                    "403 Forbidden: this token's role ({}) may not do this; it needs {}",
                    who.role,
                    need.as_str()
                ),
            )),
        }
    }

    /// The request that carries a write's lines.
    fn import_request(&self) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        let url = format!("{}/api/v1/units/import", self.base);
        self.auth(self.agent.post(&url))
            .header("Content-Type", "application/x-ndjson")
    }

    /// One lookup request: `queries` fit the server's limits.
    fn lookup_chunk(
        &self,
        from: &str,
        to: &str,
        queries: &[Query<'_>],
        opts: &crate::matcher::Options,
    ) -> Result<Vec<Vec<Match>>> {
        let req = wire::QueriesRequest {
            from: from.to_string(),
            to: to.to_string(),
            queries: queries
                .iter()
                .map(|q| wire::QueryIn {
                    text: q.text.to_string(),
                    prev: q.prev.map(String::from),
                    next: q.next.map(String::from),
                })
                .collect(),
            threshold: Some(opts.threshold),
            limit: Some(opts.limit),
            penalties: (opts.penalties != crate::matcher::Penalties::default())
                .then(|| opts.penalties.into()),
            candidates: (opts.candidates != 0).then_some(opts.candidates),
        };
        let a: wire::QueriesAnswer = self.send("POST", "/lookup/queries", &req)?;
        if a.results.len() != queries.len() {
            return Err(self.err(
                None,
                format!("{} answers to {} queries", a.results.len(), queries.len()),
            ));
        }
        Ok(a.results)
    }
}

/// A write operation's request with the batch's command (the server
/// records the token's name as its user).
fn op<T>(batch: &BatchInfo, request: T) -> wire::Op<T> {
    wire::Op {
        request,
        command: Some(batch.command.clone()),
    }
}

/// A `Read` over chunks sent from another thread; an `Err` chunk makes the
/// read fail, which aborts the upload (the server then stores nothing).
struct ChannelReader {
    rx: Receiver<std::result::Result<Vec<u8>, String>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(c)) => {
                    self.chunk = c;
                    self.at = 0;
                }
                Ok(Err(why)) => return Err(std::io::Error::other(why)),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The [`Sink`] of a remote write: units become lines of the upload. Up
/// to [`SMALL_WRITE`] bytes are kept and sent as one request when the
/// write ends (an article's alignment: one request); past that, the
/// upload starts and streams, after a check of the token's role (a refused
/// stream would be cut off mid-way and the server's reason lost).
struct UploadSink<'r> {
    remote: &'r Remote,
    buf: Vec<u8>,
    stream: Option<Upload>,
    groups: usize,
    units: u64,
    /// The server stopped reading (it answered early: an error).
    closed: bool,
}

/// A streaming upload: chunks go to the thread that sends them.
struct Upload {
    tx: SyncSender<std::result::Result<Vec<u8>, String>>,
    sender: std::thread::JoinHandle<std::result::Result<Resp, ureq::Error>>,
}

/// Bytes of a write sent as one request rather than streamed.
const SMALL_WRITE: usize = 4 << 20;

impl UploadSink<'_> {
    fn line(&mut self, l: &WriteLine) -> Result<()> {
        serde_json::to_writer(&mut self.buf, l)
            .map_err(|e| Error::Invalid(format!("encoding a unit: {e}")))?;
        self.buf.push(b'\n');
        if self.stream.is_some() && self.buf.len() >= 64 << 10 || self.buf.len() >= SMALL_WRITE {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends what is kept, starting the streaming upload first if needed.
    fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() || self.closed {
            return Ok(());
        }
        if self.stream.is_none() {
            self.remote.require(Role::Write)?;
            let (tx, rx) = sync_channel(16);
            let request = self.remote.import_request();
            let sender = std::thread::spawn(move || {
                let mut body = ChannelReader {
                    rx,
                    chunk: Vec::new(),
                    at: 0,
                };
                request.send(ureq::SendBody::from_reader(&mut body))
            });
            self.stream = Some(Upload { tx, sender });
        }
        let chunk = std::mem::take(&mut self.buf);
        if let Some(up) = &self.stream
            && up.tx.send(Ok(chunk)).is_err()
        {
            self.closed = true;
            return Err(Error::Invalid(
                "the server stopped reading the upload".into(),
            ));
        }
        Ok(())
    }

    /// Ends the write: the whole body in one request if it was kept, else
    /// the rest of the stream; `Err(why)` aborts a stream (the server then
    /// stores nothing). The server's answer.
    fn finish(mut self, abort: Option<String>) -> Result<std::result::Result<Resp, ureq::Error>> {
        match self.stream.take() {
            None if abort.is_some() => Err(Error::Invalid("not sent".into())),
            None => Ok(self.remote.import_request().send(&self.buf[..])),
            Some(up) => {
                if let Some(why) = abort {
                    let _ = up.tx.send(Err(why));
                } else if !self.buf.is_empty() {
                    let _ = up.tx.send(Ok(std::mem::take(&mut self.buf)));
                }
                drop(up.tx);
                up.sender
                    .join()
                    .map_err(|_| self.remote.err(None, "the upload stopped unexpectedly"))
            }
        }
    }
}

impl Sink for UploadSink<'_> {
    fn unit(&mut self, group: usize, unit: Unit, source_lang: Option<String>) -> Result<()> {
        if group >= self.groups {
            return Err(Error::Invalid(format!(
                "group {group} of a write of {} groups",
                self.groups
            )));
        }
        // What the store would refuse is refused here, at its place in
        // the input, as a local memory does.
        unit.validate()?;
        self.units += 1;
        self.line(&WriteLine::Unit {
            group,
            source_lang,
            unit: Box::new(unit),
        })
    }

    fn skipped(&mut self, group: usize, n: u64) {
        // Written with the next flush; a closed upload reports its error then.
        let _ = self.line(&WriteLine::Skipped { group, n });
    }
}

impl Tm for Remote {
    fn location(&self) -> &Location {
        &self.location
    }

    fn stats(&self) -> Result<Stats> {
        self.get("/stats")
    }

    fn languages(&self) -> Result<Vec<String>> {
        Ok(self.get::<wire::LanguagesAnswer>("/languages")?.languages)
    }

    fn unit_count(&self) -> Result<u64> {
        Ok(self.get::<wire::LanguagesAnswer>("/languages")?.units)
    }

    fn unit(&self, id: i64) -> Result<Option<Unit>> {
        match self.get(&format!("/units/{id}")) {
            Ok(u) => Ok(Some(u)),
            Err(Error::Remote {
                status: Some(404), ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn units_by_id(&self, ids: &[i64]) -> Result<Vec<Unit>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_REQUEST) {
            let list: Vec<String> = chunk.iter().map(|i| i.to_string()).collect();
            let q = query(&[
                ("id", list.join(",")),
                ("limit", crate::tm::MAX_LIMIT.to_string()),
            ]);
            let page: wire::UnitsPage = self.get(&format!("/units{q}"))?;
            out.extend(page.units);
        }
        out.sort_by_key(|u| u.id);
        Ok(out)
    }

    fn newest_texts(&self, _lang: &str, _max: usize) -> Result<Vec<String>> {
        // Nothing over the network yet: the server has no bounded route for
        // a sample, only its whole unit list, and reading it would cost
        // every `analyze`, `pretranslate` and `align --store` extra requests
        // that grow with the team's memory (issue 24 holds them to one per
        // 1,000 segments; .ci/eval-remote.sh). On a server the segmenter
        // keeps its built-in lists (docs/segmentation.md).
        Ok(Vec::new())
    }

    fn units(&self, filter: &Filter, f: &mut dyn FnMut(Unit) -> Result<()>) -> Result<()> {
        let q = query(&wire::FilterQuery::from(filter).params());
        let url = format!("{}/api/v1/units/export{q}", self.base);
        let resp = self.check("/units/export", self.auth(self.agent.get(&url)).call())?;
        let mut r = BufReader::with_capacity(1 << 16, resp.into_body().into_reader());
        let mut line = Vec::new();
        let mut n = 0u64;
        loop {
            line.clear();
            let got = (&mut r)
                .take(LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut line)
                .map_err(|e| {
                    self.err(
                        None,
                        format!("the unit list broke off after {n} units: {e}"),
                    )
                })?;
            if got == 0 {
                break;
            }
            if line.last() != Some(&b'\n') {
                return Err(self.err(None, format!("the unit list broke off after {n} units")));
            }
            let v: serde_json::Value = serde_json::from_slice(&line)
                .map_err(|e| self.err(None, format!("unit list line {}: {e}", n + 1)))?;
            // The last line says how many came: a list cut short by a
            // failure on the server is an error, never a shorter list.
            if let Some(end) = v.get("end") {
                if end.as_u64() != Some(n) {
                    return Err(self.err(None, format!("the unit list broke off after {n} units")));
                }
                return Ok(());
            }
            let u: Unit = serde_json::from_value(v)
                .map_err(|e| self.err(None, format!("unit list line {}: {e}", n + 1)))?;
            n += 1;
            f(u)?;
        }
        Err(self.err(None, format!("the unit list broke off after {n} units")))
    }

    fn count(&self, filter: &Filter) -> Result<u64> {
        let mut params = wire::FilterQuery::from(filter).params();
        params.push(("limit", "1".into()));
        let page: wire::UnitsPage = self.get(&format!("/units{}", query(&params)))?;
        Ok(page.total)
    }

    fn history(&self, last: Option<usize>) -> Result<Vec<Batch>> {
        let limit = last
            .unwrap_or(crate::tm::MAX_LIMIT)
            .clamp(1, crate::tm::MAX_LIMIT);
        let a: wire::HistoryAnswer = self.get(&format!("/history?limit={limit}"))?;
        if last.is_none() && a.total > a.batches.len() as u64 {
            return Err(self.err(
                None,
                format!(
                    "the memory holds {} batches; a server lists the last {} (give --last N)",
                    a.total,
                    a.batches.len()
                ),
            ));
        }
        if last == Some(0) {
            return Ok(Vec::new());
        }
        Ok(a.batches)
    }

    fn lookup_batch(
        &self,
        from: &str,
        to: &str,
        queries: &[Query<'_>],
        opts: &LookupOptions,
    ) -> Result<Vec<Vec<Match>>> {
        if opts.matching.exhaustive {
            return Err(self.err(
                None,
                "--exhaustive scores every stored segment, which a server does not do for a \
                 client; run it on the memory file or database",
            ));
        }
        let o = crate::tm::widened(opts);
        let mut out = Vec::with_capacity(queries.len());
        let mut start = 0;
        while start < queries.len() {
            // Up to MAX_QUERIES queries and about QUERY_BYTES of text.
            let mut end = start;
            let mut bytes = 0;
            while end < queries.len() && end - start < MAX_QUERIES {
                let q = &queries[end];
                let size =
                    q.text.len() + q.prev.map_or(0, str::len) + q.next.map_or(0, str::len) + 48;
                if end > start && bytes + size > QUERY_BYTES {
                    break;
                }
                bytes += size;
                end += 1;
            }
            out.extend(self.lookup_chunk(from, to, &queries[start..end], &o)?);
            start = end;
        }
        crate::tm::apply_trust(
            &opts.trust,
            out,
            opts.matching.threshold,
            opts.matching.limit,
            &|ids| self.units_by_id(ids),
        )
    }

    fn concordance(&self, lang: &str, text: &str, limit: usize) -> Result<Vec<Hit>> {
        let q = query(&[
            ("lang", lang.to_string()),
            ("q", text.to_string()),
            ("limit", limit.to_string()),
        ]);
        Ok(self
            .get::<wire::ConcordanceAnswer>(&format!("/concordance{q}"))?
            .hits)
    }

    fn write(
        &mut self,
        req: &WriteRequest,
        fill: &mut dyn FnMut(&mut dyn Sink) -> Result<()>,
    ) -> Result<Written> {
        let mut sink = UploadSink {
            remote: self,
            buf: Vec::new(),
            stream: None,
            groups: req.groups.max(1),
            units: 0,
            closed: false,
        };
        let filled = sink
            .line(&WriteLine::Begin {
                command: req.batch.command.clone(),
                on_duplicate: wire::policy_name(req.on_duplicate).to_string(),
                groups: req.groups.max(1),
                supersede: req.supersede.clone(),
            })
            .and_then(|_| fill(&mut sink))
            .and_then(|_| {
                let units = sink.units;
                sink.line(&WriteLine::End { units })
            });
        let closed = sink.closed;
        match filled {
            Ok(()) => {
                let answer = sink.finish(None)?;
                let resp = self.check("/units/import", answer)?;
                let a: wire::WriteAnswer = self.read_json("/units/import", resp)?;
                Ok(a.written)
            }
            // The server answered before taking everything: its reason.
            Err(_) if closed => {
                let answer = sink.finish(None)?;
                self.check("/units/import", answer)?;
                Err(self.err(None, "the server stopped reading the upload"))
            }
            Err(e) => {
                let _ = sink.finish(Some(e.to_string()));
                Err(e)
            }
        }
    }

    fn edit(&mut self, batch: &BatchInfo, id: i64, lang: &str, text: &str) -> Result<EditDone> {
        self.send(
            "POST",
            "/tm/edit",
            &op(
                batch,
                wire::EditIn {
                    id,
                    lang: lang.to_string(),
                    text: text.to_string(),
                },
            ),
        )
    }

    fn delete(&mut self, batch: &BatchInfo, filter: &Filter) -> Result<Deleted> {
        self.send(
            "POST",
            "/tm/delete",
            &op(
                batch,
                wire::DeleteIn {
                    filter: filter.clone(),
                },
            ),
        )
    }

    fn replace(&mut self, batch: &BatchInfo, req: &ReplaceRequest) -> Result<Replaced> {
        self.send("POST", "/tm/replace", &op(batch, req.clone()))
    }

    fn undo(&mut self, batch: &BatchInfo, id: i64, force: bool, dry_run: bool) -> Result<UndoDone> {
        self.send(
            "POST",
            "/tm/undo",
            &op(
                batch,
                wire::UndoIn {
                    batch: id,
                    force,
                    dry_run,
                },
            ),
        )
    }

    fn dedupe(&mut self, batch: &BatchInfo, req: &DedupeRequest) -> Result<DedupeDone> {
        self.send("POST", "/dedupe", &op(batch, req.clone()))
    }

    fn tokens(&self) -> Result<Vec<TokenEntry>> {
        Ok(self.get::<wire::TokensAnswer>("/tokens")?.tokens)
    }

    fn add_token(&mut self, hash: &str, role: Role, name: Option<&str>) -> Result<i64> {
        let a: wire::TokenCreated = self.send(
            "POST",
            "/tokens",
            &wire::TokenIn {
                hash: hash.to_string(),
                role: role.as_str().to_string(),
                name: name.map(String::from),
            },
        )?;
        Ok(a.id)
    }

    fn revoke_token(&mut self, id: i64) -> Result<bool> {
        let url = format!("{}/api/v1/tokens/{id}", self.base);
        let resp = self.check("/tokens", self.auth(self.agent.delete(&url)).call())?;
        Ok(self
            .read_json::<wire::TokenRevoked>("/tokens", resp)?
            .revoked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            query(&[("q", "a b&c=ü".into()), ("lang", "en".into())]),
            "?q=a%20b%26c%3D%C3%BC&lang=en"
        );
        assert_eq!(query(&[]), "");
    }

    #[test]
    fn an_aborted_upload_fails_the_reader() {
        let (tx, rx) = sync_channel(2);
        let mut r = ChannelReader {
            rx,
            chunk: Vec::new(),
            at: 0,
        };
        tx.send(Ok(b"ab".to_vec())).unwrap();
        tx.send(Err("parse error".into())).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(r.read(&mut buf).unwrap(), 2);
        assert!(r.read(&mut buf).is_err());
    }

    #[test]
    fn nothing_listens_is_an_error_naming_the_server() {
        let r = Remote::new("http://user:pw@127.0.0.1:9/", Some("t")).unwrap();
        let e = r.stats().unwrap_err().to_string();
        assert!(e.starts_with("server http://user:***@127.0.0.1:9:"), "{e}");
        assert!(!e.contains("pw"), "{e}");
    }
}
