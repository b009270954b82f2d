//! `transmem concordance` (placeholder: its issue builds it).

use super::Global;

/// Not built yet.
#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args, _g: &Global) -> anyhow::Result<u8> {
    anyhow::bail!("`concordance` is not built yet")
}
