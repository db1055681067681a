//! Serializable snapshot isolation protects only serializable transactions: the doctors' write
//! skew on the real PostgreSQL 15, with one transaction at repeatable read and then with both
//! at serializable.
//!
//! `examples/tests/real_servers/` runs [`SCENARIOS`] and compares what the server did with
//! `examples/data/ssi-mixed-levels.txt` (`cargo xtask bless` rewrites it); this example prints
//! that file.

use crate::real_servers::{Scenario, Server, print_observation};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "isolation::ssi_mixed",
    title: "The doctors' write skew at mixed levels, on a real PostgreSQL 15",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real PostgreSQL did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs a PostgreSQL server; the page shows what the server did when the test last ran",
        simulation: Some("isolation::stepper"),
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/ssi-mixed-levels.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: example
const DOCTORS: &str = "CREATE TABLE doctors (name text PRIMARY KEY, on_call boolean NOT NULL);
INSERT INTO doctors (name, on_call) VALUES ('alice', true), ('bob', true);";
// ANCHOR_END: example

/// Each doctor checks that two are on call, then goes off call.
const ONE_REPEATABLE_READ: &str = "
T1: BEGIN ISOLATION LEVEL REPEATABLE READ
T2: BEGIN ISOLATION LEVEL SERIALIZABLE
T1: SELECT count(*) FROM doctors WHERE on_call
T2: SELECT count(*) FROM doctors WHERE on_call
T1: UPDATE doctors SET on_call = false WHERE name = 'alice'
T2: UPDATE doctors SET on_call = false WHERE name = 'bob'
T1: COMMIT
T2: COMMIT
T1: SELECT count(*) FROM doctors WHERE on_call";

const BOTH_SERIALIZABLE: &str = "
T1: BEGIN ISOLATION LEVEL SERIALIZABLE
T2: BEGIN ISOLATION LEVEL SERIALIZABLE
T1: SELECT count(*) FROM doctors WHERE on_call
T2: SELECT count(*) FROM doctors WHERE on_call
T1: UPDATE doctors SET on_call = false WHERE name = 'alice'
T2: UPDATE doctors SET on_call = false WHERE name = 'bob'
T1: COMMIT
T2: COMMIT
T1: SELECT count(*) FROM doctors WHERE on_call";

/// What the test runs, in the order the file shows them.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        server: Server::Postgres,
        title: "T1 at repeatable read, T2 at serializable",
        setup: DOCTORS,
        script: ONE_REPEATABLE_READ,
    },
    Scenario {
        server: Server::Postgres,
        title: "both at serializable",
        setup: DOCTORS,
        script: BOTH_SERIALIZABLE,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_server_did_and_its_scenarios_parse() {
        assert_eq!(run("").unwrap(), OBSERVED);
        for scenario in SCENARIOS {
            scenario.lines().unwrap();
        }
    }
}
