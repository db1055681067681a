//! A real deadlock between two threads, found by a watchdog, and the same workload fixed by
//! taking the locks in one global order.
//!
//! Two threads move money between accounts A and B, each account a `std::sync::Mutex`. In the
//! broken version thread T1 locks A then B and T2 locks B then A; a rendezvous once both hold
//! their first lock makes the fatal interleaving certain (neither asks for its second lock
//! before the other holds its first), so the deadlock happens on every run instead of once in a
//! while. The fixed version meets once both have asked for their first lock, since only one of
//! them can hold A. Every
//! acquisition is also published in a small registry (who holds which lock, who waits for
//! which), and a watchdog thread reads it: when nothing has progressed for a whole interval and
//! the wait-for graph has a cycle, it reports the cycle. A `std::sync::Mutex` cannot be taken
//! from its owner and `lock()` has no timeout, so the watchdog's only remedy is to end the
//! process. That is why the threads run in a child process (`locks-child`): the example (the
//! parent) survives, reads the report, and sees how the child ended.

use std::io::{Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::programs::sibling_program;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "locks::deadlock",
    title: "Two threads, two mutexes, opposite orders: a real deadlock, a watchdog, and the fix",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it starts threads in a child process, which the browser playground does not have",
        simulation: Some("locks::deadlock_search"),
    },
    run: Run::Text(run),
};

/// Transfers each thread makes (one unit each way, so the balances end where they started).
pub const TRANSFERS: u32 = 20_000;
/// The watchdog looks this often; a deadlock is reported when nothing moved for a whole interval.
pub const WATCHDOG_INTERVAL: Duration = Duration::from_millis(100);
/// The exit code of a child whose watchdog found a deadlock.
pub const DEADLOCK_EXIT: u8 = 3;
/// The parent's own guard: a child still running after this is killed and reported.
const PARENT_DEADLINE: Duration = Duration::from_secs(30);

const LOCK_NAMES: [&str; 2] = ["A", "B"];
const THREAD_NAMES: [&str; 2] = ["T1", "T2"];

// ANCHOR: example
/// What each thread holds and waits for, as the threads publish it: the wait-for graph.
#[derive(Debug, Default, Clone)]
struct Registry {
    holder: [Option<usize>; 2],  // lock -> thread
    waiting: [Option<usize>; 2], // thread -> lock
    progress: u64,               // acquisitions so far
    finished: usize,
}

struct Bank {
    accounts: [Mutex<i64>; 2],
    registry: Mutex<Registry>,
    at_rendezvous: AtomicUsize,
}

/// Where the two threads meet on their first transfer, between their first and second lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rendezvous {
    /// Once both hold their first lock: with opposite orders, the interleaving that deadlocks.
    FirstLockHeld,
    /// Once both have asked for their first lock. With one order only one thread can hold it,
    /// so waiting for both to hold it would wait forever.
    FirstLockTried,
}

impl Bank {
    /// Locks account `lock` for thread `me`, saying so in the registry before and after.
    fn lock(&self, me: usize, lock: usize) -> MutexGuard<'_, i64> {
        self.registry.lock().unwrap().waiting[me] = Some(lock);
        let guard = self.accounts[lock].lock().unwrap();
        let mut registry = self.registry.lock().unwrap();
        registry.waiting[me] = None;
        registry.holder[lock] = Some(me);
        registry.progress += 1;
        guard
    }

    /// Unlocks: the registry first, so it never claims a lock is free while it is still held.
    fn unlock(&self, lock: usize, guard: MutexGuard<'_, i64>) {
        self.registry.lock().unwrap().holder[lock] = None;
        drop(guard);
    }

    /// Moves one unit from account `from` to account `to`, taking the locks in `order`; on the
    /// first transfer the two threads meet at `rendezvous` between their two locks.
    fn transfer(&self, me: usize, from: usize, to: usize, order: [usize; 2], rendezvous: Option<Rendezvous>) {
        if rendezvous == Some(Rendezvous::FirstLockTried) {
            self.at_rendezvous.fetch_add(1, Ordering::SeqCst);
        }
        let first = self.lock(me, order[0]);
        if rendezvous == Some(Rendezvous::FirstLockHeld) {
            self.at_rendezvous.fetch_add(1, Ordering::SeqCst);
        }
        if rendezvous.is_some() {
            while self.at_rendezvous.load(Ordering::SeqCst) < 2 {
                thread::yield_now();
            }
        }
        let second = self.lock(me, order[1]);
        let (mut first, mut second) = (first, second);
        let (from_account, to_account) =
            if order == [from, to] { (&mut *first, &mut *second) } else { (&mut *second, &mut *first) };
        *from_account -= 1;
        *to_account += 1;
        self.unlock(order[1], second);
        self.unlock(order[0], first);
    }
}

/// The cycle in the wait-for graph, if there is one: thread -> the thread holding what it waits for.
fn wait_for_cycle(registry: &Registry) -> Option<Vec<usize>> {
    let waits_for = |t: usize| registry.waiting[t].and_then(|lock| registry.holder[lock]);
    for start in 0..THREAD_NAMES.len() {
        let mut path = vec![start];
        while let Some(next) = waits_for(*path.last().expect("not empty")) {
            if let Some(at) = path.iter().position(|&t| t == next) {
                let mut cycle = path.split_off(at);
                cycle.push(next);
                return Some(cycle);
            }
            path.push(next);
        }
    }
    None
}

/// `locks-child deadlock opposite|ordered`: two threads make [`TRANSFERS`] transfers each,
/// watched by a watchdog that ends the process if they deadlock.
pub fn child_deadlock(ordered: bool) -> ExitCode {
    let bank = Bank {
        accounts: [Mutex::new(1000), Mutex::new(1000)],
        registry: Mutex::new(Registry::default()),
        at_rendezvous: AtomicUsize::new(0),
    };
    let (a, b) = (0, 1);
    // T1 moves from A to B, T2 from B to A. Opposite: each locks its source first.
    // Ordered: both lock A before B, whichever way the money goes.
    let (orders, rendezvous) = if ordered {
        ([[a, b], [a, b]], Rendezvous::FirstLockTried)
    } else {
        ([[a, b], [b, a]], Rendezvous::FirstLockHeld)
    };
    thread::scope(|scope| {
        for (me, (from, to)) in [(a, b), (b, a)].into_iter().enumerate() {
            let (bank, order) = (&bank, orders[me]);
            scope.spawn(move || {
                for i in 0..TRANSFERS {
                    bank.transfer(me, from, to, order, (i == 0).then_some(rendezvous));
                }
                bank.registry.lock().unwrap().finished += 1;
            });
        }
        // The watchdog: no progress for a whole interval, and a cycle, is a deadlock.
        let mut last_progress = None;
        loop {
            thread::sleep(WATCHDOG_INTERVAL);
            let registry = bank.registry.lock().unwrap().clone();
            if registry.finished == THREAD_NAMES.len() {
                break;
            }
            if last_progress == Some(registry.progress)
                && let Some(cycle) = wait_for_cycle(&registry)
            {
                println!(
                    "watchdog: no progress for {} ms, and the wait-for graph has a cycle:",
                    WATCHDOG_INTERVAL.as_millis()
                );
                for (t, name) in THREAD_NAMES.iter().enumerate() {
                    let holds: Vec<&str> =
                        (0..2).filter(|&l| registry.holder[l] == Some(t)).map(|l| LOCK_NAMES[l]).collect();
                    let waits = registry.waiting[t].map_or("nothing".to_string(), |l| {
                        format!(
                            "{}, which {} holds",
                            LOCK_NAMES[l],
                            registry.holder[l].map_or("nobody", |h| THREAD_NAMES[h])
                        )
                    });
                    println!("  {name} holds {}, waits for {waits}", holds.join(" and "));
                }
                let names: Vec<&str> = cycle.iter().map(|&t| THREAD_NAMES[t]).collect();
                println!("  cycle: {}", names.join(" -> "));
                println!("watchdog: a std Mutex cannot be taken back or given up on; ending the process");
                let _ = std::io::stdout().flush();
                std::process::exit(i32::from(DEADLOCK_EXIT));
            }
            last_progress = Some(registry.progress);
        }
    });
    let balances: Vec<i64> = bank.accounts.iter().map(|m| *m.lock().unwrap()).collect();
    let registry = bank.registry.lock().unwrap();
    println!("both threads finished {TRANSFERS} transfers each ({} lock acquisitions)", registry.progress);
    println!("balances: A = {}, B = {} (total {})", balances[0], balances[1], balances[0] + balances[1]);
    ExitCode::SUCCESS
}
// ANCHOR_END: example

/// Runs `locks-child deadlock <variant>` and returns its output and how it ended.
fn run_child(variant: &str) -> Result<(String, String), String> {
    let program = sibling_program("locks-child")?;
    let mut child = Command::new(&program)
        .args(["deadlock", variant])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", program.display()))?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| format!("waiting for the child: {e}"))? {
            break status;
        }
        if started.elapsed() > PARENT_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "the child ({variant}) was still running after {PARENT_DEADLINE:?} and was killed"
            ));
        }
        thread::sleep(Duration::from_millis(10));
    };
    let text = reader
        .join()
        .map_err(|_| "the reader thread panicked")?
        .map_err(|e| format!("reading the child: {e}"))?;
    Ok((text, crate::processes::crash::how_it_ended(status)))
}

pub fn deadlock_and_fix() -> Result<String, String> {
    let mut out = String::new();
    out.push_str("1. opposite orders: T1 locks A then B, T2 locks B then A (in a child process)\n");
    let (text, ended) = run_child("opposite")?;
    text.lines().for_each(|line| out.push_str(&format!("   {line}\n")));
    out.push_str(&format!("   the parent sees: {ended}\n"));
    out.push_str("2. one global order: both lock A before B, the same transfers, the same watchdog\n");
    let (text, ended) = run_child("ordered")?;
    text.lines().for_each(|line| out.push_str(&format!("   {line}\n")));
    out.push_str(&format!("   the parent sees: {ended}\n"));
    Ok(out)
}

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    deadlock_and_fix().map_err(InputError::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_finds_the_cycle_and_the_ordered_version_finishes() {
        let out = deadlock_and_fix().unwrap();
        assert!(out.contains("T1 holds A, waits for B, which T2 holds"), "{out}");
        assert!(out.contains("T2 holds B, waits for A, which T1 holds"), "{out}");
        assert!(out.contains("cycle: T1 -> T2 -> T1"), "{out}");
        assert!(out.contains(&format!("exited with code {DEADLOCK_EXIT}")), "{out}");
        assert!(
            out.contains("both threads finished 20000 transfers each (80000 lock acquisitions)"),
            "{out}"
        );
        assert!(out.contains("balances: A = 1000, B = 1000 (total 2000)"), "{out}");
        assert!(out.ends_with("the parent sees: exited with code 0\n"), "{out}");
    }

    #[test]
    fn a_cycle_needs_each_thread_to_wait_for_a_lock_the_other_holds() {
        let mut registry = Registry::default();
        assert_eq!(wait_for_cycle(&registry), None);
        registry.holder = [Some(0), Some(1)];
        registry.waiting = [Some(1), None];
        assert_eq!(wait_for_cycle(&registry), None, "T1 waits for T2, which is running");
        registry.waiting = [Some(1), Some(0)];
        assert_eq!(wait_for_cycle(&registry), Some(vec![0, 1, 0]));
    }
}
