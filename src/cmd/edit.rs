//! `transmem edit`: change one variant of one unit, keeping its context.

use anyhow::bail;
use transmem::memory::Edited;

use super::{Global, lang_arg, terminal_safe};

/// Change one variant's text; the unit keeps its context, origin and
/// creation data, and records who changed it and when
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Unit id (as `transmem units` shows it)
    pub id: i64,
    /// Language of the variant to change
    #[arg(long, value_name = "LANG")]
    pub lang: String,
    /// The new text
    #[arg(long)]
    pub text: String,
    /// Show the change without writing it
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let lang = lang_arg(&args.lang)?;
    if args.text.trim().is_empty() {
        bail!(
            "--text is empty; to remove a unit use `transmem delete {}`",
            args.id
        );
    }
    let mut mem = g.open_memory(false)?;
    let path = mem.path().to_path_buf();
    let Some(unit) = mem.unit(args.id)? else {
        bail!("there is no unit {} in {}", args.id, path.display());
    };
    let Some(v) = unit.variant(&lang) else {
        let held: Vec<&str> = unit.variants.iter().map(|v| v.lang.as_str()).collect();
        bail!(
            "unit {} has no {lang} variant; it holds {}",
            args.id,
            held.join(", ")
        );
    };
    let tag = v.lang.clone();
    eprintln!(
        "unit {} {tag}:\n- {}\n+ {}",
        args.id,
        terminal_safe(&v.text),
        terminal_safe(&args.text)
    );
    if args.dry_run {
        eprintln!("dry run: nothing written");
        return Ok(0);
    }
    let mut w = mem.writer()?;
    w.start_batch(&super::command_line(), Some(&g.creator()))?;
    let done = w.edit(args.id, &tag, &args.text, Some(&g.creator()))?;
    let batch = w.batch_id();
    w.commit()?;
    match done {
        Edited::Changed(_) => eprintln!("changed 1 variant in {}", super::shown(&path)),
        Edited::Unchanged => eprintln!("the text was already that; nothing changed"),
        // Checked above, in a snapshot; another process removed it since.
        Edited::NoUnit | Edited::NoVariant => {
            bail!(
                "unit {} {tag} was removed meanwhile; nothing changed",
                args.id
            )
        }
    }
    super::report_batch(batch);
    Ok(0)
}
