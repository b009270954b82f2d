//! `transmem merge`: the translated text rebuilt from a finished XLIFF job.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use transmem::formats::xliff_read::{self, State};

use super::Global;

/// Write the translated document from a finished XLIFF job (one that
/// `transmem pretranslate` wrote, filled in by a CAT tool): the targets,
/// paragraph by paragraph; segments without a translation keep their source
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The XLIFF 1.2 or 2.0 file
    pub file: PathBuf,
    /// Output file [default: standard output]
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Least finished target written: translated (the default: drafts
    /// nobody confirmed keep their source), reviewed, final, or draft /
    /// needs-review-translation to include unreviewed drafts, new for any
    #[arg(long, value_name = "STATE", default_value = "translated", value_parser = min_state)]
    pub min_state: State,
}

fn min_state(s: &str) -> Result<State, String> {
    State::parse(s).ok_or_else(|| {
        "expected new, draft (or an XLIFF state such as needs-review-translation), \
         translated, reviewed or final"
            .into()
    })
}

pub fn run(args: Args, _g: &Global) -> anyhow::Result<u8> {
    let file = std::fs::File::open(&args.file).map_err(|e| transmem::Error::io(&args.file, e))?;
    let docs = xliff_read::read_documents(std::io::BufReader::new(file), &args.file)?;
    let m = xliff_read::merge(&docs, args.min_state);
    match &args.output {
        None => {
            let mut out = super::stdout();
            out.write_all(m.text.as_bytes())?;
            out.flush()?;
        }
        Some(path) => {
            // Written beside the target and renamed into place: a failure
            // never leaves half an article where a good one was.
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let mut b = tempfile::Builder::new();
            b.prefix(".merge.").suffix(".part");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                // An article, not a secret: what a plain create would give
                // (before the umask), not tempfile's private 0600.
                b.permissions(std::fs::Permissions::from_mode(0o644));
            }
            let mut tmp = b
                .tempfile_in(&dir)
                .map_err(|e| transmem::Error::io(&dir, e))?;
            tmp.write_all(m.text.as_bytes())
                .and_then(|_| tmp.flush())
                .map_err(|e| transmem::Error::io(path, e))?;
            tmp.persist(path)
                .map_err(|e| transmem::Error::io(path, e.error))
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    let untranslated = m.kept_source - m.drafts_kept;
    let mut parts = vec![format!("{} translated", m.translated)];
    if m.drafts_kept > 0 {
        parts.push(format!(
            "{} unreviewed draft{} kept as source (`--min-state needs-review-translation` \
             includes {})",
            m.drafts_kept,
            if m.drafts_kept == 1 { "" } else { "s" },
            if m.drafts_kept == 1 { "it" } else { "them" },
        ));
    }
    if untranslated > 0 || m.drafts_kept == 0 {
        parts.push(format!(
            "{untranslated} without translation kept their source"
        ));
    }
    eprintln!(
        "{} segments in {} paragraphs: {}{}",
        m.segments,
        m.paragraphs,
        parts.join(", "),
        match &args.output {
            Some(p) => format!("; written to {}", p.display()),
            None => String::new(),
        }
    );
    Ok(0)
}
