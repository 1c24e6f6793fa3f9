//! Reading a file the user named: sources, the manifest, `--env-file`, `--json-schema`, `drift --actual`, secrets
//! stores and identity files all go through [`open`] or [`read`].
//!
//! Owns the rule "tuskc reads regular files only". Opening a FIFO for reading blocks until a writer appears (forever,
//! if none does), and a device (`/dev/zero`, a terminal) never ends or has side effects when opened. So the type is
//! checked before opening (following symlinks), the file is opened non-blocking where the platform allows it, and
//! the opened handle is checked again, so a FIFO swapped in between the two steps cannot hang either. A file that is
//! not regular is an `io::Error` like any other unreadable file: each caller reports it with the code it already uses
//! for one.

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// TSK0001 for a file the user named that cannot be read: `what` names it as the message shows it (`` `x.tsk` ``,
/// ``env file `.env` ``). The one place the reason and the help for an unreadable file are worded.
pub fn read_error(what: &str, e: &std::io::Error) -> crate::diagnostic::Diagnostic {
    use std::io::ErrorKind;
    let reason = match e.kind() {
        ErrorKind::NotFound => "no such file or directory".to_string(),
        _ => e.to_string(),
    };
    let help = match e.kind() {
        ErrorKind::NotFound => {
            "check the spelling: a relative path starts at the directory tuskc runs in".to_string()
        }
        ErrorKind::PermissionDenied => "give your user read permission on it".to_string(),
        ErrorKind::InvalidData => "re-encode it as UTF-8 text".to_string(),
        _ => "name a regular file you can read (tuskc does not read directories, FIFOs or devices)"
            .to_string(),
    };
    crate::diagnostic::Diagnostic::error(
        crate::diagnostic::Code::Io,
        format!("cannot read {what}: {reason}"),
    )
    .help(help)
}

/// `O_NONBLOCK` (not a dependency on `libc` for one constant). Linux's value differs on a few architectures (alpha,
/// mips, sparc, parisc), so it is named only where it is known; elsewhere the two type checks remain.
#[cfg(unix)]
const O_NONBLOCK: i32 = if cfg!(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
)) {
    0x0004
} else if cfg!(all(
    any(target_os = "linux", target_os = "android"),
    any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64",
        target_arch = "powerpc64",
        target_arch = "s390x",
        target_arch = "loongarch64"
    )
)) {
    0o4000
} else {
    0
};

/// Open `path` for reading if it is a regular file (after following symlinks); never blocks on a FIFO or device.
pub fn open(path: &Path) -> std::io::Result<File> {
    regular(&std::fs::metadata(path)?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(O_NONBLOCK);
    }
    let file = options.open(path)?;
    regular(&file.metadata()?)?;
    Ok(file)
}

/// The bytes of the regular file at `path` (see [`open`]).
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = open(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The UTF-8 text of the regular file at `path` (see [`open`]); not UTF-8 is `InvalidData`, as `fs::read_to_string`.
pub fn read_to_string(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read(path)?).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// `Ok` for a regular file, else an error naming what it is.
fn regular(meta: &std::fs::Metadata) -> std::io::Result<()> {
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let what = if kind.is_dir() {
        "a directory"
    } else {
        special_kind(&kind)
    };
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("not a regular file (it is {what})"),
    ))
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_kind: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// Lexically tidy a path: drop `.`, fold `a/..`. Used for display names only.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}
