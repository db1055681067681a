//! The calls the memory examples share: a mapping of their own (`mmap`, `madvise`,
//! `munmap`), the calling thread's minor-fault count (`getrusage(RUSAGE_THREAD)`), and the
//! kernel's accounting of one mapping (`/proc/self/smaps`) and of the process
//! (`/proc/self/status`).

use std::ptr;

pub const PAGE: usize = 4096;
pub const HUGE_PAGE: usize = 2 << 20;

/// The calling thread's minor and major page faults so far. Per thread, so the other tests
/// that run in this process at the same time do not count.
pub fn faults() -> (u64, u64) {
    // SAFETY: getrusage writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    assert_eq!(rc, 0, "getrusage(RUSAGE_THREAD)");
    (usage.ru_minflt as u64, usage.ru_majflt as u64)
}

pub fn minor_faults() -> u64 {
    faults().0
}

/// How the kernel may back a region with huge pages (`madvise`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thp {
    /// `MADV_NOHUGEPAGE`: 4 KiB pages only, whatever the system setting.
    Never,
    /// `MADV_HUGEPAGE`: huge pages where the setting allows them (`always` or `madvise`).
    Asked,
}

/// An anonymous private read-write mapping of `len` bytes, alone in its VMA: it sits between
/// two inaccessible guard mappings, so the kernel cannot merge it with a neighbour and its
/// entry in `/proc/self/smaps` counts only its own pages. Unmapped on drop.
pub struct Region {
    reservation: *mut u8,
    reserved: usize,
    pub start: *mut u8,
    pub len: usize,
}

impl Region {
    /// `align` is the start's alignment (a page, or 2 MiB for huge pages).
    pub fn new(len: usize, align: usize, thp: Thp) -> Result<Region, String> {
        let reserved = len + align + 2 * PAGE;
        // SAFETY: a fresh anonymous mapping; nothing else refers to it.
        let reservation = unsafe {
            libc::mmap(
                ptr::null_mut(),
                reserved,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if reservation == libc::MAP_FAILED {
            return Err(format!("mmap of {reserved} bytes: {}", std::io::Error::last_os_error()));
        }
        let reservation = reservation.cast::<u8>();
        let first = reservation as usize + PAGE;
        let start = first.next_multiple_of(align) as *mut u8;
        let region = Region { reservation, reserved, start, len };
        let advice = match thp {
            Thp::Never => libc::MADV_NOHUGEPAGE,
            Thp::Asked => libc::MADV_HUGEPAGE,
        };
        // SAFETY: [start, start + len) lies inside the reservation, a page from either end.
        unsafe {
            if libc::mprotect(start.cast(), len, libc::PROT_READ | libc::PROT_WRITE) != 0 {
                return Err(format!("mprotect: {}", std::io::Error::last_os_error()));
            }
            if libc::madvise(start.cast(), len, advice) != 0 {
                return Err(format!("madvise: {}", std::io::Error::last_os_error()));
            }
        }
        Ok(region)
    }

    pub fn pages(&self) -> usize {
        self.len / PAGE
    }

    /// Writes one byte in each of the pages `from..to`.
    pub fn write_pages(&self, from: usize, to: usize, value: u8) {
        for page in from..to {
            // SAFETY: inside the read-write region; volatile so the store really happens.
            unsafe { ptr::write_volatile(self.start.add(page * PAGE), value) };
        }
    }

    /// Reads one byte in each of the pages `from..to`; their sum, so nothing is optimised away.
    pub fn read_pages(&self, from: usize, to: usize) -> u64 {
        (from..to)
            // SAFETY: inside the read-write region.
            .map(|page| unsafe { ptr::read_volatile(self.start.add(page * PAGE)) } as u64)
            .sum()
    }

    /// This region's entry of `/proc/self/smaps` (or of another snapshot of that file).
    pub fn smaps_entry(&self, smaps: &str) -> Result<Smaps, String> {
        let header = format!("{:x}-{:x} ", self.start as usize, self.start as usize + self.len);
        let body = smaps
            .split_once(&header)
            .map(|(_, rest)| rest)
            .ok_or_else(|| format!("no VMA starting `{header}` in smaps"))?;
        let field = |name: &str| -> u64 {
            body.lines()
                .skip(1)
                .take_while(|line| !is_vma_header(line))
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        Ok(Smaps {
            rss_kb: field("Rss"),
            pss_kb: field("Pss"),
            shared_dirty_kb: field("Shared_Dirty"),
            private_dirty_kb: field("Private_Dirty"),
            anon_huge_kb: field("AnonHugePages"),
        })
    }

    pub fn smaps(&self) -> Result<Smaps, String> {
        let text =
            std::fs::read_to_string("/proc/self/smaps").map_err(|e| format!("/proc/self/smaps: {e}"))?;
        self.smaps_entry(&text)
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: the whole reservation, mapped in `new` and not used after this.
        unsafe { libc::munmap(self.reservation.cast(), self.reserved) };
    }
}

/// `7f3a00000000-7f3a00400000 rw-p 00000000 00:00 0`: the line that starts a VMA's entry.
fn is_vma_header(line: &str) -> bool {
    line.split_whitespace()
        .next()
        .is_some_and(|first| first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
}

/// One mapping's counters from `/proc/<pid>/smaps`, in kB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Smaps {
    pub rss_kb: u64,
    pub pss_kb: u64,
    pub shared_dirty_kb: u64,
    pub private_dirty_kb: u64,
    pub anon_huge_kb: u64,
}

/// A field of `/proc/self/status` in kB (`VmSize`, `VmRSS`).
pub fn status_kb(field: &str) -> Result<u64, String> {
    let text = std::fs::read_to_string("/proc/self/status").map_err(|e| format!("/proc/self/status: {e}"))?;
    text.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

/// `ratio` as a class the page can print on every machine: `0.0` or `1.0` when it is within
/// `tolerance` of 0 or 1, else its value (so a surprise shows, and the verified output differs).
pub fn ratio_class(ratio: f64, tolerance: f64) -> String {
    if ratio.abs() <= tolerance {
        format!("0.0 (±{:.0}%)", tolerance * 100.0)
    } else if (ratio - 1.0).abs() <= tolerance {
        format!("1.0 (±{:.0}%)", tolerance * 100.0)
    } else {
        format!("{ratio:.3} (not within ±{:.0}% of 0 or 1)", tolerance * 100.0)
    }
}
