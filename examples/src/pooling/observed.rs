//! What the real PostgreSQL 15 did when `examples/tests/real_servers/pooling.rs` last ran, as
//! checked in under `examples/data/pooling-connect-cost.txt` (`cargo xtask bless` rewrites it;
//! the test fails when the server disagrees). This example prints the file; the page shows with
//! it how the test turns request times into the classes it records.

use std::time::Duration;

use crate::real_servers::print_observation;
use crate::registry::{Example, InputError, Run, Runs};

pub const CONNECT_COST: Example = Example {
    id: "pooling::connect_cost",
    title: "A connection is a process: connect-per-request against a pool, on a real PostgreSQL 15",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real server did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs a PostgreSQL server; the page shows what it did when the test last ran",
        simulation: Some("pooling::load"),
    },
    run: Run::Text(connect_cost),
};

/// What the connection-cost check observed, as checked in.
pub const CONNECT_COST_OBSERVED: &str = include_str!("../../data/pooling-connect-cost.txt");

fn connect_cost(input: &str) -> Result<String, InputError> {
    print_observation(CONNECT_COST_OBSERVED, input)
}

// ANCHOR: example
/// The fastest of one way's requests: its cost when nothing else on the machine got in the way.
/// A shared machine (other tests, other builds) slows a median by a varying amount; the fastest
/// of 200 moves far less, so the ratio of two of them is a stable property.
pub fn fastest(times: &[Duration]) -> Duration {
    times.iter().copied().min().unwrap_or_default()
}

/// The ratio of two request times as a class. The classes are wide on purpose: a loaded machine
/// moves a ratio by tens of percent, not across a class (the runs behind the chapter measured
/// 26× to 76× for connect-per-request against a pooled request, over nine runs).
pub fn ratio_class(ratio: f64) -> &'static str {
    match ratio {
        r if r < 2.0 => "under 2×",
        r if r < 10.0 => "2× to 10×",
        _ => "10× or more",
    }
}
// ANCHOR_END: example
