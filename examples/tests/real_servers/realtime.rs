//! The WebSockets chapter's cross-server rooms on a real Redis 7: two of the book's chat servers
//! (`examples::realtime::chat`, tokio-tungstenite on 127.0.0.1) share rooms through Redis
//! pub/sub on the shared server (`BF_REDIS`), on channels whose prefix is unique to the run.
//! What the clients received and what `PUBSUB NUMSUB` said are compared with
//! `examples/data/ws-redis-rooms.txt`, which `realtime::cluster` prints.

use examples::caching::client::{Client, shared_address};
use examples::caching::resp::Value;

use crate::harness::compare_or_bless;

#[test]
fn websocket_rooms_across_two_servers_through_redis_pubsub() {
    let check = "real_servers: WebSocket rooms through Redis pub/sub";
    let address = shared_address();
    match Client::connect(&address).and_then(|mut c| c.call(&["PING"])) {
        Ok(Value::Simple(pong)) if pong == "PONG" => {}
        other => {
            test_support::skip_or_fail(
                check,
                &format!("Redis at {address} does not answer PING: {other:?}"),
                "Start Redis 7 on 127.0.0.1:6379, or point BF_REDIS at one.",
            );
            return;
        }
    }
    let text = examples::realtime::cluster::observe(&address).unwrap_or_else(|e| panic!("{check}: {e}"));
    // The page's claims in words: one subscription per server, delivery on both servers, and
    // a publish to nobody lost.
    for claim in [
        "room:lobby has 2 subscribers",
        "carol (B) receives: lobby alice: hello from A",
        "alice (A) receives: lobby carol: hi from B",
        "room:lobby has 1 subscriber now",
        "PUBLISH lobby \"hello from A\" reached 2 subscriber(s)",
        "PUBLISH lobby \"anyone on A?\" reached 1 subscriber(s)",
        "pubsub class: 33554432 8388608 60",
        "0 receivers",
    ] {
        assert!(text.contains(claim), "{claim}\n{text}");
    }
    compare_or_bless("ws-redis-rooms.txt", &text).unwrap_or_else(|d| panic!("{d}"));
}
