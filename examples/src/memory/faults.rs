//! Demand paging, counted: an anonymous mapping costs no memory until it is touched, the first
//! touch of each page is a minor fault, and a second touch is free. Counted with
//! `getrusage(RUSAGE_THREAD)`'s `ru_minflt`, and checked against the mapping's own `Rss` in
//! `/proc/self/smaps`.

use std::time::Instant;

use crate::memory::sys::{self, PAGE, Region, Thp};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "memory::minor_faults",
    title: "Demand paging: one minor fault per page touched, none the second time",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it maps memory with mmap and counts the kernel's page faults with getrusage",
        simulation: Some("memory::translate"),
    },
    run: Run::Text(run),
};

/// 16 MiB in 4 KiB pages.
const PAGES: usize = 4096;

// ANCHOR: example
pub fn demand_paging() -> Result<String, String> {
    let mut out = String::new();
    // 4 KiB pages only (MADV_NOHUGEPAGE), so one fault maps exactly one page.
    let region = Region::new(PAGES * PAGE, PAGE, Thp::Never)?;
    let rss_kb = |region: &Region| region.smaps().map(|s| s.rss_kb);
    out.push_str(&format!(
        "mapped {} pages ({} MiB) anonymous: resident {} kB\n",
        PAGES,
        (PAGES * PAGE) >> 20,
        rss_kb(&region)?
    ));

    let before = sys::minor_faults();
    region.write_pages(0, PAGES, 1); // first write to each page
    let first = sys::minor_faults() - before;
    let resident = rss_kb(&region)?;

    let before = sys::minor_faults();
    region.write_pages(0, PAGES, 2); // the same pages again
    let again = sys::minor_faults() - before;

    out.push_str(&format!(
        "write 1 byte per page: faults per page touched: {}; resident now {:.0}% of the mapping\n",
        sys::ratio_class(first as f64 / PAGES as f64, 0.05),
        100.0 * resident as f64 / (PAGES * PAGE / 1024) as f64
    ));
    out.push_str(&format!(
        "write the same pages again: faults per page: {}\n",
        sys::ratio_class(again as f64 / PAGES as f64, 0.05)
    ));

    // Reading first maps the shared zero page, read-only: a fault, but no memory. The first
    // write then faults again and gets a private page (copy-on-write from the zero page).
    let fresh = Region::new(PAGES * PAGE, PAGE, Thp::Never)?;
    let before = sys::minor_faults();
    let sum = fresh.read_pages(0, PAGES);
    let reads = sys::minor_faults() - before;
    let resident_after_read = rss_kb(&fresh)?;
    let before = sys::minor_faults();
    fresh.write_pages(0, PAGES, 1);
    let writes = sys::minor_faults() - before;
    out.push_str(&format!(
        "fresh mapping, read first (all bytes read 0: {}): faults per page {}; resident {:.0}%\n",
        sum == 0,
        sys::ratio_class(reads as f64 / PAGES as f64, 0.05),
        100.0 * resident_after_read as f64 / (PAGES * PAGE / 1024) as f64
    ));
    out.push_str(&format!(
        "then write them: faults per page {}; resident {:.0}%\n",
        sys::ratio_class(writes as f64 / PAGES as f64, 0.05),
        100.0 * rss_kb(&fresh)? as f64 / (PAGES * PAGE / 1024) as f64
    ));
    Ok(out)
}
// ANCHOR_END: example

/// The cost of a minor fault, as the fastest of `runs` fresh mappings: nanoseconds per first
/// write, and per later write of an already mapped page.
pub fn fault_cost(runs: usize) -> Result<(f64, f64), String> {
    let (mut first, mut again) = (f64::MAX, f64::MAX);
    for _ in 0..runs {
        let region = Region::new(PAGES * PAGE, PAGE, Thp::Never)?;
        let started = Instant::now();
        region.write_pages(0, PAGES, 1);
        first = first.min(started.elapsed().as_nanos() as f64 / PAGES as f64);
        let started = Instant::now();
        region.write_pages(0, PAGES, 2);
        again = again.min(started.elapsed().as_nanos() as f64 / PAGES as f64);
    }
    Ok((first, again))
}

/// The whole report: the counts, then the cost as a class (run in `memory-child`).
pub fn report() -> Result<String, String> {
    let mut out = demand_paging()?;
    let (first, again) = fault_cost(5)?;
    out.push_str(&format!(
        "a first write (minor fault, page zeroed) costs microseconds, not milliseconds (0.05–100 µs): {}; \
         it is more than 3× a write to a page already mapped: {}\n",
        (50.0..100_000.0).contains(&first),
        // Both passes stride 4 KiB over 16 MiB, so the second also misses the TLB and the caches
        // on most writes: a fault-free write here costs a walk and a cache miss, not nothing.
        first > 3.0 * again
    ));
    Ok(out)
}

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    super::run_in_child("faults").map_err(InputError::new)
}
