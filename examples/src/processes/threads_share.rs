//! Threads of one process share its memory: what they share (the heap, statics, anything they
//! are lent) and what each one keeps to itself (its stack, its thread-locals, its registers).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "processes::threads_share",
    title: "One address space: shared heap, a stack for each thread",
    file: file!(),
    default_input: "threads = 4\nincrements = 100000\n",
    input_help: "`threads = N` (1 to 16) and `increments = N` per thread",
    runs: Runs::NativeOnly {
        reason: "it starts real OS threads, which the browser playground does not have",
        simulation: Some("scheduling::scheduler"),
    },
    run: Run::Text(run),
};

// ANCHOR: example
thread_local! {
    /// One copy per thread, created on first use.
    static MINE: Cell<u64> = const { Cell::new(0) };
}

/// Each thread's stack: a separate 2 MiB mapping with a guard page below it.
const STACK_SIZE: usize = 2 << 20;

/// What one thread saw: addresses are compared, never printed (they change from run to run).
struct Seen {
    local_count: u64,
    local_at: usize,
    heap_at: usize,
    thread_local_at: usize,
}

pub fn share(threads: usize, increments: u64) -> String {
    let counter = AtomicU64::new(0); // lent to every thread: one counter, updated atomically
    let seen = Mutex::new(Vec::new()); // lent to every thread: one Vec behind a lock
    let buffer = Arc::new(vec![0u8; 4096]); // one heap allocation, co-owned through Arc
    let all_alive = Barrier::new(threads);
    let strong_while_running = AtomicU64::new(0);

    thread::scope(|scope| {
        for _ in 0..threads {
            let buffer = Arc::clone(&buffer);
            let (counter, seen, all_alive) = (&counter, &seen, &all_alive);
            let strong = &strong_while_running;
            // Rust's default is 2 MiB too; saying it makes the layout independent of RUST_MIN_STACK.
            let builder = thread::Builder::new().stack_size(STACK_SIZE);
            let spawned = builder.spawn_scoped(scope, move || {
                let mut local_count = 0u64; // lives in this thread's own stack frame
                for _ in 0..increments {
                    counter.fetch_add(1, Ordering::Relaxed);
                    local_count += 1;
                    MINE.with(|mine| mine.set(mine.get() + 1));
                }
                // Wait until every thread is running, so that all stacks exist at the same time
                // and no stack can be a reused one.
                all_alive.wait();
                strong.fetch_max(Arc::strong_count(&buffer) as u64, Ordering::Relaxed);
                let record = Seen {
                    local_count,
                    local_at: &local_count as *const u64 as usize,
                    heap_at: buffer.as_ptr() as usize,
                    thread_local_at: MINE.with(|mine| mine as *const Cell<u64> as usize),
                };
                all_alive.wait(); // nobody drops its Arc before everyone has counted
                seen.lock().expect("no thread panics while holding the lock").push(record);
            });
            spawned.expect("the OS starts the thread");
        }
    });

    let seen = seen.into_inner().expect("the lock is not poisoned");
    let distinct = |address: fn(&Seen) -> usize| {
        let mut all: Vec<usize> = seen.iter().map(address).collect();
        all.sort_unstable();
        all.dedup();
        all.len()
    };
    let mut stacks: Vec<usize> = seen.iter().map(|s| s.local_at).collect();
    stacks.sort_unstable();
    let min_gap = stacks.windows(2).map(|w| w[1] - w[0]).min();

    let yes = |b: bool| if b { "yes" } else { "NO" };
    let mut out = format!("{threads} threads, {increments} increments each\n\n");
    out.push_str("shared by all threads:\n");
    out.push_str(&format!(
        "  AtomicU64 counter (one, lent to all):  {} (expected {})\n",
        counter.load(Ordering::Relaxed),
        threads as u64 * increments
    ));
    out.push_str(&format!(
        "  Mutex<Vec<_>> (one, lent to all):      {} records, one per thread\n",
        seen.len()
    ));
    out.push_str(&format!(
        "  Arc<Vec<u8>> buffer on the heap:       same address in all {threads} threads: {}; {} owners while they ran\n",
        yes(distinct(|s| s.heap_at) == 1),
        strong_while_running.load(Ordering::Relaxed)
    ));
    out.push_str("each thread's own:\n");
    out.push_str(&format!(
        "  local variable (on its stack):         {} different addresses; counts {}\n",
        distinct(|s| s.local_at),
        seen.iter().map(|s| s.local_count.to_string()).collect::<Vec<_>>().join(", ")
    ));
    out.push_str(&format!(
        "  stacks at least 1 MiB apart:           {}\n",
        yes(min_gap.is_none_or(|gap| gap >= 1 << 20))
    ));
    out.push_str(&format!(
        "  thread_local! MINE:                    {} different addresses\n",
        distinct(|s| s.thread_local_at)
    ));
    out.push_str(&format!(
        "main thread's MINE after the run:        {} (its own copy was never touched)\n",
        MINE.with(Cell::get)
    ));
    out
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["threads", "increments"])?;
    let threads = params.number_or("threads", 1, 16, 4)?;
    let increments = params.number_or("increments", 1, 10_000_000, 100_000)?;
    Ok(share(threads, increments))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_things_are_one_and_own_things_are_many() {
        let out = share(3, 1000);
        assert!(out.contains("3000 (expected 3000)"), "{out}");
        assert!(out.contains("same address in all 3 threads: yes; 4 owners while they ran"), "{out}");
        assert!(out.contains("3 different addresses; counts 1000, 1000, 1000"), "{out}");
        assert!(out.contains("at least 1 MiB apart:           yes"), "{out}");
        assert!(!out.contains("NO"), "{out}");
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(
            run("threads = 0").unwrap_err().to_string(),
            "input line 1: 0 is out of range (from 1 to 16)"
        );
        assert_eq!(run("threads = 2\nspeed = 1").unwrap_err().line, Some(2));
    }
}
