//! A real measurement of weighted fair sharing: two busy threads pinned to one CPU, at
//! different nice values, and the share of the CPU each one gets from Linux's scheduler.
//! Linux gives a thread the weight of its nice value (`sched_prio_to_weight`: nice 0 is 1024,
//! nice 5 is 335, nice 10 is 110) and shares a CPU among its runnable threads in proportion to
//! their weights, under CFS and under EEVDF alike. Each thread reads its own
//! `/proc/thread-self/schedstat` (`proc(5)`: nanoseconds on the CPU, nanoseconds waiting on a
//! run queue, time slices) before and after, so the ratio is the kernel's own accounting.

#[cfg(not(target_os = "linux"))]
use crate::registry::InputError;
use crate::registry::{Example, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "scheduling::nice_share",
    title: "Two busy threads on one CPU: nice values become CPU shares",
    file: file!(),
    default_input: "",
    input_help: "no input: three pairs of busy threads, 300 ms each",
    runs: Runs::NativeOnly {
        reason: "pins real threads to a CPU and sets their nice values (sched_setaffinity, setpriority)",
        simulation: Some("scheduling::fair"),
    },
    run: Run::Text(run),
};

#[cfg(not(target_os = "linux"))]
fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    Ok("This example needs Linux: sched_setaffinity, per-thread nice and /proc/thread-self/schedstat.\n"
        .into())
}

#[cfg(target_os = "linux")]
pub use linux::compete;
#[cfg(target_os = "linux")]
use linux::run;

#[cfg(target_os = "linux")]
mod linux {
    use std::fmt::Write as _;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Barrier};
    use std::time::Duration;

    use super::super::scheduler::weight;
    use crate::processes::affinity::{allowed_cpus, pin_to};
    use crate::registry::InputError;

    /// How long each pair competes; long enough for about a hundred slices of a few ms.
    const ROUND: Duration = Duration::from_millis(300);

    // ANCHOR: nice
    /// One thread's own accounting, from `/proc/thread-self/schedstat`: nanoseconds on the CPU
    /// and nanoseconds runnable but waiting for it.
    fn schedstat() -> Result<(u64, u64), String> {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat")
            .map_err(|e| format!("/proc/thread-self/schedstat: {e}"))?;
        let mut fields = text.split_whitespace().map(|f| f.parse::<u64>());
        match (fields.next(), fields.next()) {
            (Some(Ok(run)), Some(Ok(wait))) => Ok((run, wait)),
            _ => Err(format!("/proc/thread-self/schedstat: unexpected `{}`", text.trim())),
        }
    }

    /// Pins the calling thread to `cpu`, sets its own nice value (on Linux, `setpriority` with
    /// `PRIO_PROCESS` and a thread id changes that thread only), waits for its rival, spins
    /// until `stop`, and returns the CPU time it got and the time it waited in that window.
    fn busy(cpu: usize, nice: i32, start: &Barrier, stop: &AtomicBool) -> Result<(u64, u64), String> {
        pin_to(cpu)?;
        // SAFETY: gettid has no arguments; setpriority takes plain integers.
        let set = unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, nice) };
        if set != 0 {
            // Raising nice is always allowed; going back down (a test run under `nice -n 19`
            // asking for nice 0) needs CAP_SYS_NICE.
            return Err(format!(
                "setpriority({nice}): {} (a process already niced above {nice} needs CAP_SYS_NICE to go back)",
                std::io::Error::last_os_error()
            ));
        }
        start.wait();
        let (run0, wait0) = schedstat()?;
        let mut spins = 0u64;
        while !stop.load(Ordering::Relaxed) {
            spins = std::hint::black_box(spins.wrapping_add(1));
        }
        let (run1, wait1) = schedstat()?;
        Ok((run1 - run0, wait1 - wait0))
    }

    /// Two busy threads at `nice` values `a` and `b` on one CPU for `ROUND`.
    pub fn compete(cpu: usize, a: i32, b: i32) -> Result<[(u64, u64); 2], String> {
        let start = Arc::new(Barrier::new(3));
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = [a, b]
            .into_iter()
            .map(|nice| {
                let (start, stop) = (Arc::clone(&start), Arc::clone(&stop));
                std::thread::spawn(move || busy(cpu, nice, &start, &stop))
            })
            .collect();
        start.wait();
        std::thread::sleep(ROUND);
        stop.store(true, Ordering::Relaxed);
        let mut results =
            threads.into_iter().map(|t| t.join().map_err(|_| "a busy thread panicked".to_string())?);
        Ok([results.next().unwrap()?, results.next().unwrap()?])
    }
    // ANCHOR_END: nice

    pub(super) fn run(input: &str) -> Result<String, InputError> {
        crate::input::no_input(input)?;
        let cpu = allowed_cpus()
            .map_err(InputError::new)?
            .last()
            .copied()
            .ok_or_else(|| InputError::new("no CPU"))?;
        let mut out = String::from(
            "Two threads spin on one CPU for 300 ms; each reads its own /proc/thread-self/schedstat.\n\n",
        );
        for (a, b) in [(0, 0), (0, 5), (0, 10)] {
            let [(run_a, wait_a), (run_b, wait_b)] = compete(cpu, a, b).map_err(InputError::new)?;
            let expected = f64::from(weight(a)) / f64::from(weight(b));
            let observed = run_a as f64 / run_b.max(1) as f64;
            // The class: within a factor of 1.5 of the weights' ratio, however loaded the machine.
            let fits = observed > expected / 1.5 && observed < expected * 1.5;
            let _ = writeln!(
                out,
                "nice {a} vs nice {b}: weights {} and {}, expected CPU ratio {expected:.2}:1",
                weight(a),
                weight(b)
            );
            if fits {
                let _ = writeln!(
                    out,
                    "  observed ratio within a factor of 1.5 of that: yes (about {}:1)",
                    expected.round()
                );
            } else {
                let _ = writeln!(
                    out,
                    "  observed ratio within a factor of 1.5 of that: NO, it was {observed:.2}:1"
                );
            }
            // Sharing one CPU, the lighter thread waits on the run queue longer than it runs.
            let waited = if b == a { wait_a.min(wait_b) * 3 >= run_a.min(run_b) } else { wait_b > run_b };
            let claim = if a == b {
                "  each waited at least a third as long as it ran"
            } else {
                "  the niced thread spent longer waiting for the CPU than running"
            };
            let _ = writeln!(out, "{claim}: {}", if waited { "yes" } else { "NO" });
        }
        Ok(out)
    }
}
