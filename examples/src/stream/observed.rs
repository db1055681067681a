//! What the real servers did when the chapter's checks last ran, as checked in under
//! `examples/data/` (`cargo xtask bless` rewrites the files; the tests fail when a server
//! disagrees): PostgreSQL's logical decoding (`examples/tests/real_servers/cdc.rs`) and a NATS
//! JetStream consumer group (`examples/tests/real_servers/stream.rs`, which runs
//! [`super::group::run`]).

use crate::real_servers::print_observation;
use crate::registry::InputError;

pub const CDC_OBSERVED: &str = include_str!("../../data/cdc-test-decoding.txt");
pub const CONSUMER_GROUP_OBSERVED: &str = include_str!("../../data/stream-consumer-group-nats.txt");

pub fn cdc(input: &str) -> Result<String, InputError> {
    print_observation(CDC_OBSERVED, input)
}

pub fn consumer_group(input: &str) -> Result<String, InputError> {
    print_observation(CONSUMER_GROUP_OBSERVED, input)
}
