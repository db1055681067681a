//! A measured context switch. Two threads pinned to one CPU hand a byte back and forth through
//! two pipes: each must block until the other has run, so every round trip is two switches.
//! Then the same with a child process, and, for scale, a function call, an uncontended atomic
//! add and an uncontended Mutex. The kernel's own counters prove the switches happened.
//! Timings change from run to run, so the example prints their classes and ratios.

use std::hint::black_box;
use std::io::{Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Instant;

use crate::input::Params;
use crate::processes::wordcount::child_program;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "processes::context_switch",
    title: "A measured context switch, beside a function call and an atomic add",
    file: file!(),
    default_input: "round_trips = 200\nbatches = 50\n",
    input_help: "`round_trips = N` per timed batch (10 to 10000) and `batches = N` (5 to 500); the fastest batch counts",
    runs: Runs::NativeOnly {
        reason: "it blocks real threads and a child process on pipes and reads the kernel's counters",
        simulation: Some("processes::scheduler"),
    },
    run: Run::Text(run),
};

// ANCHOR: example
/// Time per context switch (or per operation), in nanoseconds, from the fastest of `batches`
/// batches: the batch least disturbed by whatever else the machine was doing.
fn fastest_batch(batches: u32, ops_per_batch: u32, mut batch: impl FnMut()) -> f64 {
    (0..batches)
        .map(|_| {
            let started = Instant::now();
            batch();
            started.elapsed().as_nanos() as f64 / f64::from(ops_per_batch)
        })
        .fold(f64::INFINITY, f64::min)
}

/// One side of the ping-pong: send a byte, block until the other side sends it back. Each
/// round trip is two switches when both sides share one CPU.
fn ping(to: &mut impl Write, from: &mut impl Read) -> std::io::Result<()> {
    let mut byte = [0u8; 1];
    to.write_all(b"x")?;
    from.read_exact(&mut byte)
}

/// The partner thread, or the child process: echo every byte until the pipe closes.
fn echo(from: &mut impl Read, to: &mut impl Write) -> std::io::Result<()> {
    let mut byte = [0u8; 1];
    while from.read(&mut byte)? == 1 {
        to.write_all(&byte)?;
        to.flush()?;
    }
    Ok(())
}

/// Two threads of this process, pinned to the calling thread's CPU (a spawned thread inherits
/// its creator's affinity). Returns ns per switch, and each side's switches per round trip.
fn thread_ping_pong(round_trips: u32, batches: u32) -> Result<(f64, Switched, Switched), String> {
    let (mut from_partner, mut partner_to_me) = std::io::pipe().map_err(|e| format!("a pipe: {e}"))?;
    let (mut partner_from_me, mut to_partner) = std::io::pipe().map_err(|e| format!("a pipe: {e}"))?;
    let partner = thread::spawn(move || -> std::io::Result<Switched> {
        let before = Switched::now()?;
        echo(&mut partner_from_me, &mut partner_to_me)?;
        before.since()
    });
    let before = Switched::now().map_err(|e| format!("reading the switch counters: {e}"))?;
    let mut failed = None;
    let ns = fastest_batch(batches, 2 * round_trips, || {
        for _ in 0..round_trips {
            if let Err(e) = ping(&mut to_partner, &mut from_partner) {
                failed.get_or_insert(e);
            }
        }
    });
    let mine = before.since().map_err(|e| format!("reading the switch counters: {e}"))?;
    drop(to_partner); // the partner reads end-of-file and returns
    let theirs = partner.join().map_err(|_| "the partner thread panicked")?.map_err(|e| format!("partner: {e}"))?;
    match failed {
        Some(e) => Err(format!("the ping-pong between threads failed: {e}")),
        None => Ok((ns, mine, theirs)),
    }
}

/// The same ping-pong with a child process (`processes-child echo`, which inherits this
/// thread's CPU affinity across fork and exec), through its stdin and stdout.
fn process_ping_pong(round_trips: u32, batches: u32) -> Result<(f64, Switched, Switched), String> {
    let mut child = Command::new(child_program()?)
        .arg("echo")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting the child: {e}"))?;
    let (mut to_child, mut from_child) = (child.stdin.take().ok_or("no stdin")?, child.stdout.take().ok_or("no stdout")?);
    let before = Switched::now().map_err(|e| format!("reading the switch counters: {e}"))?;
    let mut failed = None;
    let ns = fastest_batch(batches, 2 * round_trips, || {
        for _ in 0..round_trips {
            if let Err(e) = ping(&mut to_child, &mut from_child) {
                failed.get_or_insert(e);
            }
        }
    });
    let mine = before.since().map_err(|e| format!("reading the switch counters: {e}"))?;
    drop(to_child);
    let mut report = String::new();
    from_child.read_to_string(&mut report).map_err(|e| format!("reading the child's report: {e}"))?;
    let status = child.wait().map_err(|e| format!("waiting for the child: {e}"))?;
    if let Some(e) = failed {
        return Err(format!("the ping-pong with the child failed: {e}"));
    }
    let theirs = Switched::parse(report.trim())
        .ok_or_else(|| format!("the child ({status}) reported {report:?} instead of its switch counts"))?;
    Ok((ns, mine, theirs))
}

/// Context switches of one thread, as the kernel counts them in
/// `/proc/thread-self/status`: voluntary (it blocked) and involuntary (it was preempted); and
/// the CPU it was on when they were read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Switched {
    pub voluntary: u64,
    pub involuntary: u64,
    pub cpu: i32,
}

impl Switched {
    pub fn now() -> std::io::Result<Switched> {
        let status = std::fs::read_to_string("/proc/thread-self/status")?;
        let count = |key: &str| {
            status.lines().find_map(|line| line.strip_prefix(key)?.trim().parse::<u64>().ok()).ok_or_else(|| {
                std::io::Error::other(format!("no `{key}` line in /proc/thread-self/status"))
            })
        };
        Ok(Switched {
            voluntary: count("voluntary_ctxt_switches:")?,
            involuntary: count("nonvoluntary_ctxt_switches:")?,
            cpu: current_cpu(),
        })
    }

    /// The switches since `self` was read, and the CPU now.
    pub fn since(self) -> std::io::Result<Switched> {
        let now = Switched::now()?;
        Ok(Switched {
            voluntary: now.voluntary - self.voluntary,
            involuntary: now.involuntary - self.involuntary,
            cpu: now.cpu,
        })
    }

    pub fn total(self) -> u64 {
        self.voluntary + self.involuntary
    }

    /// The child's report, `voluntary involuntary cpu`.
    fn parse(text: &str) -> Option<Switched> {
        let mut words = text.split_whitespace();
        let (voluntary, involuntary, cpu) = (words.next()?, words.next()?, words.next()?);
        if words.next().is_some() {
            return None;
        }
        Some(Switched { voluntary: voluntary.parse().ok()?, involuntary: involuntary.parse().ok()?, cpu: cpu.parse().ok()? })
    }
}

#[inline(never)]
fn next(x: u64) -> u64 {
    x.wrapping_add(1)
}

/// A function call, an atomic add and a Mutex lock-unlock that no other thread touches.
fn baselines(batches: u32) -> [f64; 3] {
    const OPS: u32 = 100_000;
    let mut x = 0u64;
    let call = fastest_batch(batches, OPS, || {
        for _ in 0..OPS {
            x = next(black_box(x));
        }
    });
    black_box(x);
    let counter = AtomicU64::new(0);
    let atomic = fastest_batch(batches, OPS, || {
        for _ in 0..OPS {
            black_box(&counter).fetch_add(1, Ordering::SeqCst);
        }
    });
    let lock = Mutex::new(0u64);
    let mutex = fastest_batch(batches, OPS, || {
        for _ in 0..OPS {
            *black_box(&lock).lock().unwrap_or_else(|p| p.into_inner()) += 1;
        }
    });
    [call, atomic, mutex]
}
// ANCHOR_END: example

/// Everything one run measured.
pub struct Measured {
    pub pinned: Result<(), String>,
    pub thread_ns: f64,
    pub thread_sides: [Switched; 2],
    pub process_ns: f64,
    pub process_sides: [Switched; 2],
    pub on_one_cpu: bool,
    pub call_ns: f64,
    pub atomic_ns: f64,
    pub mutex_ns: f64,
}

/// Runs the measurement on a thread of its own, pinned to one CPU (pinning the caller would
/// leave it pinned afterwards).
pub fn measure(round_trips: u32, batches: u32) -> Result<Measured, String> {
    let measuring = thread::spawn(move || -> Result<Measured, String> {
        let pinned = pin_to_one_cpu();
        let cpu = current_cpu();
        let warm_up = 20.min(round_trips);
        thread_ping_pong(warm_up, 1)?;
        let (thread_ns, mine, partner) = thread_ping_pong(round_trips, batches)?;
        let (process_ns, parent, child) = process_ping_pong(round_trips, batches)?;
        let sides = [mine, partner, parent, child];
        let on_one_cpu = pinned.is_ok() && sides.iter().all(|side| side.cpu == cpu);
        let [call_ns, atomic_ns, mutex_ns] = baselines(batches.min(20));
        Ok(Measured {
            pinned,
            thread_ns,
            thread_sides: [mine, partner],
            process_ns,
            process_sides: [parent, child],
            on_one_cpu,
            call_ns,
            atomic_ns,
            mutex_ns,
        })
    });
    measuring.join().map_err(|_| "the measuring thread panicked".to_string())?
}

/// Restricts the calling thread to the first CPU it may use now.
#[cfg(target_os = "linux")]
fn pin_to_one_cpu() -> Result<(), String> {
    // SAFETY: cpu_set_t is plain data; the calls get its size and a pointer to it.
    unsafe {
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut allowed) != 0 {
            return Err(format!("sched_getaffinity: {}", std::io::Error::last_os_error()));
        }
        let first = (0..libc::CPU_SETSIZE as usize)
            .find(|&cpu| libc::CPU_ISSET(cpu, &allowed))
            .ok_or("the affinity mask is empty")?;
        let mut one: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(first, &mut one);
        if libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &one) != 0 {
            return Err(format!("sched_setaffinity: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn pin_to_one_cpu() -> Result<(), String> {
    Err("pinning a thread to a CPU is done here with Linux's sched_setaffinity".into())
}

#[cfg(target_os = "linux")]
fn current_cpu() -> i32 {
    // SAFETY: no arguments, no memory.
    unsafe { libc::sched_getcpu() }
}

#[cfg(not(target_os = "linux"))]
fn current_cpu() -> i32 {
    -1
}

// ANCHOR: child
/// `processes-child echo`: echo stdin to stdout byte by byte; at end of file, report this
/// thread's context switches during the echo and its CPU as `voluntary involuntary cpu`.
pub fn child_echo() -> ExitCode {
    let result = Switched::now().and_then(|before| {
        echo(&mut std::io::stdin().lock(), &mut std::io::stdout().lock())?;
        before.since()
    });
    match result {
        Ok(switched) => {
            println!("{} {} {}", switched.voluntary, switched.involuntary, switched.cpu);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("echo: {e}");
            ExitCode::FAILURE
        }
    }
}
// ANCHOR_END: child

/// `between 0.5 and 20 µs`: the class a time per switch falls in.
pub fn switch_class(ns: f64) -> &'static str {
    match ns {
        ns if ns < 500.0 => "under 0.5 µs: less than the text expects",
        ns if ns < 20_000.0 => "between 0.5 and 20 µs: microseconds, as the text says",
        _ => "over 20 µs: a very busy or very slow machine",
    }
}

pub fn report(round_trips: u32, batches: u32) -> Result<String, String> {
    let m = measure(round_trips, batches)?;
    let yes = |b: bool| if b { "yes" } else { "NO" };
    let mut out = format!(
        "two threads, then this process and a child, hand a byte back and forth through two pipes;\n\
         {batches} batches of {round_trips} round trips each, the fastest batch counts\n"
    );
    match &m.pinned {
        Ok(()) => out.push_str("both sides pinned to one CPU: every round trip is two context switches\n\n"),
        Err(why) => out.push_str(&format!(
            "NOT pinned ({why}): the sides may run on two CPUs, and a round trip then\n\
             includes waking the other CPU\n\n"
        )),
    }
    out.push_str(&format!("thread switch (round trip / 2):  {}\n", switch_class(m.thread_ns)));
    let process_vs_thread = m.process_ns / m.thread_ns;
    out.push_str(&format!(
        "process switch:                  {}\n",
        match process_vs_thread {
            r if r < 0.5 => "under half a thread switch (unexpected)",
            r if r < 2.0 => "between 0.5x and 2x a thread switch: about the same",
            _ => "over 2x a thread switch",
        }
    ));
    out.push_str(&format!("all of it on one CPU:            {}\n", yes(m.on_one_cpu)));
    let expected = u64::from(round_trips) * u64::from(batches);
    let each_side = |sides: &[Switched; 2]| sides.iter().all(|side| side.total() >= expected);
    out.push_str(&format!(
        "the kernel counted at least one switch per round trip for each thread: {}\n",
        yes(each_side(&m.thread_sides))
    ));
    out.push_str(&format!(
        "  and for the parent and the child process:                           {}\n",
        yes(each_side(&m.process_sides))
    ));
    out.push_str("  (voluntary when a side blocked in read, involuntary when the other's write preempted it)\n\n");
    // Lower bounds that hold in the unoptimised test build (where the loops around the call,
    // the add and the lock cost more) as well as in an optimised one.
    let times = |what: &str, ns: f64, at_least: f64| {
        let ratio = m.thread_ns / ns;
        if ratio > at_least {
            format!("a thread switch costs more than {at_least}x {what}\n")
        } else {
            format!("a thread switch costs NOT more than {at_least}x {what}, only {ratio:.0}x\n")
        }
    };
    out.push_str(&times("a function call", m.call_ns, 100.0));
    out.push_str(&times("an uncontended atomic add (SeqCst fetch_add)", m.atomic_ns, 100.0));
    out.push_str(&times("an uncontended Mutex lock and unlock", m.mutex_ns, 10.0));
    Ok(out)
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["round_trips", "batches"])?;
    let round_trips = params.number_or("round_trips", 10, 10_000, 200)?;
    let batches = params.number_or("batches", 5, 500, 50)?;
    report(round_trips, batches).map_err(InputError::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_is_microseconds_and_costs_far_more_than_a_call() {
        let m = measure(100, 20).unwrap();
        assert!(m.pinned.is_ok(), "{:?}", m.pinned);
        assert!(m.on_one_cpu);
        for sides in [m.thread_sides, m.process_sides] {
            for side in sides {
                assert!(side.total() >= 2_000, "{side:?}");
            }
        }
        assert!(m.thread_ns > 100.0 * m.call_ns, "switch {} ns, call {} ns", m.thread_ns, m.call_ns);
        assert!(m.thread_ns > 100.0 * m.atomic_ns, "switch {} ns, atomic {} ns", m.thread_ns, m.atomic_ns);
        assert!(m.thread_ns > 10.0 * m.mutex_ns, "switch {} ns, mutex {} ns", m.thread_ns, m.mutex_ns);
        let ratio = m.process_ns / m.thread_ns;
        assert!((0.5..2.0).contains(&ratio), "process/thread = {ratio}");
    }

    #[test]
    fn the_child_report_is_parsed_strictly() {
        assert_eq!(Switched::parse("12 3 1"), Some(Switched { voluntary: 12, involuntary: 3, cpu: 1 }));
        assert_eq!(Switched::parse("12 3"), None);
        assert_eq!(Switched::parse("12 3 4 5"), None);
        assert_eq!(Switched::parse("x 3 1"), None);
    }

    #[test]
    fn classes_have_their_boundaries() {
        assert!(switch_class(499.0).starts_with("under 0.5"));
        assert!(switch_class(3_000.0).starts_with("between 0.5 and 20"));
        assert!(switch_class(20_000.0).starts_with("over 20"));
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(
            run("batches = 1").unwrap_err().to_string(),
            "input line 1: 1 is out of range (from 5 to 500)"
        );
    }
}
