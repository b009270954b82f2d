//! The CLI as a client of `transmem serve`: `lookup`, `import` and
//! `export` with `--server URL` (or `TRANSMEM_SERVER`) call the server's
//! API instead of opening a memory, and print what they print against a
//! file, so scripts work the same either way.

use std::io::{BufRead, Read, Write};
use std::path::Path;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use transmem::formats::Format;

use super::{lang_arg, stdout};

/// `--server` and `--token`, flattened into the commands that take them.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Server")]
pub struct Remote {
    /// Use the transmem server at this URL instead of a memory file
    #[arg(long, env = "TRANSMEM_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// API token for --server (from `transmem token create`)
    #[arg(
        long,
        env = "TRANSMEM_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

impl Remote {
    /// The client, when a server was given.
    pub fn client(&self) -> Option<Client> {
        let base = self.server.as_deref()?.trim().trim_end_matches('/');
        if base.is_empty() {
            return None;
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Some(Client {
            base: base.to_string(),
            token: self.token.clone().filter(|t| !t.is_empty()),
            agent,
        })
    }
}

/// A connection to one server.
pub struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

type Resp = ureq::http::Response<ureq::Body>;

impl Client {
    fn auth<B>(&self, r: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.token {
            Some(t) => r.header("Authorization", format!("Bearer {t}")),
            None => r,
        }
    }

    /// The answer, or an error naming the server and its reason.
    fn check(&self, what: &str, resp: Result<Resp, ureq::Error>) -> anyhow::Result<Resp> {
        let mut resp =
            resp.with_context(|| format!("cannot reach the server {} ({what})", self.base))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        let reason = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or(body);
        bail!("server {} ({what}): {status}: {reason}", self.base)
    }

    fn post_json(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let r = self
            .auth(self.agent.post(&url))
            .header("Content-Type", "application/json")
            .send(body.to_string());
        let mut resp = self.check(path, r)?;
        let text = resp
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_string()?;
        serde_json::from_str(&text).with_context(|| format!("server {}: not JSON", self.base))
    }
}

/// Percent-encodes a query value.
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

/// `transmem lookup --server`.
pub fn lookup(args: &super::lookup::Args, c: &Client) -> anyhow::Result<u8> {
    let (from, to) = args.direction.tags()?;
    if args.exhaustive || args.candidates != 0 {
        bail!("--exhaustive and --candidates work on a memory file, not over --server");
    }
    let defaults = [
        args.penalty_case,
        args.penalty_punctuation,
        args.penalty_number,
        args.penalty_tag,
    ];
    if defaults.iter().any(|&p| p != 1.0) {
        bail!("--penalty-* options work on a memory file, not over --server");
    }
    let mut out = stdout();
    let mut any = false;
    if let Some(t) = &args.text {
        anyhow::ensure!(
            t.len() <= args.max_query_bytes,
            "the query is {} bytes, longer than the limit of {}",
            t.len(),
            args.max_query_bytes
        );
        if let Some(why) = super::lookup::skip_reason(t) {
            bail!("nothing to look up: TEXT is {why}");
        }
        let mut body = json!({"from": from, "to": to, "text": t,
            "threshold": args.threshold, "limit": args.limit});
        if let Some(p) = &args.prev {
            body["prev"] = json!(p);
        }
        if let Some(n) = &args.next {
            body["next"] = json!(n);
        }
        let v = c.post_json("/api/v1/lookup", &body)?;
        any |= v["matches"].as_array().is_some_and(|m| !m.is_empty());
        write(&mut out, args, &v, false)?;
        out.flush()?;
        return Ok(if any { 0 } else { 1 });
    }
    let mut input = std::io::stdin().lock();
    let mut block: Vec<String> = Vec::new();
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        line.clear();
        let read = (&mut input)
            .take(args.max_query_bytes as u64 + 2)
            .read_until(b'\n', &mut line)
            .context("reading standard input")?;
        let done = read == 0;
        if !done {
            n += 1;
            if line.last() == Some(&b'\n') {
                line.pop();
            } else if line.len() > args.max_query_bytes {
                bail!(
                    "<stdin>:{n}: the query is longer than {} bytes (the limit)",
                    args.max_query_bytes
                );
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let s = std::str::from_utf8(&line).map_err(|e| {
                anyhow::anyhow!("<stdin>:{n}: invalid UTF-8 at byte {}", e.valid_up_to())
            })?;
            block.push(s.to_string());
        }
        // With --context a block is one document, so blocks are sent whole
        // up to the server's batch limit.
        if block.len() == super::serve::MAX_BATCH || (done && !block.is_empty()) {
            let body = json!({"from": from, "to": to, "segments": block,
                "context": args.context, "threshold": args.threshold, "limit": args.limit});
            let v = c.post_json("/api/v1/lookup/batch", &body)?;
            for r in v["results"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                any |= r["matches"].as_array().is_some_and(|m| !m.is_empty());
                write(&mut out, args, r, true)?;
            }
            out.flush()?;
            block.clear();
        }
        if done {
            break;
        }
    }
    Ok(if any { 0 } else { 1 })
}

/// One answer as `lookup` prints it against a file.
fn write(
    out: &mut impl Write,
    args: &super::lookup::Args,
    v: &Value,
    many: bool,
) -> anyhow::Result<()> {
    use super::terminal_safe as safe;
    if matches!(args.format, super::lookup::Format::Jsonl) {
        return super::write_json_line(out, v);
    }
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    if many {
        writeln!(out, "> {}", safe(&s(&v["query"])))?;
    }
    if let Some(why) = v["skipped"].as_str() {
        writeln!(out, "  (skipped: {why})")?;
        return Ok(());
    }
    let matches = v["matches"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if matches.is_empty() {
        writeln!(out, "  (no match at or above {}%)", args.threshold)?;
    }
    for m in matches {
        let source: String = match m["diff"].as_array().filter(|d| !d.is_empty()) {
            None => safe(&s(&m["source"])).into_owned(),
            Some(d) => d
                .iter()
                .map(|sp| match sp["op"].as_str() {
                    Some("delete") => format!("[-{}-]", safe(&s(&sp["text"]))),
                    Some("insert") => format!("{{+{}+}}", safe(&s(&sp["text"]))),
                    _ => safe(&s(&sp["text"])).into_owned(),
                })
                .collect(),
        };
        writeln!(
            out,
            "{:>6.1}%  {}\n         {}",
            m["score"].as_f64().unwrap_or(0.0),
            source,
            safe(&s(&m["target"]))
        )?;
        if let Some(p) = m["penalties"].as_array().filter(|p| !p.is_empty()) {
            let p: Vec<String> = p
                .iter()
                .map(|p| format!("{} -{}", s(&p["kind"]), p["points"].as_f64().unwrap_or(0.0)))
                .collect();
            writeln!(out, "         penalties: {}", p.join(", "))?;
        }
        if let Some(t) = m["substituted_target"].as_str() {
            let subs = m["substituted"].as_array().cloned().unwrap_or_default();
            let note = transmem::matcher::substitution_note(subs.iter().map(|x| {
                (
                    x["from"].as_str().unwrap_or(""),
                    x["to"].as_str().unwrap_or(""),
                )
            }));
            let sc = m["score"].as_f64().unwrap_or(0.0);
            writeln!(out, "{sc:>6.1}%  {}  ({})", safe(t), safe(&note))?;
        }
    }
    Ok(())
}

/// `transmem import --server`: one upload (one transaction) per file.
pub fn import(args: &super::import::Args, c: &Client) -> anyhow::Result<u8> {
    let forced = match &args.format {
        Some(f) => Some(
            Format::parse(f)
                .with_context(|| format!("unknown --format {f:?} (expected tmx, csv or tsv)"))?,
        ),
        None => None,
    };
    let langs: Vec<String> = args
        .langs
        .iter()
        .map(|l| lang_arg(l))
        .collect::<anyhow::Result<_>>()?;
    let formats: Vec<Format> = args
        .files
        .iter()
        .map(|p| {
            forced.or_else(|| Format::from_path(p)).with_context(|| {
                format!(
                    "{}: cannot tell the format from the file name; use --format tmx|csv|tsv",
                    p.display()
                )
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let policy = match args.on_duplicate {
        super::Dup::KeepBoth => "keep-both",
        super::Dup::Skip => "skip",
        super::Dup::Overwrite => "overwrite",
    };
    // The token's role first: a refused upload would otherwise be cut off
    // mid-stream, and the server's reason lost.
    let url = format!("{}/api/v1/whoami", c.base);
    let mut resp = c.check("checking the token", c.auth(c.agent.get(&url)).call())?;
    let who: Value = serde_json::from_str(&resp.body_mut().read_to_string()?)?;
    if who["role"] == "read" {
        bail!(
            "server {}: 403 Forbidden: this token's role (read) may not import; it needs write",
            c.base
        );
    }
    let (mut new, mut dup) = (0u64, 0u64);
    let mut memory = String::new();
    for (path, format) in args.files.iter().zip(formats) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let mut q = format!(
            "?format={}&on_duplicate={policy}&default_origin={}",
            format_name(format),
            enc(&name)
        );
        if !langs.is_empty() {
            q.push_str(&format!("&langs={}", enc(&langs.join(","))));
        }
        if !args.columns.is_empty() {
            q.push_str(&format!("&columns={}", enc(&args.columns.join(","))));
        }
        if let Some(o) = &args.origin {
            q.push_str(&format!("&origin={}", enc(o)));
        }
        let file = std::fs::File::open(path).map_err(|e| transmem::Error::io(path, e))?;
        let url = format!("{}/api/v1/import{q}", c.base);
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        let r = c
            .auth(c.agent.post(&url))
            .header("Content-Type", "application/octet-stream")
            .send(ureq::SendBody::from_reader(&mut reader));
        let mut resp = c
            .check(&format!("importing {}", path.display()), r)
            .map_err(|e| anyhow::anyhow!("{}: {e:#}", path.display()))?;
        let v: Value = serde_json::from_str(&resp.body_mut().read_to_string()?)?;
        let n = |k: &str| v[k].as_u64().unwrap_or(0);
        let mut line = format!(
            "{}: {} units read, {} new, {} duplicate, {} skipped",
            path.display(),
            n("read"),
            n("new"),
            n("duplicate"),
            n("skipped")
        );
        if n("overwritten") > 0 {
            line.push_str(&format!(", {} overwritten", n("overwritten")));
        }
        eprintln!("{line}");
        new += n("new");
        dup += n("duplicate") + n("skipped");
        memory = v["memory"].as_str().unwrap_or("").to_string();
    }
    eprintln!(
        "{} (server {})",
        super::stored_message(new, dup, Path::new(&memory)),
        c.base
    );
    Ok(0)
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Tmx => "tmx",
        Format::Csv => "csv",
        Format::Tsv => "tsv",
    }
}

/// `transmem export --server`: the download streamed to stdout or `-o`.
pub fn export(args: &super::export::Args, c: &Client, memory: &Path) -> anyhow::Result<u8> {
    if !args.columns.is_empty() {
        anyhow::bail!(
            "--columns is not available with --server yet: export the TSV/CSV from the server's memory directly"
        );
    }
    let format = match (&args.format, &args.output) {
        (Some(f), _) => Format::parse(f)
            .with_context(|| format!("unknown --format {f:?} (expected tmx, csv or tsv)"))?,
        (None, Some(o)) => Format::from_path(o).unwrap_or(Format::Tmx),
        (None, None) => Format::Tmx,
    };
    let langs: Vec<String> = args
        .langs
        .iter()
        .map(|l| lang_arg(l))
        .collect::<anyhow::Result<_>>()?;
    let mut q = format!("?format={}&bom={}", format_name(format), args.bom);
    if !langs.is_empty() {
        q.push_str(&format!("&langs={}", enc(&langs.join(","))));
    }
    let url = format!("{}/api/v1/export{q}", c.base);
    let resp = c.check("export", c.auth(c.agent.get(&url)).call())?;
    let mut body = resp.into_body().into_reader();
    match &args.output {
        None => {
            let mut out = stdout();
            std::io::copy(&mut body, &mut out).context("the download broke off")?;
            out.flush()?;
        }
        Some(path) => {
            // As against a file: complete or not at all, never over the
            // local memory (output.rs).
            super::output::write_file(path, memory, |out| {
                std::io::copy(&mut body, out).context("the download broke off")?;
                Ok(())
            })?;
        }
    }
    Ok(0)
}
