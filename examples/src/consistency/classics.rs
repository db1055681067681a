//! The classic histories, each checked twice: linearizable? sequentially consistent? Each is a
//! small story about a real system, and each verdict is also a unit test of the checker.

use std::fmt::Write as _;

use super::checker::{self, Model, Verdict};
use super::history;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "consistency::classics",
    title: "The classic histories, judged under two models",
    file: file!(),
    default_input: "",
    input_help: "no input: the histories are in the source",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: classics
/// (name, what it stands for, history).
pub const CLASSICS: &[(&str, &str, &str)] = &[
    (
        "stale read",
        "a read from an async replica after the write was acknowledged",
        "c1 0 10 write 1\nc2 20 30 read 0",
    ),
    (
        "read during write",
        "a read concurrent with a write may return either value",
        "c1 0 10 write 1\nc2 5 15 read 0\nc3 12 20 read 1",
    ),
    (
        "new, then old",
        "two replicas at different lag, read one after the other while a write is in flight",
        "c1 0 30 write 1\nc2 5 10 read 1\nc3 15 20 read 0",
    ),
    (
        "two orders",
        "two concurrent writes that two readers see in opposite orders",
        "c1 0 10 write 1\nc2 0 10 write 2\nc3 20 25 read 1\nc3 30 35 read 2\nc4 20 25 read 2\nc4 30 35 read 1",
    ),
    (
        "lost update",
        "two compare-and-sets from the same value both succeed (last-write-wins)",
        "c1 0 10 cas 0 1 ok\nc2 0 10 cas 0 2 ok",
    ),
    (
        "timed-out write",
        "a write whose answer was lost, later seen by everyone",
        "c1 0 ? write 1\nc2 50 60 read 1\nc3 70 80 read 1",
    ),
    (
        "flickering write",
        "the same, but a later read misses it (a failover lost it)",
        "c1 0 ? write 1\nc2 50 60 read 1\nc3 70 80 read 0",
    ),
    (
        "own write missed",
        "a client writes, then reads the old value (read-your-writes broken)",
        "c1 0 10 write 1\nc1 20 30 read 0",
    ),
];
// ANCHOR_END: classics

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    let mut out =
        format!("{:<18} {:<13} {:<11} what it stands for\n", "history", "linearizable", "sequential");
    for &(name, story, text) in CLASSICS {
        let (h, _) = history::parse(text).map_err(|e| InputError::new(format!("{name}: {e}")))?;
        let verdict = |model| match checker::check(&h, model, 100_000).verdict {
            Verdict::Ok(_) => "yes",
            Verdict::Violation => "no",
            Verdict::Exhausted => "unknown",
        };
        let _ = writeln!(
            out,
            "{name:<18} {:<13} {:<11} {story}",
            verdict(Model::Linearizable),
            verdict(Model::Sequential)
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sequential_but_not_linearizable_and_neither_are_both_present() {
        let out = super::run("").unwrap();
        assert!(
            out.lines().any(|l| l.starts_with("stale read") && l.contains(" no ") && l.contains(" yes "))
        );
        assert!(out.lines().any(|l| l.starts_with("two orders") && l.matches(" no ").count() == 2));
        assert!(out.lines().any(|l| l.starts_with("own write missed") && l.matches(" no ").count() == 2));
    }
}
