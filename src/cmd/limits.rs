//! The input limits in force: the library's defaults, or the environment's
//! `TRANSMEM_MAX_SEGMENT` and `TRANSMEM_MAX_LINE` (bytes) for a user whose
//! data needs more.

use anyhow::Context;
use transmem::limits::Limits;

/// The limits, checking any override in the environment.
pub fn from_env() -> anyhow::Result<Limits> {
    let mut l = Limits::default();
    for (var, slot) in [
        ("TRANSMEM_MAX_SEGMENT", &mut l.segment),
        ("TRANSMEM_MAX_LINE", &mut l.line),
    ] {
        if let Some(v) = std::env::var_os(var) {
            let v = v.to_string_lossy();
            let n: usize = v
                .trim()
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .with_context(|| format!("{var}={v:?}: expected a number of bytes above 0"))?;
            *slot = n;
        }
    }
    Ok(l)
}
