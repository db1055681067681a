//! A table as a job queue, on the real PostgreSQL 15 and MariaDB 10.11: two workers claim the
//! next queued job with a plain `SELECT` (both take job 1), with `FOR UPDATE` (the second waits
//! for the first), and with `FOR UPDATE SKIP LOCKED` (the second takes job 2 at once). Plus a
//! drain with real threads: four workers, 200 jobs, each done exactly once.
//!
//! `examples/tests/real_servers/` runs [`SCENARIOS`] and [`drain`]'s SQL and compares what the
//! servers did with `examples/data/job-queue.txt` and `examples/data/queue-drain.txt`
//! (`cargo xtask bless` rewrites them); these examples print those files.

use crate::real_servers::{Scenario, Server, print_observation};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "mvcc::job_queue",
    title: "Two workers claim jobs three ways, on a real PostgreSQL 15 and MariaDB 10.11",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real servers did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs PostgreSQL and MariaDB servers; the page shows what they did when the test last ran",
        simulation: Some("mvcc::versions"),
    },
    run: Run::Text(run),
};

pub const DRAIN: Example = Example {
    id: "mvcc::queue_drain",
    title: "Four worker threads drain 200 jobs with SKIP LOCKED, on the real servers",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real servers did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs PostgreSQL and MariaDB servers; the page shows what they did when the test last ran",
        simulation: Some("mvcc::versions"),
    },
    run: Run::Text(run_drain),
};

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/job-queue.txt");
pub const OBSERVED_DRAIN: &str = include_str!("../../data/queue-drain.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

fn run_drain(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED_DRAIN, input)
}

// ANCHOR: example
const JOBS: &str = "CREATE TABLE jobs (id INT PRIMARY KEY, status VARCHAR(10) NOT NULL, worker VARCHAR(10));
INSERT INTO jobs (id, status) VALUES (1, 'queued'), (2, 'queued'), (3, 'queued');";

/// Each worker reads the first queued job, works on it, and marks it done.
const PLAIN: &str = "
A: BEGIN
A: SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1
B: BEGIN
B: SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1
A: UPDATE jobs SET status = 'done', worker = 'A' WHERE id = {read}
A: COMMIT
B: UPDATE jobs SET status = 'done', worker = 'B' WHERE id = {read}
B: COMMIT
A: SELECT id, status, worker FROM jobs ORDER BY id";

/// The same claim with a row lock.
const FOR_UPDATE: &str = "
A: BEGIN
A: SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE
B: BEGIN
B: SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE
A: UPDATE jobs SET status = 'done', worker = 'A' WHERE id = {read}
A: COMMIT
B: UPDATE jobs SET status = 'done', worker = 'B' WHERE id = {read}
B: COMMIT
A: SELECT id, status, worker FROM jobs ORDER BY id";

/// And skipping the rows another worker has locked.
const SKIP_LOCKED: &str = "
A: BEGIN
A: SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
B: BEGIN
B: SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
B: UPDATE jobs SET status = 'done', worker = 'B' WHERE id = {read}
B: COMMIT
A: UPDATE jobs SET status = 'done', worker = 'A' WHERE id = {read}
A: COMMIT
A: SELECT id, status, worker FROM jobs ORDER BY id";
// ANCHOR_END: example

/// What the test runs, on both servers.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        server: Server::Postgres,
        title: "a plain SELECT: both workers take job 1",
        setup: JOBS,
        script: PLAIN,
    },
    Scenario {
        server: Server::Mariadb,
        title: "a plain SELECT: both workers take job 1",
        setup: JOBS,
        script: PLAIN,
    },
    Scenario {
        server: Server::Postgres,
        title: "FOR UPDATE: the second worker waits for the first",
        setup: JOBS,
        script: FOR_UPDATE,
    },
    Scenario {
        server: Server::Mariadb,
        title: "FOR UPDATE: the second worker waits for the first",
        setup: JOBS,
        script: FOR_UPDATE,
    },
    Scenario {
        server: Server::Postgres,
        title: "FOR UPDATE SKIP LOCKED: the second worker takes the next job",
        setup: JOBS,
        script: SKIP_LOCKED,
    },
    Scenario {
        server: Server::Mariadb,
        title: "FOR UPDATE SKIP LOCKED: the second worker takes the next job",
        setup: JOBS,
        script: SKIP_LOCKED,
    },
];

// ANCHOR: drain
/// The drain: `{n}` jobs, each worker a connection on a thread of its own, looping over
/// claim, work, mark done, commit, until a claim finds nothing. `claims` counts how often a
/// job was marked done: exactly once each is the claim that nothing was done twice.
pub mod drain {
    pub const JOBS: usize = 200;
    pub const WORKERS: usize = 4;
    pub const SETUP: &str =
        "CREATE TABLE jobs (id INT PRIMARY KEY, status VARCHAR(10) NOT NULL, claims INT NOT NULL)";
    pub const FILL: &str = "INSERT INTO jobs (id, status, claims) VALUES ({id}, 'queued', 0)";
    pub const CLAIM: &str =
        "SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";
    pub const DONE: &str = "UPDATE jobs SET status = 'done', claims = claims + 1 WHERE id = {id}";
    pub const COUNT: &str = "SELECT count(*), coalesce(sum(claims), 0), coalesce(max(claims), 0), \
        count(CASE WHEN status = 'queued' THEN 1 END) FROM jobs";
}
// ANCHOR_END: drain

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_servers_did_and_its_scenarios_parse() {
        assert_eq!(run("").unwrap(), OBSERVED);
        assert_eq!(run_drain("").unwrap(), OBSERVED_DRAIN);
        for scenario in SCENARIOS {
            scenario.lines().unwrap();
        }
    }
}
