//! `estimates::measured`: the latency ladder measured on this machine. A dependent pointer
//! chase over a buffer that fits the L1 cache and over one of 64 MiB (every load waits for the
//! one before, so the time per step is the latency, not the bandwidth); a 4 KiB `pread` from
//! the page cache and the same read after `posix_fadvise(POSIX_FADV_DONTNEED)` dropped the
//! file's pages (checked with `mincore`, never assumed); a 1-byte round trip over loopback TCP.
//! The verified output prints ratio classes with wide margins; `timings = shown` prints the
//! medians too.

use std::time::Instant;

use crate::input::Params;
use crate::registry::{CANNOT_RUN_HERE, Example, InputError, Run, Runs};
use crate::rng::Rng;

use super::memory::{chase, median};

pub const EXAMPLE: Example = Example {
    id: "estimates::measured",
    title: "The latency ladder on this machine: cache hit, memory miss, page cache, disk, loopback round trip",
    file: file!(),
    default_input: "timings = hidden\n",
    input_help: "`timings = shown` prints the medians as well as the classes (they differ on every machine)",
    runs: Runs::NativeOnly {
        reason: "it reads a file around the page cache and talks over a TCP socket, which a page cannot do",
        simulation: Some("estimates::memory_ladder"),
    },
    run: Run::Text(run),
};

/// Median nanoseconds of a 4 KiB `pread` from the page cache and from the device, or why the
/// file's pages could not be dropped here.
fn file_reads(rng: &mut Rng) -> Result<(f64, f64), String> {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::FileExt;

    const SIZE: usize = 8 << 20;
    let dir = std::env::temp_dir();
    let path = dir.join(format!("bf-estimates-{}-{}", std::process::id(), rng.next_u64()));
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&path); // the open descriptor keeps it until the end
    let chunk: Vec<u8> = (0..1 << 20).map(|_| rng.next_u64() as u8).collect();
    for _ in 0..SIZE >> 20 {
        file.write_all(&chunk).map_err(|e| e.to_string())?;
    }
    file.sync_all().map_err(|e| e.to_string())?;
    let fd = file.as_raw_fd();
    // Dropping a page from the Linux page cache proves only that the read goes below it. On
    // tmpfs there is nothing below; OpenZFS keeps its own cache (the ARC) underneath. Refuse both.
    // SAFETY: statfs fills the struct for a descriptor we own.
    let fs_type = unsafe {
        let mut st: libc::statfs = std::mem::zeroed();
        if libc::fstatfs(fd, &mut st) != 0 {
            return Err("fstatfs failed, so the file system is unknown".into());
        }
        st.f_type as i64
    };
    const TMPFS: i64 = 0x0102_1994;
    const ZFS: i64 = 0x2fc1_2fc1;
    if fs_type == TMPFS || fs_type == ZFS {
        return Err(format!(
            "{} is on {}, where a read that misses the page cache is still served from memory",
            dir.display(),
            if fs_type == TMPFS { "tmpfs" } else { "ZFS (its ARC caches below the page cache)" }
        ));
    }
    // SAFETY: plain system calls on a descriptor we own; the mapping is read-only, of the
    // file's own length, never dereferenced, and unmapped below.
    let map = unsafe {
        libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_RANDOM);
        libc::mmap(std::ptr::null_mut(), SIZE, libc::PROT_READ, libc::MAP_SHARED, fd, 0)
    };
    if map == libc::MAP_FAILED {
        return Err("mmap failed, so residency cannot be checked".into());
    }
    let page = 4096usize;
    let mut resident = vec![0u8; SIZE / page];
    let (mut cold, mut warm, mut not_dropped) = (Vec::new(), Vec::new(), 0);
    let mut buf = vec![0u8; page];
    for _ in 0..40 {
        let offset = rng.range(0, (SIZE / page) as u64 - 1) as usize * page;
        // ANCHOR: evict
        // SAFETY: as above; `resident` has one byte per page of the mapping.
        let dropped = unsafe {
            libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_DONTNEED);
            libc::mincore(map, SIZE, resident.as_mut_ptr()) == 0 && resident[offset / page] & 1 == 0
        };
        // ANCHOR_END: evict
        if !dropped {
            not_dropped += 1;
            continue;
        }
        let start = Instant::now();
        file.read_exact_at(&mut buf, offset as u64).map_err(|e| e.to_string())?;
        cold.push(start.elapsed().as_nanos() as f64);
        // Warm reads are timed 16 at a time: one read alone is near the clock's own cost on a
        // virtual machine whose clock source needs a system call.
        let start = Instant::now();
        for _ in 0..16 {
            file.read_exact_at(&mut buf, offset as u64).map_err(|e| e.to_string())?;
        }
        warm.push(start.elapsed().as_nanos() as f64 / 16.0);
    }
    // SAFETY: the mapping made above, unmapped once.
    unsafe { libc::munmap(map, SIZE) };
    if cold.len() < 20 {
        return Err(format!(
            "posix_fadvise(POSIX_FADV_DONTNEED) left the page resident in {not_dropped} of 40 tries \
             (a tmpfs, or a file system that ignores the advice), so no read here reaches the device"
        ));
    }
    let (warm, cold) = (median(warm), median(cold));
    if cold < 2.0 * warm {
        return Err(format!(
            "a read after the page was dropped cost {:.1}x a cached one, so it did not reach a device \
             (a virtual disk backed by the host's memory, or a cache below the page cache)",
            cold / warm
        ));
    }
    Ok((warm, cold))
}

/// Median nanoseconds of a 1-byte request and 1-byte reply over loopback TCP.
fn loopback_rtt(rounds: usize) -> Result<f64, String> {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = std::thread::spawn(move || -> std::io::Result<()> {
        let (mut s, _) = listener.accept()?;
        s.set_nodelay(true)?;
        let mut b = [0u8; 1];
        while s.read(&mut b)? == 1 {
            s.write_all(&b)?;
        }
        Ok(())
    });
    let mut c = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    c.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut b = [7u8; 1];
    let mut times = Vec::with_capacity(rounds);
    for k in 0..rounds + 100 {
        let start = Instant::now();
        c.write_all(&b).map_err(|e| e.to_string())?;
        c.read_exact(&mut b).map_err(|e| e.to_string())?;
        if k >= 100 {
            times.push(start.elapsed().as_nanos() as f64); // the first 100 warm the path up
        }
    }
    drop(c);
    server.join().map_err(|_| "the echo thread panicked".to_string())?.map_err(|e| e.to_string())?;
    Ok(median(times))
}

/// A buffer several times the last-level cache: 4x the L3 that sysfs reports, at least 64 MiB,
/// at most 256 MiB (some servers have an L3 of 100 MB and more, with 3D V-Cache or per socket).
fn beyond_llc() -> usize {
    let llc = std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cache/index3/size")
        .ok()
        .and_then(|s| {
            let s = s.trim();
            let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
            let n: usize = n.parse().ok()?;
            Some(match unit {
                "K" => n << 10,
                "M" => n << 20,
                _ => n,
            })
        })
        .unwrap_or(0);
    (4 * llc).clamp(64 << 20, 256 << 20).next_power_of_two().min(256 << 20)
}

/// The measured ladder, in nanoseconds.
pub struct Ladder {
    pub l1: f64,
    pub dram: f64,
    pub page_cache: f64,
    pub device: f64,
    pub loopback: f64,
}

pub fn measure() -> Result<Ladder, String> {
    let mut rng = Rng::new(20);
    // Short runs (well under a scheduler time slice) and many of them: on a loaded machine a
    // run that was preempted is an outlier, and the median ignores it.
    let l1 = chase(16 << 10, 100_000, 31, &mut rng);
    let dram = chase(beyond_llc(), 20_000, 31, &mut rng);
    let (page_cache, device) = file_reads(&mut rng)?;
    let loopback = loopback_rtt(2_000)?;
    Ok(Ladder { l1, dram, page_cache, device, loopback })
}

// ANCHOR: classes
/// The claims the verified output makes, each with a margin wide enough for a loaded
/// two-core machine: (claim, ratio measured, ratio claimed).
fn classes(m: &Ladder) -> [(&'static str, f64, f64); 5] {
    [
        ("a load beyond the last-level cache costs more than 10x one that hits L1", m.dram / m.l1, 10.0),
        (
            "a 4 KiB read from the page cache (a system call and a copy) costs more than 100x an L1 hit",
            m.page_cache / m.l1,
            100.0,
        ),
        (
            "the same read from below the page cache costs more than 10x the page cache's",
            m.device / m.page_cache,
            10.0,
        ),
        ("a loopback TCP round trip costs more than 10x a memory miss", m.loopback / m.dram, 10.0),
        ("a loopback TCP round trip costs more than 1,000x an L1 hit", m.loopback / m.l1, 1_000.0),
    ]
}
// ANCHOR_END: classes

fn run(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["timings"])?;
    let shown = p.choice_or("timings", &["hidden", "shown"], "hidden")? == "shown";
    let m = measure().map_err(|why| InputError::new(format!("{CANNOT_RUN_HERE}{why}")))?;
    let mut out = String::from(
        "Pointer chase: 16 KiB (fits L1) against 4x this machine's L3 (64 to 256 MiB), one load per 64-byte line;\n\
         4 KiB pread of an 8 MiB file, cached and after POSIX_FADV_DONTNEED (checked with mincore;\n\
         refused on tmpfs and ZFS, whose misses stay in memory); 1-byte TCP echo over 127.0.0.1.\n\
         Medians of many repetitions.\n\n",
    );
    for (claim, ratio, at_least) in classes(&m) {
        let verdict = if ratio > at_least { "holds" } else { "DOES NOT HOLD" };
        out.push_str(&format!("{claim}: {verdict}\n"));
    }
    if shown {
        out.push_str(&format!(
            "\nOn this machine: L1 hit {:.1} ns, memory miss {:.0} ns, page-cache read {:.2} µs, \
             device read {:.0} µs, loopback round trip {:.1} µs\n",
            m.l1,
            m.dram,
            m.page_cache / 1e3,
            m.device / 1e3,
            m.loopback / 1e3
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prints your machine's ladder: `cargo test -p examples --lib estimates::measured -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn print_my_ladder() {
        println!("{}", run("timings = shown\n").unwrap());
    }
}
