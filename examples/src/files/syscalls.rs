//! Counting real system calls with the kernel's own counters: `syscw` and `syscr` in
//! `/proc/thread-self/io` (proc(5)) count the `write`- and `read`-family calls this thread made.
//! They are per thread, so the test harness's other threads do not disturb them.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;

use super::TempDir;
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};
use crate::yes;

pub const EXAMPLE: Example = Example {
    id: "files::write_syscalls",
    title: "Small records written one by one and through a BufWriter, counted by the kernel",
    file: file!(),
    default_input: "records = 10000\nrecord_bytes = 32\n",
    input_help: "`records = N` (100 to 100,000) and `record_bytes = N` (8 to 1,024)",
    runs: Runs::NativeOnly {
        reason: "it counts this process's real write system calls in /proc, which a browser has no access to",
        simulation: Some("files::crash"),
    },
    run: Run::Text(run),
};

pub const COPY: Example = Example {
    id: "files::copy_syscalls",
    title: "Copying a file: read and write through a buffer, or sendfile in the kernel",
    file: file!(),
    default_input: "megabytes = 4\nbuffer_kib = 64\n",
    input_help: "`megabytes = N` (1 to 64) to copy, `buffer_kib = N` (4 to 1,024) for the read/write loop",
    runs: Runs::NativeOnly {
        reason: "it copies real files and counts real system calls in /proc",
        simulation: Some("files::crash"),
    },
    run: Run::Text(run_copy),
};

pub const COST: Example = Example {
    id: "files::syscall_cost",
    title: "What a system call costs: getppid against clock_gettime through the vDSO",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it times real system calls, which a browser cannot make",
        simulation: Some("files::crash"),
    },
    run: Run::Text(run_cost),
};

fn run_cost(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    Ok(syscall_cost())
}

// ANCHOR: cost
/// The fastest of 20 batches of 20,000 calls, in nanoseconds per call: the minimum is what the
/// call costs when nothing else (another process, an interrupt) gets in the way.
fn per_call(mut call: impl FnMut()) -> f64 {
    const BATCH: u32 = 20_000;
    (0..20)
        .map(|_| {
            let start = std::time::Instant::now();
            for _ in 0..BATCH {
                call();
            }
            start.elapsed().as_nanos() as f64 / f64::from(BATCH)
        })
        .fold(f64::INFINITY, f64::min)
}

pub fn syscall_cost() -> String {
    // getppid(2) always enters the kernel: glibc does not cache it.
    let syscall = per_call(|| {
        std::hint::black_box(unsafe { libc::getppid() });
    });
    // clock_gettime(2) is answered in user space by the vDSO, from a page the kernel maps into
    // every process: no mode switch.
    let vdso = per_call(|| {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        std::hint::black_box(unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) });
    });
    // Only facts with a wide margin on any current x86-64 or Arm machine: a vDSO call is about
    // 20 ns, a trivial system call 40 ns (bare metal, no KPTI) to a few hundred.
    format!(
        "clock_gettime (vDSO, no kernel entry) under 100 ns per call: {}\n\
         getppid (a real system call) under 5 µs per call:           {}\n\
         the system call costs at least 2× the vDSO call:            {}\n",
        yes(vdso < 100.0),
        yes(syscall < 5000.0),
        yes(syscall >= 2.0 * vdso)
    )
}
// ANCHOR_END: cost

pub const FSYNC: Example = Example {
    id: "files::fsync_cost",
    title: "What durability costs: a 4 KiB write to the page cache, and the same write with fdatasync",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it times real writes and fdatasync calls on this machine's disk",
        simulation: Some("files::crash"),
    },
    run: Run::Text(run_fsync),
};

fn run_fsync(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    fsync_cost().map_err(InputError::new)
}

// ANCHOR: fsync
pub fn fsync_cost() -> Result<String, String> {
    // On tmpfs fdatasync has no disk to wait for: find a directory on a real file system.
    let Some(base) = disk_directory() else {
        return Ok(
            "skipped: every candidate directory is in memory (tmpfs), with no disk to wait for\n".into()
        );
    };
    let dir = TempDir::new_in(&base, "fsync")?;
    let file = File::create(dir.path().join("data.bin")).map_err(|e| e.to_string())?;
    let page = [7u8; 4096];
    let time = |n: u32, sync: bool| -> Result<f64, String> {
        let start = std::time::Instant::now();
        for _ in 0..n {
            file.write_all_at(&page, 0).map_err(|e| e.to_string())?; // overwrite the same 4 KiB
            if sync {
                file.sync_data().map_err(|e| format!("fdatasync: {e}"))?;
            }
        }
        Ok(start.elapsed().as_nanos() as f64 / f64::from(n))
    };
    time(1, true)?; // allocate the block once, so that later calls only overwrite it
    // The median of 5 batches for each: typical, not the luckiest run.
    let mut buffered = Vec::new();
    let mut durable = Vec::new();
    for _ in 0..5 {
        buffered.push(time(200, false)?);
        durable.push(time(10, true)?);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ratio = median(durable) / median(buffered);
    Ok(format!(
        "a 4 KiB write to the page cache, then the same write followed by fdatasync,\n\
         in a directory on a disk-backed file system (not tmpfs):\n\
         fdatasync makes it at least 5× slower (medians of 5 batches): {}\n",
        if ratio >= 5.0 { "yes" } else { "no" }
    ))
}

/// The system's temporary directory if it is on a disk, else the directory of this program
/// (under Cargo's target directory), else nothing. tmpfs and ramfs live in memory.
fn disk_directory() -> Option<std::path::PathBuf> {
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    const RAMFS_MAGIC: i64 = 0x8584_58f6;
    const OVERLAYFS_SUPER_MAGIC: i64 = 0x794c_7630;
    // Cannot tell (statfs failed): do not use it.
    let in_memory = |dir: &std::path::Path| fs_type(dir).is_none_or(|t| t == TMPFS_MAGIC || t == RAMFS_MAGIC);
    // An overlay (a container's root) is usually on a disk, but its upper layer may be tmpfs:
    // use it only if nothing better is found.
    let is_overlay = |dir: &std::path::Path| fs_type(dir) == Some(OVERLAYFS_SUPER_MAGIC);
    let exe_dir = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|d| d.to_path_buf()));
    let candidates: Vec<_> =
        [Some(std::env::temp_dir()), exe_dir].into_iter().flatten().filter(|dir| !in_memory(dir)).collect();
    candidates.iter().find(|dir| !is_overlay(dir)).or(candidates.first()).cloned()
}
// ANCHOR_END: fsync

/// statfs(2)'s `f_type`: the magic number of the file system that holds `dir`.
fn fs_type(dir: &std::path::Path) -> Option<i64> {
    let c_path = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statfs is plain data; zero is a valid value for every field.
    let mut stat: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a statfs buffer of the right type.
    if unsafe { libc::statfs(c_path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    #[allow(clippy::unnecessary_cast)] // f_type's type differs between architectures
    Some(stat.f_type as i64)
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["records", "record_bytes"])?;
    let records = params.number_or("records", 100usize, 100_000, 10_000)?;
    let size = params.number_or("record_bytes", 8usize, 1024, 32)?;
    count_writes(records, size).map_err(InputError::new)
}

// ANCHOR: counter
/// This thread's counters in `/proc/thread-self/io`, read with one `pread` each time, so that
/// reading them costs exactly one read call.
pub struct IoCounter(File);

impl IoCounter {
    pub fn new() -> Result<Self, String> {
        File::open("/proc/thread-self/io")
            .map(IoCounter)
            .map_err(|e| format!("opening /proc/thread-self/io: {e}"))
    }

    /// (`syscr`, `syscw`): read- and write-family system calls this thread has made.
    pub fn counts(&self) -> Result<(u64, u64), String> {
        let mut buf = [0u8; 512];
        let n = self.0.read_at(&mut buf, 0).map_err(|e| format!("reading /proc/thread-self/io: {e}"))?;
        let text = String::from_utf8_lossy(&buf[..n]);
        let field = |name: &str| -> Result<u64, String> {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':').map(str::trim))
                .ok_or(format!("no `{name}` in /proc/thread-self/io"))?
                .parse()
                .map_err(|e| format!("`{name}`: {e}"))
        };
        Ok((field("syscr")?, field("syscw")?))
    }

    /// The (read, write) calls `work` makes, by the kernel's count, without the one `pread`
    /// that reading the counters costs.
    pub fn during(&self, work: impl FnOnce() -> Result<(), String>) -> Result<(u64, u64), String> {
        let (r0, w0) = self.counts()?;
        work()?;
        let (r1, w1) = self.counts()?;
        Ok((r1 - r0 - 1, w1 - w0))
    }
}
// ANCHOR_END: counter

// ANCHOR: example
pub fn count_writes(records: usize, size: usize) -> Result<String, String> {
    let dir = TempDir::new("writes")?;
    let record: Vec<u8> = (0..size).map(|i| if i + 1 == size { b'\n' } else { b'x' }).collect();
    let io = |e: std::io::Error| e.to_string();

    // One write(2) per record: File's write goes straight to the kernel.
    let counter = IoCounter::new()?;
    let (_, raw) = counter.during(|| {
        let mut file = File::create(dir.path().join("raw.log")).map_err(io)?;
        for _ in 0..records {
            file.write_all(&record).map_err(io)?;
        }
        Ok(())
    })?;

    // The same records through an 8 KiB user-space buffer.
    let (_, buffered) = counter.during(|| {
        let mut file = BufWriter::new(File::create(dir.path().join("buffered.log")).map_err(io)?);
        for _ in 0..records {
            file.write_all(&record).map_err(io)?;
        }
        file.flush().map_err(io) // the last, partly filled buffer
    })?;

    let same = fs::read(dir.path().join("raw.log")).map_err(io)?
        == fs::read(dir.path().join("buffered.log")).map_err(io)?;
    // BufWriter writes its buffer out when the next record would not fit: floor(8192 / size)
    // records per write, and the rest at the flush.
    let per_write = (8192 / size).max(1);
    let predicted = records.div_ceil(per_write) as u64;
    let mut out = format!(
        "{records} records of {size} bytes ({} bytes), the same file contents: {}\n",
        records * size,
        yes(same)
    );
    out.push_str(&format!(
        "write(2) calls, counted by the kernel (syscw):\n  one write per record: {raw} ({})\n  through BufWriter:    {buffered} ({})\n",
        if raw == records as u64 { "one per record, as expected".to_string() } else { format!("expected {records}") },
        if buffered == predicted {
            format!("{per_write} records per 8 KiB buffer, as predicted")
        } else {
            format!("predicted {predicted}")
        }
    ));
    out.push_str(&format!("ratio: {} fewer system calls\n", ratio_class(raw, buffered)));
    Ok(out)
}
// ANCHOR_END: example

/// `about 250×`: the ratio rounded to two significant digits, a class rather than a measurement.
fn ratio_class(many: u64, few: u64) -> String {
    if few == 0 {
        return "infinitely".into();
    }
    let ratio = many as f64 / few as f64;
    let magnitude = 10f64.powi(ratio.log10().floor() as i32 - 1).max(1.0);
    format!("about {}×", ((ratio / magnitude).round() * magnitude) as u64)
}

fn run_copy(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["megabytes", "buffer_kib"])?;
    let megabytes = params.number_or("megabytes", 1usize, 64, 4)?;
    let buffer_kib = params.number_or("buffer_kib", 4usize, 1024, 64)?;
    copy_counts(megabytes << 20, buffer_kib << 10).map_err(InputError::new)
}

// ANCHOR: copy
pub fn copy_counts(len: usize, buffer: usize) -> Result<String, String> {
    let dir = TempDir::new("copy")?;
    let io = |e: std::io::Error| e.to_string();
    let source = dir.path().join("source.bin");
    fs::write(&source, (0..len).map(|i| (i % 251) as u8).collect::<Vec<u8>>()).map_err(io)?;

    let counter = IoCounter::new()?;
    // 1. read into a user-space buffer, write it out: every byte crosses into the process and back.
    let (loop_reads, loop_writes) = counter.during(|| {
        let mut from = File::open(&source).map_err(io)?;
        let mut to = File::create(dir.path().join("copy1.bin")).map_err(io)?;
        let mut buf = vec![0u8; buffer];
        loop {
            let n = from.read(&mut buf).map_err(io)?;
            if n == 0 {
                return Ok(());
            }
            to.write_all(&buf[..n]).map_err(io)?;
        }
    })?;

    // 2. sendfile(2): the kernel moves the bytes from one file to the other; none enter the process.
    let (send_reads, send_writes) = counter.during(|| {
        let from = File::open(&source).map_err(io)?;
        let to = File::create(dir.path().join("copy2.bin")).map_err(io)?;
        let mut left = len;
        while left > 0 {
            // SAFETY: two open descriptors; a null offset means "from the current position".
            let n = unsafe { libc::sendfile(to.as_raw_fd(), from.as_raw_fd(), std::ptr::null_mut(), left) };
            if n <= 0 {
                return Err(format!("sendfile: {}", std::io::Error::last_os_error()));
            }
            left -= n as usize;
        }
        Ok(())
    })?;

    let original = fs::read(&source).map_err(io)?;
    let same = |name: &str| fs::read(dir.path().join(name)).map(|c| c == original).unwrap_or(false);
    let mut out = format!("copying {} MiB\n", len >> 20);
    out.push_str(&format!(
        "  read + write, {} KiB buffer: {} read calls, {} write calls, {} MiB copied through user space; copy identical: {}\n",
        buffer >> 10,
        loop_reads,
        loop_writes,
        len >> 20,
        yes(same("copy1.bin"))
    ));
    // sendfile counts as one read and one write call in the kernel's counters.
    out.push_str(&format!(
        "  sendfile:                    {} call(s), 0 bytes through user space (by construction); copy identical: {}\n",
        send_writes,
        yes(same("copy2.bin"))
    ));
    let loop_calls = loop_reads + loop_writes;
    out.push_str(&format!(
        "  system calls: {} for the loop (one read per buffer, one write per buffer, one read that finds the end), {} for sendfile (syscr and syscw move together: {})\n",
        loop_calls,
        send_writes,
        yes(send_reads == send_writes)
    ));
    Ok(out)
}
// ANCHOR_END: copy

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_write_per_record_and_one_per_buffer() {
        let out = count_writes(1000, 32).unwrap();
        assert!(out.contains("one write per record: 1000 (one per record"), "{out}");
        // 8192 / 32 = 256 records per buffer; 1000 records need ceil(1000 / 256) = 4 writes.
        assert!(out.contains("through BufWriter:    4 (256 records per 8 KiB buffer"), "{out}");
        assert!(out.contains("about 250× fewer"), "{out}");
    }

    #[test]
    fn sendfile_is_one_call() {
        let out = copy_counts(1 << 20, 64 << 10).unwrap();
        // 1 MiB / 64 KiB = 16 buffers: 17 reads (the last finds the end), 16 writes.
        assert!(out.contains("17 read calls, 16 write calls"), "{out}");
        assert!(out.contains("sendfile:                    1 call(s)"), "{out}");
        assert!(!out.contains("identical: no"), "{out}");
    }

    #[test]
    fn fsync_is_slower() {
        let out = fsync_cost().unwrap();
        assert!(
            out.contains("at least 5× slower (medians of 5 batches): yes") || out.starts_with("skipped"),
            "{out}"
        );
    }

    #[test]
    fn ratio_classes() {
        assert_eq!(ratio_class(10_000, 40), "about 250×");
        assert_eq!(ratio_class(1000, 4), "about 250×");
        assert_eq!(ratio_class(33, 1), "about 33×");
        assert_eq!(ratio_class(9, 2), "about 5×");
    }
}
