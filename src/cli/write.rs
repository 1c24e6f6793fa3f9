//! Writing output files: atomically (temporary file + rename), with the replaced file's mode, through symlinks to
//! the file they name, and straight into FIFOs and devices, never renamed over.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Where an output path's bytes go, decided before anything is written.
pub(crate) enum OutputPlace {
    /// A regular file, or nothing yet, at this path with every symlink resolved: replaced atomically through a
    /// temporary file beside it (a symlink stays a link and its target gets the new text).
    Replace(PathBuf),
    /// A FIFO, a character device (`/dev/null`, a terminal) or a name for an open descriptor (`/dev/stdout`,
    /// `/dev/fd/N`, `/proc/self/fd/N`): written directly, never renamed over (renaming would put a regular file in the
    /// device's place, or write a file the reader never sees).
    Through(PathBuf),
}

/// How many symlinks [`names_open_descriptor`] follows (Linux's own limit).
pub(crate) const MAX_SYMLINKS: usize = 40;

/// Decide where an output named `path` is written. A directory, a block device, a socket and a symlink to nothing are
/// refused: `cp` refuses to write through a dangling symlink too, as what the link should name is a guess.
pub(crate) fn output_place(path: &Path) -> std::io::Result<OutputPlace> {
    let refused = |why: &str| std::io::Error::other(why.to_string());
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match std::fs::symlink_metadata(path) {
                // Something created the file between the two looks (another build writing the same output): it is
                // replaced like any file that was there.
                Ok(meta) if !meta.file_type().is_symlink() => {
                    Ok(OutputPlace::Replace(path.to_path_buf()))
                }
                Ok(_) => Err(refused(
                    "it is a symlink to a file that does not exist (create the file it names, or remove the link)",
                )),
                Err(_) => Ok(OutputPlace::Replace(path.to_path_buf())),
            };
        }
        Err(e) => return Err(e),
    };
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err(refused("it is a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() || kind.is_fifo() {
            return Ok(OutputPlace::Through(path.to_path_buf()));
        }
    }
    if !kind.is_file() {
        return Err(refused(
            "it is not a regular file, a FIFO or a character device",
        ));
    }
    if names_open_descriptor(path) {
        return Ok(OutputPlace::Through(path.to_path_buf()));
    }
    Ok(OutputPlace::Replace(std::fs::canonicalize(path)?))
}

/// Whether `path` (or a symlink on the way from it) names an open file descriptor, as `/dev/stdout` does: its
/// "target" is whatever the descriptor has open, so the file behind it is written, not replaced.
pub(crate) fn names_open_descriptor(path: &Path) -> bool {
    let mut at = path.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        if at.starts_with("/proc") || at.starts_with("/dev/fd") {
            return true;
        }
        match std::fs::read_link(&at) {
            // A relative link is relative to the link's directory; an absolute one replaces the path.
            Ok(to) => at = at.parent().map_or_else(|| to.clone(), |dir| dir.join(&to)),
            Err(_) => return false,
        }
    }
    false
}

/// Write `bytes` to a FIFO, a device or an open descriptor's file, appending as a shell's `>>` would (for `/dev/stdout`
/// redirected to a file, the shell has already truncated it, or means it to grow).
pub(crate) fn write_through(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

/// Rename a flushed temporary file over `file`, which must still be a regular file or nothing: never over a device, a
/// FIFO or a directory that took its place since [`output_place`] looked.
pub(crate) fn replace_with(tmp: tempfile::NamedTempFile, file: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(file) {
        Ok(meta) if !meta.is_file() => {
            return Err(std::io::Error::other(
                "it is no longer a regular file; nothing was renamed over it",
            ))
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    tmp.persist(file).map_err(|e| e.error)?;
    Ok(())
}

/// Write an output file: atomically (temporary file + rename) over a regular file or where none is, through a symlink
/// to its target, and directly into a FIFO or a character device (see [`OutputPlace`]). A file holding resolved
/// secrets is readable by its owner only (0600); any other keeps the mode of the file it replaces, or gets 0644. The
/// one way every command writes a file it was asked to write.
pub fn write_output(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    match output_place(path)? {
        OutputPlace::Through(file) => write_through(&file, bytes),
        OutputPlace::Replace(file) => {
            let tmp = write_temporary(&file, bytes, private)?;
            tmp.as_file().sync_all()?;
            replace_with(tmp, &file)
        }
    }
}

/// Start writing `file`'s data to disk without waiting for it, so that the `fsync` that must come before it is renamed
/// into place finds it (nearly) written: `build --all` flushes its outputs one after another once every target is
/// built, about half a millisecond a file on this project's CI disk, and with this about a tenth of that. On Linux,
/// advising that the data will not be needed (`POSIX_FADV_DONTNEED`) starts the writeback of its dirty pages and
/// returns (what `sync_file_range(SYNC_FILE_RANGE_WRITE)` does, which no safe wrapper offers); pages still being
/// written stay cached. Elsewhere nothing is done here. Nothing is promised either way: errors are ignored, as the
/// `fsync` reports any.
pub(crate) fn start_writeback(file: &std::fs::File) {
    #[cfg(target_os = "linux")]
    let _ = rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::DontNeed);
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// An error's text without the temporary file's path that `tempfile` adds to it.
fn without_temporary_name(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" at path \"") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Create `path` atomically with `bytes`, failing if it exists (also if another process creates it meanwhile).
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = write_temporary(path, bytes, false)?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// The mode an output file at `path` gets: 0600 if `private`; else exactly the mode of the file it replaces
/// (`exact`: set on the open temporary file, where the umask does not apply, so a 0664 file stays 0664); else 0644
/// less the umask, as any new file.
#[cfg(unix)]
pub(crate) struct OutputMode {
    mode: u32,
    exact: bool,
}

#[cfg(unix)]
pub(crate) fn output_mode(path: &Path, private: bool) -> OutputMode {
    use std::os::unix::fs::PermissionsExt;
    let replaced = std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777);
    match (private, replaced) {
        (true, _) => OutputMode {
            mode: 0o600,
            exact: false,
        },
        (false, Some(mode)) => OutputMode { mode, exact: true },
        (false, None) => OutputMode {
            mode: 0o644,
            exact: false,
        },
    }
}

/// [`write_output`] for a file that holds no resolved secret (readers see the old file or the new one, never a torn
/// one; the file keeps the mode of the one it replaces, or gets 0644).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_output(path, bytes, false)
}

/// `bytes` in a new temporary file in `path`'s directory (created if missing), with the mode the output at `path`
/// gets ([`output_mode`]), not yet flushed or renamed. Every output file is made here.
pub(crate) fn write_temporary(
    path: &Path,
    bytes: &[u8],
    private: bool,
) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tuskc-").suffix(".tmp");
    // The temporary file is created with the final mode (less the umask), so a private file is never readable by
    // others; a replaced file's mode is then set exactly, past the umask.
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        let mode = output_mode(path, private);
        builder.permissions(std::fs::Permissions::from_mode(mode.mode));
        mode
    };
    #[cfg(not(unix))]
    let _ = private;
    // tempfile names its random file in the error ("... at path \"/abs/.tuskc-Xyz.tmp\""): a name that differs on
    // every run and was never the user's. The error is the output's (the caller names it).
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|e| std::io::Error::new(e.kind(), without_temporary_name(&e)))?;
    #[cfg(unix)]
    if mode.exact {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode.mode))?;
    }
    tmp.write_all(bytes)?;
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_write_error_does_not_name_the_temporary_file() {
        // What tempfile reports when the directory refuses a new file.
        let dir = tempfile::tempdir().unwrap();
        let e = std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "Operation not permitted (os error 1) at path \"{}/.tuskc-4sQv4z.tmp\"",
                dir.path().display()
            ),
        );
        assert_eq!(
            super::without_temporary_name(&e),
            "Operation not permitted (os error 1)"
        );
        let plain = std::io::Error::other("disk full");
        assert_eq!(super::without_temporary_name(&plain), "disk full");
    }
}
