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
    let mut tm = g.open(false)?;
    let shown = tm.location().shown();
    let Some(unit) = tm.unit(args.id)? else {
        bail!("there is no unit {} in {shown}", args.id);
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
    let done = tm.edit(&g.batch(), args.id, &tag, &args.text)?;
    match done.edited {
        Edited::Changed(_) => eprintln!("changed 1 variant in {shown}"),
        Edited::Unchanged => eprintln!("the text was already that; nothing changed"),
        // Checked above, in a snapshot; another process removed it since.
        Edited::NoUnit | Edited::NoVariant => {
            bail!(
                "unit {} {tag} was removed meanwhile; nothing changed",
                args.id
            )
        }
    }
    super::report_batch(done.batch);
    Ok(0)
}
