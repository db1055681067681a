//! Overcommit, observed: a mapping far larger than the machine's memory is only address space.
//! VSZ (`VmSize`) grows by all of it; RSS only by the pages touched. Whether the kernel lets
//! the mapping exist at all is its overcommit policy (`/proc/sys/vm/overcommit_memory`).

use crate::memory::sys::{self, PAGE, Region, Thp};
use crate::registry::{CANNOT_RUN_HERE, Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "memory::overcommit",
    title: "Overcommit: map 1 TiB, touch 1 MiB; VSZ and RSS part ways",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it maps a terabyte of address space and reads /proc, which a browser does not have",
        simulation: Some("memory::translate"),
    },
    run: Run::Text(run),
};

const TIB: usize = 1 << 40;
/// Pages touched, spread evenly over the terabyte (one every 4 GiB).
const TOUCHED: usize = 256;

fn map(len: usize, flags: i32) -> Result<*mut u8, std::io::Error> {
    // SAFETY: a fresh anonymous mapping.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | flags,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED { Err(std::io::Error::last_os_error()) } else { Ok(p.cast()) }
}

fn ram_kb() -> Result<u64, String> {
    let text = std::fs::read_to_string("/proc/meminfo").map_err(|e| format!("/proc/meminfo: {e}"))?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Ok(field("MemTotal").unwrap_or(0) + field("SwapTotal").unwrap_or(0))
}

// ANCHOR: example
pub fn overcommit() -> Result<String, String> {
    let mut out = String::new();
    let mode = std::fs::read_to_string("/proc/sys/vm/overcommit_memory")
        .map_err(|e| format!("overcommit_memory: {e}"))?;
    let small_machine = ram_kb()? < (TIB / 1024) as u64;
    // What the kernel should answer to one counted (not MAP_NORESERVE) 1 TiB mapping. Mode 0
    // (the heuristic) refuses a single mapping larger than RAM + swap; mode 1 accepts anything.
    // Mode 2 ignores MAP_NORESERVE, so the terabyte below could not be made writable at all.
    let predicted_refusal = match mode.trim() {
        "0" => small_machine,
        "1" => false,
        other => {
            return Err(format!(
                "{CANNOT_RUN_HERE}vm.overcommit_memory is {other}: under mode 2 every writable \
                 mapping is counted, MAP_NORESERVE or not, so no terabyte can be mapped; the \
                 example needs mode 0 or 1"
            ));
        }
    };

    // Without MAP_NORESERVE the kernel counts the mapping against its commit check.
    let refused = match map(TIB, 0) {
        Ok(p) => {
            // SAFETY: unmapping what we just mapped.
            unsafe { libc::munmap(p.cast(), TIB) };
            false
        }
        Err(e) if e.raw_os_error() == Some(libc::ENOMEM) => true,
        Err(e) => return Err(format!("mmap 1 TiB: {e}")),
    };
    out.push_str(&format!(
        "mmap 1 TiB, counted: refused or accepted as vm.overcommit_memory predicts \
         (mode 0 refuses it when RAM + swap < 1 TiB, mode 1 never refuses): {}\n",
        refused == predicted_refusal
    ));

    // With MAP_NORESERVE (as allocators and V8 reserve address space) it is not counted.
    let vsz_before = sys::status_kb("VmSize")?;
    let region = Region::new(TIB, PAGE, Thp::Never)?; // mmap(MAP_NORESERVE), alone in its VMA
    let vsz_after = sys::status_kb("VmSize")?;
    let before = sys::minor_faults();
    for i in 0..TOUCHED {
        // SAFETY: inside the mapping: one byte every 4 GiB.
        unsafe { std::ptr::write_volatile(region.start.add(i * (TIB / TOUCHED)), 1) };
    }
    let faults = sys::minor_faults() - before;
    let rss_kb = region.smaps()?.rss_kb;
    drop(region); // munmap

    let grew = (vsz_after - vsz_before) as f64 / (TIB / 1024) as f64;
    out.push_str(&format!(
        "mmap 1 TiB with MAP_NORESERVE: accepted; VmSize grew by {} TiB\n",
        sys::ratio_class(grew, 0.01)
    ));
    out.push_str(&format!(
        "touched {TOUCHED} pages, 4 GiB apart: faults per page {}; the mapping's Rss = {} × {TOUCHED} pages\n",
        sys::ratio_class(faults as f64 / TOUCHED as f64, 0.05),
        sys::ratio_class(rss_kb as f64 / (TOUCHED * PAGE / 1024) as f64, 0.05)
    ));
    out.push_str(&format!(
        "resident share of the mapping: {:.4}% (VSZ counts promises, RSS counts pages)\n",
        100.0 * (TOUCHED * PAGE) as f64 / TIB as f64
    ));
    Ok(out)
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    super::run_in_child("overcommit").map_err(InputError::new)
}
