//! The one way to write an output file (`export -o`, `pretranslate -o`,
//! `align -o`): never over the memory or its derived files, and never a
//! half-written or stray file.
//!
//! The content goes to a temporary file created with `O_EXCL` under an
//! unpredictable name in the target's folder (the `tempfile` crate), so a
//! symlink planted at a predictable name (the old `FILE.PID.part`) cannot
//! redirect the write. It is flushed, synced and renamed over the target
//! only when complete; on any error (full disk, write error, a failed
//! export) or panic it is removed, and the target is untouched.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Writes `target` through `write`, atomically. `memory` is the memory
/// file in use (none for a database or server): a target that is the
/// memory or one of its derived files (`-wal`, `-shm`, `-journal`,
/// `.match-*` indexes and their temporaries) is refused before anything is
/// written.
pub fn write_file<T>(
    target: &Path,
    memory: Option<&Path>,
    write: impl FnOnce(&mut BufWriter<File>) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    refuse_memory_files(target, memory)?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .with_context(|| format!("{}: not a file name", target.display()))?;
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".part");
    #[cfg(unix)]
    {
        // tempfile creates 0600; an output file is an ordinary document.
        // An existing target keeps its mode.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(target)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    let tmp = builder
        .tempfile_in(&dir)
        .map_err(|e| transmem::Error::io(&dir, e))?;
    let tmp_path = tmp.path().to_path_buf();
    // From here every early return drops `tmp`, which deletes the file.
    let (file, tmp_path_guard) = tmp.into_parts();
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let value = write(&mut out)?;
    let file = out
        .into_inner()
        .map_err(|e| transmem::Error::io(&tmp_path, e.into_error()))?;
    file.sync_all()
        .map_err(|e| transmem::Error::io(&tmp_path, e))?;
    drop(file);
    tmp_path_guard
        .persist(target)
        .map_err(|e| transmem::Error::io(target, e.error))?;
    Ok(value)
}

/// Refuses a `target` that is `memory` or one of the files SQLite and
/// transmem keep beside it, by name (also when they do not exist yet) and,
/// for existing files, by identity (a link to the memory under another
/// name).
pub fn refuse_memory_files(target: &Path, memory: Option<&Path>) -> anyhow::Result<()> {
    let Some(memory) = memory else {
        return Ok(());
    };
    let t = absolute(target);
    let m = absolute(memory);
    let derived = match (t.parent(), m.parent(), t.file_name(), m.file_name()) {
        (Some(tp), Some(mp), Some(tn), Some(mn)) if tp == mp => {
            let (tn, mn) = (tn.to_string_lossy(), mn.to_string_lossy());
            tn == mn
                || tn.strip_prefix(&*mn).is_some_and(|rest| {
                    matches!(rest, "-wal" | "-shm" | "-journal") || rest.starts_with(".match-")
                })
        }
        _ => false,
    };
    if derived || same_file(target, memory) {
        bail!(
            "{}: refusing to write over the memory {} or one of its files (choose another output file)",
            target.display(),
            memory.display()
        );
    }
    Ok(())
}

/// `p` made absolute with its folder's symlinks resolved (the file itself
/// need not exist).
fn absolute(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match (dir.canonicalize(), p.file_name()) {
        (Ok(d), Some(n)) => d.join(n),
        _ => p.to_path_buf(),
    }
}

/// True when both paths exist and are the same file (hard links too).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
        false
    }
    #[cfg(not(unix))]
    {
        matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
    }
}

/// For callers that produce their output first: writes `bytes`.
pub fn write_bytes(target: &Path, memory: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    write_file(target, memory, |w| {
        w.write_all(bytes)
            .map_err(|e| transmem::Error::io(target, e))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_and_derived_names_are_refused() {
        let dir = tempfile::TempDir::new().unwrap();
        let mem = dir.path().join("m.sqlite");
        std::fs::write(&mem, b"memory").unwrap();
        for name in [
            "m.sqlite",
            "m.sqlite-wal",
            "m.sqlite-shm",
            "m.sqlite-journal",
            "m.sqlite.match-en.idx",
            "m.sqlite.match-ru.tmp123",
        ] {
            let t = dir.path().join(name);
            let err = write_bytes(&t, Some(&mem), b"x").unwrap_err().to_string();
            assert!(
                err.contains("refusing to write over the memory"),
                "{name}: {err}"
            );
        }
        // Through another spelling of the folder, and through a hard link.
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let odd = sub.join("..").join("m.sqlite-wal");
        assert!(write_bytes(&odd, Some(&mem), b"x").is_err());
        let link = dir.path().join("link.tmx");
        std::fs::hard_link(&mem, &link).unwrap();
        assert!(write_bytes(&link, Some(&mem), b"x").is_err());
        assert_eq!(std::fs::read(&mem).unwrap(), b"memory");
        // A neighbour with a similar name is fine.
        let ok = dir.path().join("m.sqlite.tmx");
        write_bytes(&ok, Some(&mem), b"fine").unwrap();
        assert_eq!(std::fs::read(&ok).unwrap(), b"fine");
    }

    #[test]
    fn a_failed_write_leaves_neither_temp_file_nor_change() {
        let dir = tempfile::TempDir::new().unwrap();
        let mem = dir.path().join("m.sqlite");
        let target = dir.path().join("out.tmx");
        std::fs::write(&target, b"old").unwrap();
        let err = write_file(&target, Some(&mem), |w| -> anyhow::Result<()> {
            w.write_all(b"partial")?;
            bail!("export failed half way")
        })
        .unwrap_err();
        assert!(err.to_string().contains("half way"));
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from("out.tmx")]);
        write_bytes(&target, Some(&mem), b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_not_followed() {
        let dir = tempfile::TempDir::new().unwrap();
        let mem = dir.path().join("m.sqlite");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        // The name the old code used in this process.
        let target = dir.path().join("out.tmx");
        let old = dir
            .path()
            .join(format!("out.tmx.{}.part", std::process::id()));
        std::os::unix::fs::symlink(&victim, old).unwrap();
        write_bytes(&target, Some(&mem), b"export").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(std::fs::read(&target).unwrap(), b"export");
    }
}
