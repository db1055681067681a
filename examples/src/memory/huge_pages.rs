//! Transparent huge pages, observed: the same 16 MiB touched one byte per 4 KiB, once with
//! `MADV_NOHUGEPAGE` and once with `MADV_HUGEPAGE`. With huge pages one fault maps 2 MiB, so
//! the fault count drops 512-fold, and smaps shows the region as `AnonHugePages`. Whether the
//! kernel does it depends on `/sys/kernel/mm/transparent_hugepage/enabled`; where THP is off
//! the example cannot run and says so (its test is skipped loudly, and fails in CI); where no
//! free 2 MiB blocks could be found, its output differs from the verified one.

use crate::memory::sys::{self, HUGE_PAGE, PAGE, Region, Thp};
use crate::registry::{CANNOT_RUN_HERE, Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "memory::huge_pages",
    title: "Transparent huge pages: one fault per 2 MiB instead of one per 4 KiB",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it asks the kernel for huge pages with madvise and reads /sys and /proc",
        simulation: Some("memory::translate"),
    },
    run: Run::Text(run),
};

const LEN: usize = 16 << 20;

/// The bracketed word of `always [madvise] never`.
fn thp_setting() -> Option<String> {
    let text = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").ok()?;
    let start = text.find('[')? + 1;
    let end = text[start..].find(']')? + start;
    Some(text[start..end].to_string())
}

/// Faults for touching every 4 KiB page of a fresh region once, and how much of it smaps
/// reports as anonymous huge pages.
fn touch(thp: Thp) -> Result<(u64, u64), String> {
    let region = Region::new(LEN, HUGE_PAGE, thp)?;
    let before = sys::minor_faults();
    region.write_pages(0, region.pages(), 1);
    let faults = sys::minor_faults() - before;
    Ok((faults, region.smaps()?.anon_huge_kb))
}

// ANCHOR: example
pub fn huge_pages() -> Result<String, String> {
    // With THP `never` (or not built in) MADV_HUGEPAGE does nothing: the claim cannot be shown
    // here, and the test says so loudly instead of verifying some other text.
    match thp_setting().as_deref() {
        Some("always" | "madvise") => {}
        Some(other) => {
            return Err(format!(
                "{CANNOT_RUN_HERE}transparent huge pages are `{other}` \
                 (/sys/kernel/mm/transparent_hugepage/enabled); the example needs `madvise` or `always`"
            ));
        }
        None => return Err(format!("{CANNOT_RUN_HERE}this kernel has no transparent huge pages")),
    }
    let mut out = String::new();
    let small_pages = (LEN / PAGE) as u64;
    let (small, _) = touch(Thp::Never)?;
    out.push_str(&format!(
        "16 MiB with MADV_NOHUGEPAGE: faults per 4 KiB page {}\n",
        sys::ratio_class(small as f64 / small_pages as f64, 0.05)
    ));
    out.push_str("transparent huge pages: available (always or madvise)\n");
    let (huge, huge_kb) = touch(Thp::Asked)?;
    let huge_pages = (LEN / HUGE_PAGE) as u64; // 8
    // Counted from smaps, not from the faults: a stray fault must not make the output differ.
    out.push_str(&format!(
        "16 MiB with MADV_HUGEPAGE: AnonHugePages covers at least 15 MiB of it: {}\n",
        huge_kb >= 15 * 1024
    ));
    out.push_str(&format!(
        "faults at most 2 per 2 MiB page ({} in all): {}\n",
        2 * huge_pages,
        huge <= 2 * huge_pages
    ));
    out.push_str(&format!(
        "fewer faults than with 4 KiB pages, by more than 100×: {}\n",
        small > 100 * huge.max(1)
    ));
    Ok(out)
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    super::run_in_child("huge-pages").map_err(InputError::new)
}
