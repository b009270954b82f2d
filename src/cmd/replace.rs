//! `transmem replace`: search and replace in one language's variants, in
//! one transaction.

use std::io::Write;

use transmem::tm::ReplaceRequest;

use super::{FilterArgs, Global, lang_arg, stdout, terminal_safe};

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
    // The pattern and its group references, checked before anything is
    // read (`$1t` names a group "1t" that does not exist).
    regex::Regex::new(&args.find).map_err(|e| anyhow::anyhow!("--find: {e}"))?;
    transmem::memory::TextReplace::new(&args.find, &args.replace)
        .map_err(|e| anyhow::anyhow!("--{e}"))?;
    let filter = args.filter.filter(std::slice::from_ref(&lang))?;
    let mut tm = g.open(false)?;
    let shown = tm.location().shown();
    let req = ReplaceRequest {
        lang: lang.clone(),
        find: args.find.clone(),
        replace: args.replace.clone(),
        filter,
        dry_run: args.dry_run,
    };
    // Listed, checked (no text left empty) and, unless a dry run, made in
    // one batch; each text checked again inside it.
    let done = tm.replace(&g.batch(), &req)?;
    {
        let mut out = stdout();
        for c in &done.changes {
            writeln!(
                out,
                "unit {} {}:\n- {}\n+ {}",
                c.id,
                c.lang,
                terminal_safe(&c.old),
                terminal_safe(&c.new)
            )?;
        }
        out.flush()?;
    }
    let n = done.changed;
    if n > done.changes.len() as u64 {
        eprintln!(
            "(the first {} of {n} changes are shown)",
            done.changes.len()
        );
    }
    if n == 0 {
        eprintln!("no {lang} text matches; nothing changed");
        return Ok(1);
    }
    let s = if n == 1 { "" } else { "s" };
    if args.dry_run {
        eprintln!("dry run: would change {n} {lang} text{s} in {shown}");
        return Ok(0);
    }
    eprintln!("changed {n} {lang} text{s} in {shown}");
    super::report_batch(done.batch);
    Ok(0)
}
