//! Lost wake-ups with a real `std::sync::Condvar`. A condition variable has no memory: a
//! `notify_one` with nobody waiting does nothing at all. So a consumer that waits without first
//! checking the condition, or that checks it and then lets go of the lock before it waits,
//! can sleep through the only notification it will ever get. Each broken interleaving is
//! forced with a channel handshake, so it happens on every run; the fixed consumer checks the
//! condition and waits under one lock, in a loop (`Condvar::wait_while`), and wakes in both
//! interleavings.

use std::sync::mpsc;
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::Duration;

use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "locks::lost_wakeup",
    title: "A lost wake-up with a real condition variable, and the predicate loop that fixes it",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it runs real threads, which the browser playground does not have",
        simulation: Some("locks::deadlock_search"),
    },
    run: Run::Text(run),
};

/// How long a consumer waits before it concludes that the notification was lost.
const GIVE_UP: Duration = Duration::from_millis(300);

// ANCHOR: example
/// A job queue reduced to one flag: "a job is ready".
struct Ready {
    flag: Mutex<bool>,
    changed: Condvar,
}

impl Ready {
    fn new() -> Self {
        Ready { flag: Mutex::new(false), changed: Condvar::new() }
    }

    /// The producer: set the flag under the lock, then notify.
    fn publish(&self) {
        *self.flag.lock().unwrap() = true;
        self.changed.notify_one();
    }
}

/// Bug 1: wait without looking at the flag. The producer ran first, so its notification went
/// to nobody, and this wait has nothing left to wake it.
fn wait_without_checking(ready: &Ready) -> bool {
    let guard = ready.flag.lock().unwrap();
    let (_guard, timeout) = ready.changed.wait_timeout(guard, GIVE_UP).unwrap();
    !timeout.timed_out()
}

/// Bug 2: check the flag, let go of the lock, then wait. `between` runs in the gap, where the
/// producer can set the flag and notify before this thread is waiting.
fn check_then_wait(ready: &Ready, between: impl FnOnce()) -> bool {
    let is_ready = *ready.flag.lock().unwrap(); // the lock is released at the end of this line
    if is_ready {
        return true;
    }
    between();
    let guard = ready.flag.lock().unwrap();
    let (_guard, timeout) = ready.changed.wait_timeout(guard, GIVE_UP).unwrap();
    !timeout.timed_out()
}

/// The fix: check and wait under one lock, in a loop. `wait_while` releases the lock only
/// inside the wait, atomically, and re-checks the flag after every wake-up, spurious or not.
/// Returns `None` if the flag was already set (no need to sleep), else whether it woke up.
fn wait_for_flag(ready: &Ready, between: impl FnOnce()) -> Option<bool> {
    let guard = ready.flag.lock().unwrap();
    between(); // the producer may start now, but it cannot set the flag while we hold the lock
    if *guard {
        return None;
    }
    let (guard, timeout) =
        ready.changed.wait_timeout_while(guard, Duration::from_secs(10), |is_ready| !*is_ready).unwrap();
    Some(*guard && !timeout.timed_out())
}
// ANCHOR_END: example

fn verdict(woke: bool) -> &'static str {
    if woke { "woke up: it saw the job" } else { "still asleep after 300 ms: the wake-up was lost" }
}

fn fixed_verdict(outcome: Option<bool>) -> &'static str {
    outcome.map_or("found the flag already set under the lock and never slept", verdict)
}

pub fn lost_wakeups() -> String {
    let mut out = String::new();

    out.push_str("1. the producer notifies before the consumer waits; the consumer waits without checking\n");
    let ready = Ready::new();
    thread::scope(|s| s.spawn(|| ready.publish()).join().expect("producer"));
    let woke = wait_without_checking(&ready);
    out.push_str(&format!("   consumer: {} (flag = {})\n", verdict(woke), *ready.flag.lock().unwrap()));

    out.push_str("2. the consumer checks, releases the lock, and the producer runs before it waits\n");
    let ready = Ready::new();
    let woke = thread::scope(|s| {
        let (go, wait_for_go) = mpsc::channel::<()>();
        let (done, wait_for_done) = mpsc::channel::<()>();
        let ready = &ready;
        s.spawn(move || {
            wait_for_go.recv().expect("go");
            ready.publish();
            done.send(()).expect("done");
        });
        check_then_wait(ready, || {
            go.send(()).expect("go");
            wait_for_done.recv().expect("done");
        })
    });
    out.push_str(&format!("   consumer: {} (flag = {})\n", verdict(woke), *ready.flag.lock().unwrap()));

    out.push_str("3. the fix, wait_while under one lock, in the same two interleavings\n");
    let ready = Ready::new();
    thread::scope(|s| s.spawn(|| ready.publish()).join().expect("producer"));
    out.push_str(&format!("   producer first: consumer {}\n", fixed_verdict(wait_for_flag(&ready, || {}))));
    let ready = Ready::new();
    let woke = thread::scope(|s| {
        let (go, wait_for_go) = mpsc::channel::<()>();
        let ready = &ready;
        s.spawn(move || {
            wait_for_go.recv().expect("go");
            ready.publish(); // blocks on the lock until the consumer is inside its wait
        });
        wait_for_flag(ready, || go.send(()).expect("go"))
    });
    out.push_str(&format!("   producer in the gap: consumer {}\n", fixed_verdict(woke)));
    out
}

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    Ok(lost_wakeups())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_bugs_lose_the_wakeup_and_the_fix_never_does() {
        let out = lost_wakeups();
        assert_eq!(out.matches("the wake-up was lost (flag = true)").count(), 2, "{out}");
        assert!(
            out.contains(
                "producer first: consumer found the flag already set under the lock and never slept"
            ),
            "{out}"
        );
        assert!(out.contains("producer in the gap: consumer woke up: it saw the job"), "{out}");
    }
}
