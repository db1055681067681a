//! A real measurement of weighted fair sharing: two busy threads pinned to one CPU, at
//! different nice values, and the share of the CPU each one gets from Linux's scheduler.
//! Linux gives a thread the weight of its nice value (`sched_prio_to_weight`: nice 0 is 1024,
//! nice 5 is 335, nice 10 is 110) and shares a CPU among its runnable threads in proportion to
//! their weights, under CFS and under EEVDF alike. The main thread reads each busy thread's
//! `/proc/self/task/<tid>/schedstat` (`proc(5)`: nanoseconds on the CPU first), so the ratio is
//! the kernel's own accounting. The nice values are set relative to the process's own, since
//! raising nice needs no privilege; the weights' ratios, and so the output, do not depend on it.

#[cfg(not(target_os = "linux"))]
use crate::registry::InputError;
use crate::registry::{Example, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "scheduling::nice_share",
    title: "Two busy threads on one CPU: nice values become CPU shares",
    file: file!(),
    default_input: "",
    input_help: "no input: three pairs of busy threads, each until the lighter one has had 120 ms of CPU",
    runs: Runs::NativeOnly {
        reason: "pins real threads to a CPU and sets their nice values (sched_setaffinity, setpriority)",
        simulation: Some("scheduling::fair"),
    },
    run: Run::Text(run),
};

#[cfg(not(target_os = "linux"))]
fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    Ok("This example needs Linux: sched_setaffinity, per-thread nice and /proc/self/task/<tid>/schedstat.\n"
        .into())
}

#[cfg(target_os = "linux")]
use linux::run;
#[cfg(target_os = "linux")]
pub use linux::{compete, plan_base};

#[cfg(target_os = "linux")]
mod linux {
    use std::fmt::Write as _;
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
    use std::sync::{Arc, Barrier};
    use std::time::{Duration, Instant};

    use super::super::scheduler::weight;
    use crate::processes::affinity::{allowed_cpus, pin_to};
    use crate::registry::InputError;

    /// A pair competes until its lighter thread has had this much CPU time: a few dozen of its
    /// slices, so that the ratio does not hang on one slice more or less, however many other
    /// threads (other tests, other programs) share the CPU and stretch the wall-clock time.
    const ENOUGH_NS: u64 = 120_000_000;
    /// ... but no longer than this; a pair that got less has its ratio judged on what it got.
    const AT_MOST: Duration = Duration::from_secs(8);
    /// How far the observed ratio may be from the weights' ratio: a factor of 1.25 either way
    /// (measured ratios land within a few per cent, even with other tests running).
    const TOLERANCE: f64 = 1.25;
    /// The pairs: nice steps between the two threads, and the weights' ratio in round numbers
    /// (from any base from 0 to 9 the table gives 1, 2.98 to 3.13, and 9.13 to 9.56).
    const STEPS: [(i32, u32); 3] = [(0, 1), (5, 3), (10, 9)];

    /// The nice value of the calling thread (on Linux `getpriority` with a thread id reads that
    /// thread; -1 is a valid answer, so errno tells an error apart).
    fn own_nice() -> Result<i32, String> {
        // SAFETY: errno is thread-local; getpriority takes plain integers.
        unsafe {
            *libc::__errno_location() = 0;
            let nice = libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t);
            if nice == -1 && *libc::__errno_location() != 0 {
                return Err(format!("getpriority: {}", std::io::Error::last_os_error()));
            }
            Ok(nice)
        }
    }

    /// Sets the calling thread's nice value (on Linux, `setpriority` with `PRIO_PROCESS` and a
    /// thread id changes that thread only).
    fn set_own_nice(nice: i32) -> Result<(), String> {
        // SAFETY: gettid has no arguments; setpriority takes plain integers.
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, nice) } != 0 {
            return Err(format!("setpriority({nice}): {}", std::io::Error::last_os_error()));
        }
        Ok(())
    }

    /// The lower nice value of every pair. Raising one's nice is always allowed, so the pairs
    /// sit at the process's own nice value and above when ten steps fit under 19; otherwise at
    /// nice 9, which needs the right to lower nice (CAP_SYS_NICE), tried on a throwaway thread.
    /// The weights' ratios do not depend on the base: 5 steps is about 3 : 1 and 10 steps about
    /// 9 : 1 wherever they start, so neither does the output.
    pub fn plan_base() -> Result<i32, String> {
        let own = own_nice()?;
        let top = 19 - STEPS[STEPS.len() - 1].0;
        if own <= top {
            return Ok(own);
        }
        std::thread::spawn(move || set_own_nice(top))
            .join()
            .map_err(|_| "the probing thread panicked".to_string())?
            .map_err(|why| {
                format!(
                    "this process runs at nice {own}, so two threads ten nice steps apart need nice \
                     {top} or lower, and lowering nice needs CAP_SYS_NICE ({why}); run it at nice {top} \
                     or lower (not under `nice -n 19`), or as root"
                )
            })?;
        Ok(top)
    }

    // ANCHOR: nice
    /// Nanoseconds a thread of this process has run on a CPU, from the first field of
    /// `/proc/self/task/<tid>/schedstat` (`proc(5)`), the kernel's own accounting.
    fn cpu_ns(tid: i32) -> Result<u64, String> {
        let path = format!("/proc/self/task/{tid}/schedstat");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        let first = text.split_whitespace().next().and_then(|f| f.parse().ok());
        first.ok_or_else(|| format!("{path}: unexpected `{}`", text.trim()))
    }

    /// A busy thread: pins itself to `cpu`, sets its own nice value, publishes its thread id,
    /// and spins until `stop`.
    fn busy(
        cpu: usize,
        nice: i32,
        tid: &AtomicI32,
        start: &Barrier,
        stop: &AtomicBool,
    ) -> Result<(), String> {
        let ready = pin_to(cpu).and_then(|()| set_own_nice(nice));
        // SAFETY: gettid has no arguments.
        tid.store(unsafe { libc::gettid() }, Ordering::SeqCst);
        start.wait(); // even on error, so that the other two threads are not left waiting
        ready?;
        let mut spins = 0u64;
        while !stop.load(Ordering::Relaxed) {
            spins = std::hint::black_box(spins.wrapping_add(1));
        }
        Ok(())
    }

    /// Two busy threads at nice values `a` and `b` (a ≤ b) on one CPU, until the lighter one has
    /// had `ENOUGH_NS` of CPU (or `AT_MOST` has passed). Returns the CPU time each got.
    pub fn compete(cpu: usize, a: i32, b: i32) -> Result<[u64; 2], String> {
        let start = Arc::new(Barrier::new(3));
        let stop = Arc::new(AtomicBool::new(false));
        let tids = Arc::new([AtomicI32::new(0), AtomicI32::new(0)]);
        let threads: Vec<_> = [a, b]
            .into_iter()
            .enumerate()
            .map(|(k, nice)| {
                let (start, stop, tids) = (Arc::clone(&start), Arc::clone(&stop), Arc::clone(&tids));
                std::thread::spawn(move || busy(cpu, nice, &tids[k], &start, &stop))
            })
            .collect();
        start.wait();
        let tids = [tids[0].load(Ordering::SeqCst), tids[1].load(Ordering::SeqCst)];
        let measured = (|| {
            let began = Instant::now();
            let base = [cpu_ns(tids[0])?, cpu_ns(tids[1])?];
            loop {
                std::thread::sleep(Duration::from_millis(20));
                let ran = [cpu_ns(tids[0])? - base[0], cpu_ns(tids[1])? - base[1]];
                if ran[0].min(ran[1]) >= ENOUGH_NS || began.elapsed() >= AT_MOST {
                    return Ok(ran);
                }
            }
        })();
        stop.store(true, Ordering::Relaxed);
        for thread in threads {
            thread.join().map_err(|_| "a busy thread panicked".to_string())??;
        }
        measured
    }
    // ANCHOR_END: nice

    pub(super) fn run(input: &str) -> Result<String, InputError> {
        crate::input::no_input(input)?;
        // The last CPU this process may use; other programs may use it too, which stretches
        // the measurement but does not change the ratio between the two threads.
        let cpu = allowed_cpus()
            .map_err(InputError::new)?
            .last()
            .copied()
            .ok_or_else(|| InputError::new("no CPU"))?;
        let base = plan_base().map_err(InputError::new)?;
        let mut out = String::from(
            "Two threads spin on one CPU at nice values n and n + d, until the lighter one has had\n\
             120 ms of CPU (n is this process's own nice value, or 9 if that leaves no room for\n\
             d = 10); each thread's CPU time comes from /proc/self/task/<tid>/schedstat. A pair whose\n\
             ratio misses is measured once more before the answer is NO.\n\n",
        );
        for (d, about) in STEPS {
            let (a, b) = (base, base + d);
            let expected = f64::from(weight(a)) / f64::from(weight(b));
            let measure = || -> Result<f64, InputError> {
                let ran = compete(cpu, a, b).map_err(InputError::new)?;
                Ok(ran[0] as f64 / ran[1].max(1) as f64)
            };
            let fits = |observed: f64| observed > expected / TOLERANCE && observed < expected * TOLERANCE;
            let first = measure()?;
            let second = if fits(first) { None } else { Some(measure()?) };
            let _ = writeln!(out, "d = {d:>2}: weights in the ratio of about {about}:1");
            match second {
                Some(second) if !fits(second) => {
                    let _ = writeln!(
                        out,
                        "  CPU times within a factor of 1.25 of that: NO, {first:.2}:1 and then {second:.2}:1 (weights {expected:.2}:1)"
                    );
                }
                _ => {
                    let _ = writeln!(out, "  CPU times within a factor of 1.25 of that: yes");
                }
            }
        }
        Ok(out)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// From any base from 0 to 9 the weights' ratios are near the round numbers printed.
        #[test]
        fn the_weights_ratios_do_not_depend_on_the_base() {
            for base in 0..=9 {
                for (d, about) in STEPS {
                    let ratio = f64::from(weight(base)) / f64::from(weight(base + d));
                    assert!((ratio - f64::from(about)).abs() < 0.6, "nice {base} and {}: {ratio}", base + d);
                }
            }
        }

        /// The pairs start at the thread's own nice value when ten steps fit under 19; above
        /// that, at 9 if the process may lower nice, and otherwise an error that says why.
        #[test]
        fn the_pairs_start_at_the_process_nice_value() {
            std::thread::spawn(|| {
                let own = own_nice().unwrap();
                if own > 9 {
                    match plan_base() {
                        Ok(base) => assert_eq!(base, 9),
                        Err(why) => test_support::skip_or_fail(
                            "scheduling::nice_share's measurement",
                            &why,
                            "Run the tests at nice 9 or lower, or with CAP_SYS_NICE.",
                        ),
                    }
                    return;
                }
                assert_eq!(plan_base(), Ok(own));
                // Raising nice is always allowed; from nice 12 the pairs need nice 9.
                set_own_nice(12).unwrap();
                match plan_base() {
                    Ok(base) => assert_eq!(base, 9),
                    Err(why) => assert!(why.contains("CAP_SYS_NICE"), "{why}"),
                }
            })
            .join()
            .unwrap();
        }
    }
}
