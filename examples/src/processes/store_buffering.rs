//! The store-buffering litmus test (the core of Dekker's mutual exclusion), on real threads.
//!
//! Thread A writes `x = 1` and then reads `y`; thread B writes `y = 1` and then reads `x`. In
//! any interleaving of the four operations at least one load comes after the other thread's
//! store, so "both read 0" is impossible under sequential consistency. On real hardware it
//! happens: each store waits in its core's store buffer while the load after it runs ahead. The
//! example runs the test many times with each of four orderings and reports which outcomes it
//! saw, never how often (the rates depend on the machine and its load).

use std::hint::spin_loop;
use std::sync::atomic::{AtomicU32, Ordering, fence};
use std::thread;

use crate::input::Params;
use crate::processes::affinity;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "processes::store_buffering",
    title: "Store buffering: both threads read 0, unless the ordering forbids it",
    file: file!(),
    default_input: "enough = 20\nblock = 2000\nmax_runs = 2000000\n",
    input_help: "`enough = N` times each allowed outcome must be seen, `block = N` runs per turn, `max_runs = N` per ordering",
    runs: Runs::NativeOnly {
        reason: "it races two real OS threads on two cores, which the browser playground does not have",
        simulation: Some("processes::litmus"),
    },
    run: Run::Text(run),
};

// ANCHOR: example
/// The orderings the test compares: what A's `x = 1` and B's `y = 1` use, what the loads
/// after them use, and whether a `fence(SeqCst)` stands between the two.
#[derive(Clone, Copy)]
pub struct Mode {
    pub name: &'static str,
    pub store: Ordering,
    pub load: Ordering,
    pub fence_between: bool,
}

pub const MODES: [Mode; 4] = [
    Mode { name: "Relaxed", store: Ordering::Relaxed, load: Ordering::Relaxed, fence_between: false },
    Mode {
        name: "Release store, Acquire load",
        store: Ordering::Release,
        load: Ordering::Acquire,
        fence_between: false,
    },
    Mode { name: "SeqCst", store: Ordering::SeqCst, load: Ordering::SeqCst, fence_between: false },
    Mode {
        name: "Relaxed + fence(SeqCst)",
        store: Ordering::Relaxed,
        load: Ordering::Relaxed,
        fence_between: true,
    },
];

/// One thread's half of the test: write my flag, then read the other's.
#[inline(always)]
fn store_then_load(mine: &AtomicU32, other: &AtomicU32, mode: Mode) -> u32 {
    mine.store(1, mode.store);
    if mode.fence_between {
        fence(Ordering::SeqCst);
    }
    other.load(mode.load)
}

/// Each cell on a cache line of its own (128 bytes: some CPUs fetch lines in pairs), so the
/// threads share only the lines the test is about.
#[repr(align(128))]
struct Line(AtomicU32);

struct Cells {
    x: Line,
    y: Line,
    /// Run number `i` starts when A stores `i` here; B spins on it (the start barrier).
    go: Line,
    /// Which of `MODES` run `i` uses, written before `go`; `STOP` ends B's loop.
    mode: Line,
    /// B stores `i` here when its half of run `i` is done, after `b_saw`.
    b_done: Line,
    b_saw: Line,
}

const STOP: u32 = u32::MAX;

/// Thread B: plays its half of every run A starts, with the mode A chose, until told to stop.
fn thread_b(cells: &Cells) {
    for run in 1.. {
        wait_until(&cells.go.0, run);
        let Some(&mode) = MODES.get(cells.mode.0.load(Ordering::Relaxed) as usize) else { return };
        pause(skew(run, 1) % 4);
        let r2 = store_then_load(&cells.y.0, &cells.x.0, mode);
        cells.b_saw.0.store(r2, Ordering::Relaxed);
        cells.b_done.0.store(run, Ordering::Release);
    }
}

/// Thread A starts each run and plays its own half. The modes take turns, `block` runs at a
/// time, so each meets the same load on the machine; A stops once every outcome each mode
/// allows has been seen `enough` times, or at `max_runs` runs each. Outcomes (r1, r2) are
/// counted at index `2 * r1 + r2`.
fn thread_a(cells: &Cells, enough: u64, block: u32, max_runs: u64) -> [[u64; 4]; 4] {
    let mut counts = [[0u64; 4]; 4];
    let mut run = 0u32;
    let mut runs_each = 0u64;
    while runs_each < max_runs && !complete(&counts, enough) {
        let runs = u64::from(block).min(max_runs - runs_each);
        for (index, (&mode, seen)) in MODES.iter().zip(counts.iter_mut()).enumerate() {
            for _ in 0..runs {
                run += 1;
                cells.x.0.store(0, Ordering::Relaxed);
                cells.y.0.store(0, Ordering::Relaxed);
                cells.mode.0.store(index as u32, Ordering::Relaxed);
                cells.go.0.store(run, Ordering::Release); // B may start: all of the above happen-before
                pause(skew(run, 2) % 16);
                let r1 = store_then_load(&cells.x.0, &cells.y.0, mode);
                wait_until(&cells.b_done.0, run);
                let r2 = cells.b_saw.0.load(Ordering::Relaxed);
                seen[(2 * r1 + r2) as usize] += 1;
            }
        }
        runs_each += runs;
    }
    cells.mode.0.store(STOP, Ordering::Relaxed);
    cells.go.0.store(run + 1, Ordering::Release);
    counts
}

/// Spins until `cell` holds `value`; after a while it yields, so that on a busy machine a
/// thread waiting for one that was preempted gives its CPU to someone useful.
fn wait_until(cell: &AtomicU32, value: u32) {
    let mut spins = 0u32;
    while cell.load(Ordering::Acquire) != value {
        spins += 1;
        if spins == 1_000 {
            spins = 0;
            thread::yield_now();
        } else {
            spin_loop();
        }
    }
}

/// A few pause instructions, a different number in each run: B sees `go` a cache transfer
/// after A stored it, so A waits a little longer on average, and the variation makes some
/// runs start on both cores at the same instant.
fn pause(spins: u32) {
    for _ in 0..spins {
        spin_loop();
    }
}

/// A well-mixed number from the run number (a multiplicative hash), so the two threads' pauses
/// vary independently from run to run.
fn skew(run: u32, salt: u32) -> u32 {
    let mut z = run.wrapping_mul(0x9E37_79B9) ^ salt.wrapping_mul(0x85EB_CA6B);
    z ^= z >> 15;
    z = z.wrapping_mul(0x2C1B_3C6D);
    z ^ (z >> 12)
}

/// What the language allows each ordering to show: all four outcomes, except (0,0) for SeqCst
/// (one total order of the four operations) and for the SeqCst fence between store and load.
pub fn allows(mode: Mode, outcome: usize) -> bool {
    let sequentially_consistent = mode.store == Ordering::SeqCst || mode.fence_between;
    !(outcome == 0 && sequentially_consistent)
}

/// Whether every mode has shown every outcome it allows at least `enough` times.
pub fn complete(counts: &[[u64; 4]; 4], enough: u64) -> bool {
    MODES.iter().zip(counts).all(|(&mode, seen)| (0..4).all(|o| !allows(mode, o) || seen[o] >= enough))
}

/// The race on two new threads, each pinned to a CPU of its own when `cpus` names two, so that
/// they can only ever run side by side. Returns the counts and whether the pinning worked.
pub fn race(
    cpus: Option<(usize, usize)>,
    enough: u64,
    block: u32,
    max_runs: u64,
) -> ([[u64; 4]; 4], Result<(), String>) {
    let cells = Cells {
        x: Line(AtomicU32::new(0)),
        y: Line(AtomicU32::new(0)),
        go: Line(AtomicU32::new(0)),
        mode: Line(AtomicU32::new(0)),
        b_done: Line(AtomicU32::new(0)),
        b_saw: Line(AtomicU32::new(0)),
    };
    let pin = |cpu: Option<usize>| cpu.map_or(Ok(()), affinity::pin_to);
    thread::scope(|scope| {
        let b = scope.spawn(|| {
            let pinned = pin(cpus.map(|(_, b)| b));
            thread_b(&cells);
            pinned
        });
        let a = scope.spawn(|| {
            let pinned = pin(cpus.map(|(a, _)| a));
            (thread_a(&cells, enough, block, max_runs), pinned)
        });
        let (counts, pinned_a) = a.join().expect("thread A does not panic");
        let pinned_b = b.join().expect("thread B does not panic");
        (counts, pinned_a.and(pinned_b))
    })
}
// ANCHOR_END: example

pub fn report(enough: u64, block_runs: u32, max_runs: u64) -> String {
    let mut out = String::from("store buffering: x = y = 0, then, started together on two threads,\n");
    out.push_str("  A: x = 1, r1 = y        B: y = 1, r2 = x\n");
    out.push_str(&format!(
        "the four orderings take turns, {block_runs} runs at a time, until each has shown every outcome it\n\
         allows at least {enough} times (at most {max_runs} runs each)\n"
    ));
    // Two CPUs to pin A and B to; without affinity (not Linux), two CPUs for the scheduler.
    let cpus = match affinity::allowed_cpus() {
        Ok(allowed) => {
            allowed.get(..2).map(|two| (Some((two[0], two[1])), two.len())).unwrap_or((None, allowed.len()))
        }
        Err(_) => (None, thread::available_parallelism().map_or(1, usize::from)),
    };
    if cpus.1 < 2 {
        out.push_str(
            "\nthis process may use only one CPU: the two threads can never run at the same instant,\n",
        );
        out.push_str("so the test cannot show reordering here; it did not run\n");
        return out;
    }
    let (counts, pinned) = race(cpus.0, enough, block_runs, max_runs);
    match (cpus.0, pinned) {
        (Some(_), Ok(())) => out.push_str("A and B each pinned to a CPU of its own\n\n"),
        (None, _) => out.push_str("A and B not pinned (no CPU affinity here): the scheduler places them\n\n"),
        (Some(_), Err(why)) => out.push_str(&format!("A and B NOT pinned ({why})\n\n")),
    }
    out.push_str(&format!("{:<29} {:<7} {:<7} {:<7} {}\n", "(r1, r2)", "(0,0)", "(0,1)", "(1,0)", "(1,1)"));
    for (mode, seen) in MODES.iter().zip(&counts) {
        let mut row = format!("{:<29}", mode.name);
        for (outcome, &count) in seen.iter().enumerate() {
            let cell = match (count > 0, allows(*mode, outcome)) {
                (true, true) => "seen",
                (true, false) => "SEEN!", // a broken promise: the test fails on this line
                (false, true) => "not yet",
                (false, false) => "never",
            };
            row.push_str(&format!(" {cell:<7}"));
        }
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out.push('\n');
    if complete(&counts, enough) {
        out.push_str(&format!(
            "all four ran the same number of times: (0,0) never came up under SeqCst or with the fence,\n\
             while Relaxed and Release/Acquire showed it at least {enough} times each\n"
        ));
    } else {
        out.push_str(&format!(
            "the budget of {max_runs} runs ran out before every allowed outcome was seen {enough} times:\n\
             the two threads rarely ran at the same instant (a busy machine?), so \"not yet\" proves nothing\n"
        ));
    }
    out.push_str(&format!("this CPU: {}, {}\n", std::env::consts::ARCH, hardware_note()));
    out
}

/// Why the weak outcome shows up (or would) on the CPU the test ran on.
fn hardware_note() -> &'static str {
    if cfg!(any(target_arch = "x86_64", target_arch = "x86")) {
        "whose stores wait in a store buffer while later loads go ahead (x86-TSO)"
    } else if cfg!(any(target_arch = "aarch64", target_arch = "arm")) {
        "whose memory model lets a load overtake an earlier store to another address"
    } else {
        "see its architecture manual for which reorderings it allows"
    }
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["enough", "block", "max_runs"])?;
    let enough = params.number_or("enough", 1, 1_000, 20)?;
    let block = params.number_or("block", 100, 100_000, 2_000)?;
    let max_runs = params.number_or("max_runs", 1_000, 100_000_000, 2_000_000)?;
    Ok(report(enough, block, max_runs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_cst_and_the_fence_never_show_both_zero_and_the_weaker_orderings_do() {
        let cpus = affinity::allowed_cpus().unwrap_or_default();
        if cpus.len() < 2 {
            eprintln!("fewer than two CPUs: the store-buffering test cannot run here");
            return;
        }
        let (counts, pinned) = race(Some((cpus[0], cpus[1])), 5, 2_000, 2_000_000);
        pinned.unwrap();
        for (mode, seen) in MODES.iter().zip(&counts) {
            for (outcome, &count) in seen.iter().enumerate() {
                if allows(*mode, outcome) {
                    assert!(count >= 5, "{}: outcome {outcome} seen {count} times", mode.name);
                } else {
                    assert_eq!(count, 0, "{}: the forbidden (0,0) was seen", mode.name);
                }
            }
        }
    }

    #[test]
    fn the_language_allows_both_zero_only_without_seq_cst() {
        let allowed: Vec<bool> = MODES.iter().map(|&mode| allows(mode, 0)).collect();
        assert_eq!(allowed, [true, true, false, false]);
        assert!(MODES.iter().all(|&mode| (1..4).all(|o| allows(mode, o))));
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(
            run("block = 5").unwrap_err().to_string(),
            "input line 1: 5 is out of range (from 100 to 100000)"
        );
        assert_eq!(run("enough = 1\nspeed = 2").unwrap_err().line, Some(2));
    }
}
