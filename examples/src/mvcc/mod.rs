//! Chapter "Locking and MVCC".
//!
//! * `heap`: PostgreSQL's heap as the isolation chapter's engine leaves it after each step:
//!   tuples with `xmin` and `xmax`, transaction ids, the horizon, and `VACUUM`;
//! * `versions`: the row-version simulator (drawn), and its "predict, then reveal" variant;
//! * `lock_queue`: PostgreSQL's table-lock modes and their wait queue (drawn);
//! * `lock_modes`: the row-lock conflict tables, as a model and as the servers behave;
//! * `pg_heap`, `innodb_purge`, `job_queue`, `deadlock_victims`, `advisory`, `optimistic`:
//!   what the real PostgreSQL 15 and MariaDB 10.11 did, as recorded by
//!   `examples/tests/real_servers/`.

#[cfg(not(target_family = "wasm"))]
pub mod advisory;
#[cfg(not(target_family = "wasm"))]
pub mod deadlock_victims;
pub mod heap;
#[cfg(not(target_family = "wasm"))]
pub mod job_queue;
pub mod lock_modes;
pub mod lock_queue;
#[cfg(not(target_family = "wasm"))]
pub mod optimistic;
#[cfg(not(target_family = "wasm"))]
pub mod pg_heap;
#[cfg(not(target_family = "wasm"))]
pub mod purge;
pub mod versions;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    pg_heap::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    purge::EXAMPLE,
    versions::EXAMPLE,
    versions::PREDICT,
    #[cfg(not(target_family = "wasm"))]
    lock_modes::EXAMPLE,
    lock_queue::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    job_queue::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    job_queue::DRAIN,
    #[cfg(not(target_family = "wasm"))]
    advisory::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    deadlock_victims::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    optimistic::EXAMPLE,
];

/// What the wasm fuzz run does to a simulator's script, natively, for both simulators' tests:
/// `count` variants of `default_input` with lines dropped, added (from both simulators'
/// vocabulary), cut short or given a stray character.
#[cfg(test)]
fn mutated_scripts(default_input: &str, count: usize) -> Vec<String> {
    let lines: Vec<&str> = default_input.lines().collect();
    let extra = [
        "vacuum",
        "show",
        "T5: rollback",
        "T1: commit",
        "S2: commit",
        "T9: update test set value = 1",
        "S1: lock table in access share mode",
        "rows = 1:1",
        "level = serializable",
        "T1: begin",
    ];
    let mut rng = crate::rng::Rng::new(7);
    let mut scripts = Vec::with_capacity(count);
    for _ in 0..count {
        let mut input: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        for _ in 0..rng.range(1, 4) {
            let n = input.len().max(1) as u64;
            let at = rng.range(0, n - 1) as usize;
            match rng.range(0, 4) {
                0 if !input.is_empty() => {
                    input.remove(at);
                }
                1 => input.insert(
                    at.min(input.len()),
                    extra[rng.range(0, extra.len() as u64 - 1) as usize].to_string(),
                ),
                2 if at < input.len() => {
                    let line = input[at].clone();
                    let cut = rng.range(0, line.len() as u64) as usize;
                    input[at] = line.chars().take(cut).collect();
                }
                3 if at < input.len() => {
                    input[at].push(['(', ';', '-', 'é', '9', ':'][rng.range(0, 5) as usize])
                }
                _ => input.push(input.first().cloned().unwrap_or_default()),
            }
        }
        scripts.push(input.join("\n"));
    }
    scripts
}
