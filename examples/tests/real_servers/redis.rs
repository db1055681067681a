//! The caching chapter's claims on a real Redis 7, through the book's own RESP2 client
//! (`examples::caching::client`), each compared with its file in `examples/data/`:
//!
//! * `redis-eviction.txt`: the same workload under six `maxmemory-policy` settings, each on a
//!   private `redis-server` started on a free loopback port (so the shared server's
//!   configuration is never changed) and killed at the end;
//! * `redis-expiry.txt`: TTLs and lazy versus active expiry, on a private server (active expiry
//!   is switched off with `DEBUG`, which a private server may allow);
//! * `redis-stampede.txt`: N threads missing one key at once on the shared server
//!   (`BF_REDIS`, default 127.0.0.1:6379), and releasing a lock by compare-and-delete.
//!
//! A missing `redis-server` program (`BF_REDIS_SERVER`) or shared server fails in CI and is
//! reported loudly elsewhere (`test_support::skip_or_fail`).

use examples::caching::client::{Client, PrivateServer, server_program, shared_address};
use examples::caching::observe::{
    self, EvictionRun, POLICIES, Protection, STAMPEDE_THREADS, hit_class, left_class,
};
use examples::caching::resp::Value;

use crate::harness::compare_or_bless;

/// Whether a private `redis-server` can be started here; says so (or fails in CI) if not.
fn private_servers_available(check: &str) -> bool {
    match PrivateServer::start(&[]) {
        Ok(_) => true,
        Err(error) => {
            test_support::skip_or_fail(
                check,
                &format!("cannot start `{}`: {error}", server_program()),
                "Install Redis 7 (Debian: `apt-get install redis-server`), or point BF_REDIS_SERVER at redis-server.",
            );
            false
        }
    }
}

/// Whether the shared Redis answers PING; says so (or fails in CI) if not.
fn shared_server_available(check: &str) -> bool {
    let address = shared_address();
    match Client::connect(&address).and_then(|mut c| c.call(&["PING"])) {
        Ok(Value::Simple(pong)) if pong == "PONG" => true,
        other => {
            test_support::skip_or_fail(
                check,
                &format!("Redis at {address} does not answer PING: {other:?}"),
                "Start Redis 7 on 127.0.0.1:6379, or point BF_REDIS at one.",
            );
            false
        }
    }
}

fn run_of<'a>(runs: &'a [EvictionRun], label: &str) -> &'a EvictionRun {
    runs.iter().find(|r| r.label == label).unwrap_or_else(|| panic!("no run `{label}`"))
}

#[test]
fn redis_eviction_policies_on_private_servers() {
    let check = "real_servers: Redis eviction policies";
    if !private_servers_available(check) {
        return;
    }
    let runs = observe::eviction().unwrap_or_else(|e| panic!("{check}: {e}"));
    assert_eq!(runs.len(), POLICIES.len());
    if std::env::var_os("BF_SHOW_EXACT").is_some() {
        eprintln!("{runs:#?}");
    }
    let text = observe::render_eviction(&runs);
    // The exact figures, for a failure's message: the file has only their classes.
    let text = format!("{text}\nexact: {runs:#?}");
    // The claims the page makes in words, so that a blessed file cannot contradict it.
    let (lru, lfu) = (run_of(&runs, "allkeys-lru"), run_of(&runs, "allkeys-lfu"));
    let (ttl, none) = (run_of(&runs, "volatile-ttl"), run_of(&runs, "noeviction"));
    let volatile = run_of(&runs, "volatile-lru, no TTLs");
    // LRU and LFU keep a hot set that is read between floods...
    assert_eq!(hit_class(lru.hot_hits), "≥ 95%", "{text}");
    assert_eq!(hit_class(lfu.hot_hits), "≥ 95%", "{text}");
    // ...but a one-off scan flushes it from LRU, not from LFU.
    assert_eq!(left_class(lru.hot_left), "< 25%", "{text}");
    assert_eq!(left_class(lfu.hot_left), "≥ 90%", "{text}");
    // volatile-ttl evicts the keys nearest expiry, hot or not.
    assert_eq!(hit_class(ttl.hot_hits), "< 50%", "{text}");
    // noeviction, and a volatile policy with nothing volatile, refuse writes with OOM.
    for refusing in [none, volatile] {
        assert_eq!(refusing.evicted, 0, "{text}");
        assert!(refusing.first_error.as_deref().is_some_and(|e| e.starts_with("OOM ")), "{text}");
        assert_eq!(refusing.reads_and_deletes_work, Some(true), "{text}");
    }
    let file = observe::render_eviction(&runs);
    compare_or_bless("redis-eviction.txt", &file).unwrap_or_else(|d| panic!("{d}\nexact: {runs:#?}"));
}

#[test]
fn redis_expiry_on_a_private_server() {
    let check = "real_servers: Redis expiry";
    if !private_servers_available(check) {
        return;
    }
    let text = observe::expiry().unwrap_or_else(|e| panic!("{check}: {e}"));
    // A plain SET drops the TTL; an expired key stays counted until read or swept.
    assert!(text.contains("a plain SET removed the TTL"), "{text}");
    for line in ["DBSIZE", "GET tmp:0", "(poll DBSIZE until 0)"] {
        assert!(text.contains(line), "{line}: {text}");
    }
    compare_or_bless("redis-expiry.txt", &text).unwrap_or_else(|d| panic!("{d}"));
}

#[test]
fn redis_stampede_and_lock_release_on_the_shared_server() {
    let check = "real_servers: Redis stampede";
    if !shared_server_available(check) {
        return;
    }
    let address = shared_address();
    let protections = [Protection::None, Protection::SingleFlight { groups: 2 }, Protection::RedisLock];
    let runs: Vec<_> = protections
        .iter()
        .map(|&p| observe::stampede(&address, p, STAMPEDE_THREADS).unwrap_or_else(|e| panic!("{check}: {e}")))
        .collect();
    // Every thread gets the value; the database sees N, one per process, and one load.
    assert!(runs.iter().all(|r| r.served == STAMPEDE_THREADS), "{runs:?}");
    assert_eq!(runs.iter().map(|r| r.loads).collect::<Vec<_>>(), [STAMPEDE_THREADS, 2, 1], "{runs:?}");
    let release = observe::lock_release(&address).unwrap_or_else(|e| panic!("{check}: {e}"));
    let text = observe::render_stampede(&runs, &release);
    compare_or_bless("redis-stampede.txt", &text).unwrap_or_else(|d| panic!("{d}"));
}
