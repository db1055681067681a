//! Transparent huge pages, observed: the same 16 MiB touched one byte per 4 KiB, once with
//! `MADV_NOHUGEPAGE` and once with `MADV_HUGEPAGE`. With huge pages one fault maps 2 MiB, so
//! the fault count drops 512-fold, and smaps shows the region as `AnonHugePages`. Whether the
//! kernel does it depends on `/sys/kernel/mm/transparent_hugepage/enabled`; where THP is off
//! (or no free 2 MiB block could be found) the example says so instead of failing.

use crate::memory::sys::{self, HUGE_PAGE, PAGE, Region, Thp};
use crate::registry::{Example, InputError, Run, Runs};

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
    let mut out = String::new();
    let setting = thp_setting();
    let small_pages = (LEN / PAGE) as f64;
    let (small, _) = touch(Thp::Never)?;
    out.push_str(&format!(
        "16 MiB with MADV_NOHUGEPAGE: faults per 4 KiB page {}\n",
        sys::ratio_class(small as f64 / small_pages, 0.05)
    ));
    match setting.as_deref() {
        Some("always") | Some("madvise") => {
            out.push_str("transparent huge pages: available (always or madvise)\n");
            let (huge, huge_kb) = touch(Thp::Asked)?;
            let covered = huge_kb as f64 / (LEN / 1024) as f64;
            let per_2mib = huge as f64 / (LEN / HUGE_PAGE) as f64;
            if covered > 0.99 {
                out.push_str(&format!(
                    "16 MiB with MADV_HUGEPAGE: AnonHugePages covers it all; faults per 2 MiB {}\n",
                    sys::ratio_class(per_2mib, 0.05)
                ));
                out.push_str(&format!(
                    "fewer faults than with 4 KiB pages, by more than 100×: {}\n",
                    small > 100 * huge.max(1)
                ));
            } else {
                out.push_str(&format!(
                    "16 MiB with MADV_HUGEPAGE: the kernel found 2 MiB blocks for only {:.0}% of it \
                     (memory too fragmented); faults per 4 KiB page {:.2}\n",
                    100.0 * covered,
                    huge as f64 / small_pages
                ));
            }
        }
        Some(other) => out.push_str(&format!(
            "transparent huge pages: `{other}` here, so MADV_HUGEPAGE changes nothing (skipped)\n"
        )),
        None => out.push_str("transparent huge pages: not built into this kernel (skipped)\n"),
    }
    Ok(out)
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    super::run_in_child("huge-pages").map_err(InputError::new)
}
