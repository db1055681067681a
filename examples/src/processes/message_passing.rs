//! Message passing, the pattern orderings exist for: one thread writes data and then raises a
//! flag; another waits for the flag and then reads the data. With a Release store of the flag
//! and an Acquire load of it, the reader is guaranteed to see the data. With weaker orderings
//! the language no longer promises it, whatever one machine happens to do.

use std::hint::spin_loop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "processes::message_passing",
    title: "Message passing: publish data with a Release store, read it after an Acquire load",
    file: file!(),
    default_input: "messages = 10000\n",
    input_help: "`messages = N` handed from writer to reader (1000 to 1000000) with each pair of orderings",
    runs: Runs::NativeOnly {
        reason: "it hands messages between two real OS threads, which the browser playground does not have",
        simulation: Some("processes::litmus"),
    },
    run: Run::Text(run),
};

// ANCHOR: example
/// Eight words of payload and the flag that says which message they hold, each on its own
/// cache line; `taken` is the reader's reply, so the writer never overwrites unread data.
#[repr(align(128))]
struct Line<T>(T);

struct Mailbox {
    data: Line<[AtomicU64; 8]>,
    flag: Line<AtomicU64>,
    taken: Line<AtomicU64>,
}

/// Hands `messages` messages from a writer thread to this thread. The payload is written and
/// read with Relaxed atomics; only the flag's orderings change. Returns how many messages the
/// reader found stale: the flag said "message m" but a word of the data was older.
pub fn hand_over(messages: u64, flag_store: Ordering, flag_load: Ordering) -> u64 {
    let mailbox = Mailbox {
        data: Line(std::array::from_fn(|_| AtomicU64::new(0))),
        flag: Line(AtomicU64::new(0)),
        taken: Line(AtomicU64::new(0)),
    };
    let mut stale = 0;
    thread::scope(|scope| {
        scope.spawn(|| {
            for m in 1..=messages {
                wait_until(&mailbox.taken.0, m - 1, Ordering::Acquire);
                for word in &mailbox.data.0 {
                    word.store(m, Ordering::Relaxed);
                }
                mailbox.flag.0.store(m, flag_store); // publish
            }
        });
        for m in 1..=messages {
            wait_until(&mailbox.flag.0, m, flag_load); // wait for message m
            if mailbox.data.0.iter().any(|word| word.load(Ordering::Relaxed) != m) {
                stale += 1;
            }
            mailbox.taken.0.store(m, Ordering::Release);
        }
    });
    stale
}

fn wait_until(cell: &AtomicU64, value: u64, order: Ordering) {
    let mut spins = 0u32;
    while cell.load(order) != value {
        spins += 1;
        if spins == 1_000 {
            spins = 0;
            thread::yield_now(); // on a busy machine the other thread may need this CPU
        } else {
            spin_loop();
        }
    }
}
// ANCHOR_END: example

/// The pairs of orderings compared: the flag's store, its load, and whether the language
/// guarantees that the reader sees the data.
const PAIRS: [(&str, Ordering, Ordering, bool); 3] = [
    ("Release store, Acquire load", Ordering::Release, Ordering::Acquire, true),
    ("Release store, Relaxed load", Ordering::Release, Ordering::Relaxed, false),
    ("Relaxed store, Relaxed load", Ordering::Relaxed, Ordering::Relaxed, false),
];

pub fn report(messages: u64) -> String {
    let mut out = format!(
        "message passing: the writer stores message m in 8 data words (Relaxed), then flag = m;\n\
         the reader waits for flag = m, then checks the 8 words. {messages} messages per pair:\n\n"
    );
    out.push_str(&format!(
        "{:<29} {:<16} {}\n",
        "flag", "stale data seen", "guaranteed fresh by the language"
    ));
    for (name, store, load, guaranteed) in PAIRS {
        let stale = hand_over(messages, store, load);
        let seen = match (stale > 0, guaranteed) {
            (false, _) => "never",
            (true, false) => "yes",
            (true, true) => "YES: a bug", // a broken promise: the test fails on this line
        };
        let promise = if guaranteed { "yes" } else { "no" };
        out.push_str(&format!("{name:<29} {seen:<16} {promise}\n"));
    }
    out.push_str(&format!("\nthis CPU: {}, {}\n", std::env::consts::ARCH, hardware_note()));
    out
}

/// What the CPU the test ran on does with the two unguaranteed pairs.
fn hardware_note() -> &'static str {
    if cfg!(any(target_arch = "x86_64", target_arch = "x86")) {
        "which keeps stores in order and loads in order (x86-TSO): the weaker pairs\n\
         happen to work here, and can fail on ARM or POWER, or when the compiler reorders"
    } else {
        "which may reorder stores to different addresses, and loads too: the weaker pairs\n\
         are allowed to fail here"
    }
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["messages"])?;
    let messages = params.number_or("messages", 1_000, 1_000_000, 10_000)?;
    Ok(report(messages))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_acquire_never_shows_stale_data() {
        assert_eq!(hand_over(10_000, Ordering::Release, Ordering::Acquire), 0);
    }

    /// x86-TSO keeps a thread's stores in order and its loads in order, so on x86 even the
    /// Relaxed flag works (the compiler, in practice, does not move these atomics). Elsewhere the
    /// same code may show stale data, which is what the language allows, so nothing is asserted.
    #[test]
    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    fn on_x86_even_relaxed_happens_to_work() {
        assert_eq!(hand_over(10_000, Ordering::Relaxed, Ordering::Relaxed), 0);
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(
            run("messages = 5").unwrap_err().to_string(),
            "input line 1: 5 is out of range (from 1000 to 1000000)"
        );
    }
}
