//! `estimates::memory_ladder`: the memory rungs of the latency ladder, measured wherever the
//! example runs: natively by `cargo test`, and in the reader's browser, where it is the same
//! code compiled to WebAssembly and timed with `performance.now()` ([`crate::clock`]). A
//! dependent pointer chase over buffers of growing size: while a buffer fits a cache, each load
//! costs that cache's latency; past the last level, a trip to memory (and, for large buffers,
//! a TLB miss). The verified output is one ratio class with a wide margin; the nanoseconds per
//! load follow [`MEASURED_MARKER`], so they are shown, never compared.
//!
//! `estimates::measured` (native) uses the same chase for its memory rungs.

use std::hint::black_box;

use crate::clock::{self, Stopwatch};
use crate::input::{Params, parse_number};
use crate::registry::{Example, InputError, MEASURED_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "estimates::memory_ladder",
    title: "The memory ladder where it runs: a pointer chase from L1 to main memory",
    file: file!(),
    default_input: "sizes = 16 KiB 256 KiB 8 MiB 64 MiB\n",
    input_help: "`sizes = ...`: 2 to 6 buffer sizes in KiB or MiB (4 KiB to 128 MiB), smallest first; \
                 the claim compares the last with the first",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

/// The largest buffer a reader may ask for, and the most sizes in one run.
const MAX_BYTES: usize = 128 << 20;
const MAX_SIZES: usize = 6;
/// The claim's margin: the largest buffer's load must cost more than this many of the
/// smallest's. On a server a memory miss is 50 to 150 times an L1 hit; 5x leaves room for a
/// loaded machine, a debug build, and WebAssembly's bounds checks on every load.
const AT_LEAST: f64 = 5.0;

/// A random cyclic permutation of `n` slots (Sattolo's algorithm): following it from any slot
/// visits every slot once before coming back, so the hardware prefetcher cannot guess the next.
pub fn cycle(n: usize, rng: &mut Rng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.range(0, i as u64 - 1) as usize;
        order.swap(i, j);
    }
    let mut next = vec![0; n];
    for w in 0..n {
        next[order[w]] = order[(w + 1) % n];
    }
    next
}

pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

// ANCHOR: chase
/// Nanoseconds per dependent load over a buffer of `bytes`, one pointer per 64-byte line,
/// as the median of `reps` runs of `steps` loads.
pub fn chase(bytes: usize, steps: usize, reps: usize, rng: &mut Rng) -> f64 {
    const LINE: usize = 64 / size_of::<u32>();
    let lines = bytes / 64;
    let next = cycle(lines, rng);
    let mut buffer = vec![0u32; lines * LINE];
    for (line, &to) in next.iter().enumerate() {
        buffer[line * LINE] = (to * LINE) as u32;
    }
    let mut at = 0usize;
    for _ in 0..lines {
        // Warm up: walk the whole cycle once, so every run starts from the same steady state
        // (not from the tail of the in-order writes above, which may still sit in the L3).
        at = buffer[at] as usize;
    }
    let base = buffer.as_ptr();
    let runs = (0..reps)
        .map(|_| {
            let watch = Stopwatch::start();
            for _ in 0..steps / 8 {
                // Each load needs the one before. Eight per turn, without bounds checks, so
                // that the loop's own instructions (many, in a debug build) weigh less.
                // SAFETY: every value in the buffer is the index of a line's first slot.
                unsafe {
                    at = *base.add(at) as usize;
                    at = *base.add(at) as usize;
                    at = *base.add(at) as usize;
                    at = *base.add(at) as usize;
                    at = *base.add(at) as usize;
                    at = *base.add(at) as usize;
                    at = *base.add(at) as usize;
                    at = *base.add(at) as usize;
                }
                at = black_box(at);
            }
            watch.elapsed_ns() / steps as f64
        })
        .collect();
    black_box(at);
    median(runs)
}
// ANCHOR_END: chase

/// "16 KiB", "64 MiB": a size as the input writes it.
fn size_name(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// The sizes of `sizes = 16 KiB 8 MiB ...`, each a number then its unit.
fn parse_sizes(input: &str) -> Result<Vec<usize>, InputError> {
    let params = Params::parse(input, &["sizes"])?;
    let Some(entry) = params.one("sizes")? else {
        return Err(InputError::new("give the buffer sizes: `sizes = 16 KiB 64 MiB`"));
    };
    let words: Vec<&str> = entry.value.split_whitespace().collect();
    if !words.len().is_multiple_of(2) {
        return Err(InputError::at_line(
            entry.line,
            "write each size as a number and a unit: `16 KiB`, `64 MiB`",
        ));
    }
    let mut sizes = Vec::new();
    for pair in words.chunks(2) {
        let n: usize = parse_number(pair[0], entry.line, 1, MAX_BYTES >> 10)?;
        let bytes = match pair[1] {
            "KiB" => n << 10,
            "MiB" => n << 20,
            other => {
                return Err(InputError::at_line(
                    entry.line,
                    format!("unknown unit `{other}`: use KiB or MiB"),
                ));
            }
        };
        if !(4 << 10..=MAX_BYTES).contains(&bytes) {
            return Err(InputError::at_line(
                entry.line,
                format!("{} is outside 4 KiB to 128 MiB", size_name(bytes)),
            ));
        }
        if sizes.last().is_some_and(|&before| bytes <= before) {
            return Err(InputError::at_line(
                entry.line,
                "list the sizes smallest first, each larger than the one before",
            ));
        }
        sizes.push(bytes);
    }
    if !(2..=MAX_SIZES).contains(&sizes.len()) {
        return Err(InputError::at_line(entry.line, format!("give 2 to {MAX_SIZES} sizes")));
    }
    Ok(sizes)
}

fn run(input: &str) -> Result<String, InputError> {
    let sizes = parse_sizes(input)?;
    let mut rng = Rng::new(20);
    // Each timed run lasts milliseconds, far above the browser's coarsened clock: a million
    // loads in a buffer that fits a cache, fifty thousand in one that does not. The median
    // of five runs drops one that was preempted.
    let per_load: Vec<f64> = sizes
        .iter()
        .map(|&bytes| {
            let steps = if bytes <= 1 << 20 { 1_000_000 } else { 50_000 };
            chase(bytes, steps, 5, &mut rng)
        })
        .collect();
    let (first, last) = (sizes[0], sizes[sizes.len() - 1]);
    let ratio = per_load[per_load.len() - 1] / per_load[0];
    let mut out = format!(
        "A dependent pointer chase, one load per 64-byte line in a random cycle, over {} buffers\n\
         from {} to {}; the median of 5 timed runs per buffer.\n\n",
        sizes.len(),
        size_name(first),
        size_name(last)
    );
    out.push_str(&format!(
        "a load in {} costs more than {AT_LEAST}x a load in {}: {}\n",
        size_name(last),
        size_name(first),
        if ratio > AT_LEAST { "holds" } else { "DOES NOT HOLD" }
    ));
    out.push_str(MEASURED_MARKER);
    out.push('\n');
    for (bytes, ns) in sizes.iter().zip(&per_load) {
        out.push_str(&format!("{:>8}: {ns:7.1} ns per load\n", size_name(*bytes)));
    }
    out.push_str(&format!("ratio, last to first: {ratio:.0}x\nclock: {}\n", clock::SOURCE));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sattolo_makes_one_cycle() {
        let next = cycle(1000, &mut Rng::new(1));
        let (mut at, mut seen) = (0, 0);
        loop {
            at = next[at];
            seen += 1;
            if at == 0 {
                break;
            }
        }
        assert_eq!(seen, 1000);
    }

    #[test]
    fn sizes_are_checked_with_their_line() {
        assert_eq!(parse_sizes("sizes = 16 KiB 64 MiB\n").unwrap(), vec![16 << 10, 64 << 20]);
        for (input, says) in [
            ("sizes = 16 KiB\n", "2 to 6"),
            ("sizes = 16 KB 64 MiB\n", "unknown unit `KB`"),
            ("sizes = 64 MiB 16 KiB\n", "smallest first"),
            ("sizes = 2 KiB 64 MiB\n", "outside 4 KiB to 128 MiB"),
            ("sizes = 16 KiB 256 MiB\n", "outside"),
            ("sizes = 16 KiB 64\n", "a number and a unit"),
        ] {
            let err = parse_sizes(input).unwrap_err();
            assert!(err.message.contains(says), "{input:?}: {}", err.message);
            assert_eq!(err.line, Some(1), "{input:?}");
        }
    }

    #[test]
    fn the_measurements_follow_the_marker() {
        let out = run("sizes = 4 KiB 8 KiB\n").unwrap();
        let verified = crate::registry::verified_part(&out);
        assert!(verified.ends_with("\n") && !verified.contains(" ns per load"), "{out}");
        assert!(out[verified.len()..].starts_with(MEASURED_MARKER), "{out}");
        assert!(out.contains("8 KiB:") && out.contains("ns per load"), "{out}");
    }
}
