//! The stream-processing chapter's consumer group on the shared NATS JetStream (`BF_NATS`):
//! `examples::stream::group::run` on a stream of the test's own, which it deletes at the end.

use examples::disttx::nats::shared_address;

use super::harness::{compare_or_bless, jetstream_or_skip, unique_name};

const FILE: &str = "stream-consumer-group-nats.txt";

#[test]
fn a_consumer_group_on_nats_jetstream() {
    let check = "real_servers: a consumer group on NATS JetStream";
    let Some(nats) = jetstream_or_skip(check) else {
        return;
    };
    let address = shared_address();
    let version = nats.info.get("version").and_then(|v| v.as_str()).unwrap_or("?").to_string();
    let minor = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let stream = unique_name("BF_DEPOSITS");
    let body = examples::stream::group::run(&address, &stream).unwrap_or_else(|e| panic!("{check}: {e}"));
    let out = format!(
        "# What NATS {minor} (JetStream) did (examples/tests/real_servers/stream.rs, examples/src/stream/group.rs):\n\
         # stream sequences, delivery counts, totals in €; the stream's name left out.\n\n{body}"
    );
    for claim in [
        "worker 2 pulls 3: stream seqs 7, 8, 9; writes them to both sinks and CRASHES before acking",
        "after ack_wait, worker 1 is redelivered stream seqs 7 (delivery 2), 8 (delivery 2), 9 (delivery 2)",
        "idempotent sink: 7 already applied, 8 already applied, 9 already applied",
        "(= expected)",
        "(double counted: +35 €)",
        "(the same totals)",
        "idempotent sink applies 0",
    ] {
        assert!(out.contains(claim), "{check}: expected `{claim}` in:\n{out}");
    }
    compare_or_bless(FILE, &out).unwrap_or_else(|d| panic!("{d}"));
}
