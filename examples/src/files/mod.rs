//! Chapter "System calls and file systems".
//!
//! * `syscalls`: the kernel's own count of `write` system calls (`syscw` in
//!   `/proc/thread-self/io`) for records written one by one and through a `BufWriter`, and for
//!   a file copied with `read`/`write` and with `sendfile`;
//! * `atomic`: a writer (`files-child`) killed with SIGKILL while it rewrites a file in place
//!   (truncate, then write) and by write-temp, fsync, rename, fsync-the-directory;
//! * `descriptors`: what an inherited or `dup`ed descriptor shares (the offset), what two
//!   `open`s do not, `O_APPEND`, and close-on-exec across a real `exec`;
//! * `links`: hard links share an inode, a symbolic link dangles, an open descriptor outlives
//!   the last name;
//! * `crash`: the browser simulation: every disk state a crash can leave for an update, with
//!   and without a journal, and what recovery makes of it, with a predict mode.

#[cfg(not(target_family = "wasm"))]
pub mod atomic;
pub mod crash;
#[cfg(not(target_family = "wasm"))]
pub mod descriptors;
#[cfg(not(target_family = "wasm"))]
pub mod links;
#[cfg(not(target_family = "wasm"))]
pub mod syscalls;

/// A directory of its own under the system's temporary directory, removed on drop.
#[cfg(not(target_family = "wasm"))]
pub struct TempDir(std::path::PathBuf);

#[cfg(not(target_family = "wasm"))]
impl TempDir {
    pub fn new(what: &str) -> Result<Self, String> {
        Self::new_in(&std::env::temp_dir(), what)
    }

    /// The same under `base`.
    pub fn new_in(base: &std::path::Path, what: &str) -> Result<Self, String> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!("bf-files-{what}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let path = base.join(name);
        std::fs::create_dir(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

#[cfg(not(target_family = "wasm"))]
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    syscalls::COST,
    #[cfg(not(target_family = "wasm"))]
    syscalls::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    syscalls::COPY,
    #[cfg(not(target_family = "wasm"))]
    syscalls::FSYNC,
    #[cfg(not(target_family = "wasm"))]
    descriptors::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    links::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    atomic::EXAMPLE,
    crash::EXAMPLE,
    crash::PREDICT,
];
