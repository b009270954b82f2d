//! `transmem replace`: search and replace in one language's variants, in
//! one transaction.

use std::io::Write;

use anyhow::bail;
use transmem::memory::Edited;

use super::units::FilterArgs;
use super::{Global, lang_arg, stdout, terminal_safe};

/// Replace a regular expression in one language's texts, in one batch
///
/// Every change is shown as a diff with --dry-run (nothing is written);
/// without it, all changes are made in one transaction and recorded as one
/// batch that `transmem undo` reverts.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Language whose texts change
    #[arg(long, value_name = "LANG")]
    pub lang: String,
    /// Regular expression to find ((?i) for any case)
    #[arg(long, value_name = "REGEX")]
    pub find: String,
    /// Replacement text; $1 or ${name} insert groups, $$ a dollar sign
    #[arg(long, value_name = "TEXT")]
    pub replace: String,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Show each change as a diff; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let lang = lang_arg(&args.lang)?;
    let re = transmem::memory::TextReplace::new(&args.find, &args.replace)
        .map_err(|e| anyhow::anyhow!("--find/--replace: {e}"))?;
    let filter = args.filter.filter(std::slice::from_ref(&lang), None)?;
    let mut mem = g.open_memory(false)?;
    let path = mem.path().to_path_buf();
    // (unit, exact tag, old, new)
    let mut changes: Vec<(i64, String, String, String)> = Vec::new();
    mem.for_each_unit_filtered(&filter, |u| {
        if let Some(v) = u.variant(&lang)
            && let Some(new) = re.apply(&v.text)
        {
            changes.push((
                u.id.unwrap_or_default(),
                v.lang.clone(),
                v.text.clone(),
                new,
            ));
        }
        Ok(())
    })?;
    {
        let mut out = stdout();
        for (id, tag, old, new) in &changes {
            writeln!(
                out,
                "unit {id} {tag}:\n- {}\n+ {}",
                terminal_safe(old),
                terminal_safe(new)
            )?;
        }
        out.flush()?;
    }
    if changes.is_empty() {
        eprintln!("no {lang} text matches; nothing changed");
        return Ok(1);
    }
    if let Some((id, ..)) = changes.iter().find(|c| c.3.trim().is_empty()) {
        bail!("the replacement would leave unit {id} with an empty {lang} text; nothing changed");
    }
    let n = changes.len();
    let s = if n == 1 { "" } else { "s" };
    if args.dry_run {
        eprintln!(
            "dry run: would change {n} {lang} text{s} in {}",
            super::shown(&path)
        );
        return Ok(0);
    }
    let mut w = mem.writer()?;
    w.start_batch(&super::command_line(), Some(&g.creator()))?;
    for (id, tag, old, new) in &changes {
        // Re-read inside the transaction: a text changed by another
        // process since the listing is not overwritten blindly.
        let now = w.unit(*id)?;
        let current = now
            .as_ref()
            .and_then(|u| u.variants.iter().find(|v| &v.lang == tag))
            .map(|v| v.text.as_str());
        if current != Some(old.as_str()) {
            bail!("unit {id} {tag} changed while replacing; nothing changed, run it again");
        }
        match w.edit(*id, tag, new, Some(&g.creator()))? {
            Edited::Changed(_) => {}
            other => bail!("unit {id} {tag}: {other:?}; nothing changed"),
        }
    }
    let batch = w.batch_id();
    w.commit()?;
    eprintln!("changed {n} {lang} text{s} in {}", super::shown(&path));
    super::report_batch(batch);
    Ok(0)
}
