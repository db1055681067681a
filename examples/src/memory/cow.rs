//! Copy-on-write after `fork`, observed: the child starts with the parent's pages, shared and
//! write-protected; reading them costs nothing, and the first write to each costs a minor fault
//! and a private copy. The child counts its own faults (`getrusage`) and takes two snapshots of
//! `/proc/self/smaps`, which the parent reads from a pipe and compares.
//!
//! Between `fork` and `_exit` the child makes only system calls (getrusage, open, read, write,
//! close) on buffers allocated before the fork, the rule for a child of a threaded process (it
//! may not take a lock another thread held at the fork). The example runs in `memory-child`,
//! which has one thread, but the code does not rely on that.

use crate::memory::sys::{self, PAGE, Region, Smaps, Thp};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "memory::copy_on_write",
    title: "Copy-on-write after fork: reads share, each written page is copied",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it forks a real process and reads its page accounting in /proc",
        simulation: Some("memory::translate"),
    },
    run: Run::Text(run),
};

/// 8 MiB in the parent; the child writes a quarter of it.
const PAGES: usize = 2048;
const WRITTEN: usize = PAGES / 4;
const SMAPS_BUFFER: usize = 4 << 20;

/// What the child reports: its fault counts after each phase, and smaps before and after.
struct ChildReport {
    read_faults: u64,
    write_faults: u64,
    rewrite_faults: u64,
    before: Smaps,
    after: Smaps,
}

/// Reads all of `path` into `buffer` with raw system calls; the bytes read.
fn read_file_raw(path: &std::ffi::CStr, buffer: &mut [u8]) -> usize {
    // SAFETY: plain system calls on a buffer we own.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_RDONLY);
        if fd < 0 {
            return 0;
        }
        let mut len = 0;
        while len < buffer.len() {
            let n = libc::read(fd, buffer[len..].as_mut_ptr().cast(), buffer.len() - len);
            if n <= 0 {
                break;
            }
            len += n as usize;
        }
        libc::close(fd);
        len
    }
}

fn write_all_raw(fd: i32, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writing from a buffer we own.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

// ANCHOR: example
fn fork_and_write(region: &Region) -> Result<ChildReport, String> {
    // Everything the child needs exists before the fork.
    let mut before_buf = vec![0u8; SMAPS_BUFFER];
    let mut after_buf = vec![0u8; SMAPS_BUFFER];
    let path = c"/proc/self/smaps";
    let mut fds = [0i32; 2];
    // SAFETY: pipe fills the two descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(format!("pipe: {}", std::io::Error::last_os_error()));
    }
    let (read_end, write_end) = (fds[0], fds[1]);
    // SAFETY: the child runs only system calls on memory allocated above, then _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        // The child. Every page of the region is the parent's, shared read-only.
        let before_len = read_file_raw(path, &mut before_buf);
        let f0 = sys::minor_faults();
        let _ = region.read_pages(0, WRITTEN); // read a quarter: shared, no copy
        let f1 = sys::minor_faults();
        region.write_pages(0, WRITTEN, 7); // write the same quarter: a copy each
        let f2 = sys::minor_faults();
        region.write_pages(0, WRITTEN, 8); // and again: already private
        let f3 = sys::minor_faults();
        let after_len = read_file_raw(path, &mut after_buf);
        let numbers = [f1 - f0, f2 - f1, f3 - f2, before_len as u64, after_len as u64];
        for n in numbers {
            write_all_raw(write_end, &n.to_le_bytes());
        }
        write_all_raw(write_end, &before_buf[..before_len]);
        write_all_raw(write_end, &after_buf[..after_len]);
        // SAFETY: ends the child without running the parent's destructors or atexit handlers.
        unsafe { libc::_exit(0) };
    }
    // The parent: read everything, then reap the child.
    // SAFETY: closing our copy of the write end, so read sees end of file when the child exits.
    unsafe { libc::close(write_end) };
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        // SAFETY: reading into a buffer we own.
        let n = unsafe { libc::read(read_end, chunk.as_mut_ptr().cast(), chunk.len()) };
        if n <= 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n as usize]);
    }
    let mut status = 0;
    // SAFETY: closing our descriptor and waiting for our own child.
    unsafe {
        libc::close(read_end);
        libc::waitpid(pid, &mut status, 0);
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 || bytes.len() < 40 {
        return Err(format!("the child failed (wait status {status}, {} bytes reported)", bytes.len()));
    }
    let number = |i: usize| u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes"));
    let (before_len, after_len) = (number(3) as usize, number(4) as usize);
    let text = |from: usize, len: usize| String::from_utf8_lossy(&bytes[from..from + len]).into_owned();
    Ok(ChildReport {
        read_faults: number(0),
        write_faults: number(1),
        rewrite_faults: number(2),
        before: region.smaps_entry(&text(40, before_len))?,
        after: region.smaps_entry(&text(40 + before_len, after_len))?,
    })
}
// ANCHOR_END: example

pub fn copy_on_write() -> Result<String, String> {
    let region = Region::new(PAGES * PAGE, PAGE, Thp::Never)?;
    region.write_pages(0, PAGES, 1); // the parent's own, private, dirty pages
    let parent = region.smaps()?;
    let report = fork_and_write(&region)?;
    let total_kb = (PAGES * PAGE / 1024) as f64;
    let share = |kb: u64| kb as f64 / total_kb;
    let mut out = String::new();
    out.push_str(&format!(
        "parent: {PAGES} pages written; Private_Dirty / Rss = {}\n",
        sys::ratio_class(share(parent.private_dirty_kb), 0.02)
    ));
    out.push_str(&format!(
        "child, right after fork: Shared_Dirty = {} of the region, Private_Dirty = {}, Pss / Rss = {}\n",
        sys::ratio_class(share(report.before.shared_dirty_kb), 0.02),
        sys::ratio_class(share(report.before.private_dirty_kb), 0.02),
        half_class(report.before.pss_kb as f64 / report.before.rss_kb.max(1) as f64)
    ));
    let k = WRITTEN as f64;
    out.push_str(&format!(
        "child reads {WRITTEN} pages: faults per page {}\n",
        sys::ratio_class(report.read_faults as f64 / k, 0.05)
    ));
    out.push_str(&format!(
        "child writes those {WRITTEN} pages: faults per page {}\n",
        sys::ratio_class(report.write_faults as f64 / k, 0.05)
    ));
    out.push_str(&format!(
        "child writes them again: faults per page {}\n",
        sys::ratio_class(report.rewrite_faults as f64 / k, 0.05)
    ));
    let copied = report.after.private_dirty_kb.saturating_sub(report.before.private_dirty_kb);
    out.push_str(&format!(
        "child's Private_Dirty grew by {} of the pages it wrote; Shared_Dirty fell by {}\n",
        sys::ratio_class(copied as f64 / (k * 4.0), 0.02),
        sys::ratio_class(
            report.before.shared_dirty_kb.saturating_sub(report.after.shared_dirty_kb) as f64 / (k * 4.0),
            0.02
        )
    ));
    Ok(out)
}

/// `0.5 (±2%)` when a ratio is about one half (each shared page counts half in Pss).
fn half_class(ratio: f64) -> String {
    if (ratio - 0.5).abs() <= 0.01 { "0.5 (±2%)".to_string() } else { format!("{ratio:.3} (not about 0.5)") }
}

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    super::run_in_child("cow").map_err(InputError::new)
}
