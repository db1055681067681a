//! The caching chapter's claims on a real Redis 7, through the book's own RESP2 client
//! (`examples::caching::client`), each compared with its file in `examples/data/`:
//!
//! * `redis-eviction.txt`: the same workload under six `maxmemory-policy` settings, each on a
//!   private `redis-server` started on a free loopback port (so the shared server's
//!   configuration is never changed) and killed at the end;
//! * `redis-expiry.txt`: TTLs and lazy versus active expiry, on a private server (active expiry
//!   is switched off with `DEBUG`, which a private server may allow);
//! * `redis-stampede.txt`: N threads missing one key at once on the shared server
//!   (`BF_REDIS`, default 127.0.0.1:6379), each load a query on the shared PostgreSQL
//!   (`BF_POSTGRES`, in a schema of the test's own), which counts the loads; and releasing a
//!   lock by compare-and-delete.
//!
//! A missing `redis-server` program (`BF_REDIS_SERVER`), shared Redis or PostgreSQL fails in CI
//! and is reported loudly elsewhere (`test_support::skip_or_fail`).

use std::sync::Mutex;

use examples::caching::client::{Client, PrivateServer, server_program, shared_address};
use examples::caching::observe::{
    self, Database, EvictionRun, POLICIES, Protection, STAMPEDE_THREADS, hit_class, left_class,
};
use examples::caching::resp::Value;
use examples::real_servers::Server;

use crate::harness::{compare_or_bless, connect_postgres, unique_name, unreachable};

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

/// The stampede's database: the shared PostgreSQL, in a schema of this test's own, dropped at
/// the end.
struct Postgres {
    schema: String,
    admin: Mutex<postgres::Client>,
}

impl Postgres {
    fn create() -> Result<Postgres, String> {
        let mut admin = connect_postgres()?;
        let schema = unique_name("bf_caching");
        admin.batch_execute(&format!("CREATE SCHEMA {schema}")).map_err(|e| e.to_string())?;
        let database = Postgres { schema, admin: Mutex::new(admin) };
        let mut setup = database.connect()?;
        database.query(&mut setup, observe::DATABASE_SETUP)?;
        Ok(database)
    }
}

impl Database for Postgres {
    type Connection = postgres::Client;

    fn connect(&self) -> Result<postgres::Client, String> {
        let mut client = connect_postgres()?;
        client.batch_execute(&format!("SET search_path TO {}", self.schema)).map_err(|e| e.to_string())?;
        Ok(client)
    }

    fn query(&self, client: &mut postgres::Client, sql: &str) -> Result<Option<String>, String> {
        let messages = client.simple_query(sql).map_err(|e| format!("{sql}: {e}"))?;
        Ok(messages
            .iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or("NULL").to_string()),
                _ => None,
            })
            .last())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
        if let Err(e) = self
            .admin
            .lock()
            .map_err(|e| e.to_string())
            .and_then(|mut c| c.batch_execute(&sql).map_err(|e| e.to_string()))
        {
            eprintln!("could not drop {}: {e}", self.schema);
        }
    }
}

#[test]
fn redis_stampede_and_lock_release_on_the_shared_server() {
    let check = "real_servers: Redis stampede";
    if !shared_server_available(check) {
        return;
    }
    let database = match Postgres::create() {
        Ok(database) => database,
        Err(e) => return unreachable(check, Server::Postgres, &e),
    };
    let address = shared_address();
    let protections = [Protection::None, Protection::SingleFlight { groups: 2 }, Protection::RedisLock];
    let runs: Vec<_> = protections
        .iter()
        .map(|&p| {
            observe::stampede(&address, &database, p, STAMPEDE_THREADS)
                .unwrap_or_else(|e| panic!("{check}: {e}"))
        })
        .collect();
    // Every thread gets the value; the database counts N loads, one per process, and one.
    assert!(runs.iter().all(|r| r.served == STAMPEDE_THREADS), "{runs:?}");
    assert_eq!(runs.iter().map(|r| r.loads).collect::<Vec<_>>(), [STAMPEDE_THREADS, 2, 1], "{runs:?}");
    let release = observe::lock_release(&address).unwrap_or_else(|e| panic!("{check}: {e}"));
    let text = observe::render_stampede(&runs, &release);
    compare_or_bless("redis-stampede.txt", &text).unwrap_or_else(|d| panic!("{d}"));
}
