//! What the chapter checks on a real Redis 7, run by `examples/tests/real_servers/redis.rs` and
//! rendered without timings into `examples/data/redis-*.txt`, which the examples print.
//!
//! * [`eviction`]: the same workload (a hot set read by cache-aside, a cold flood, then a
//!   one-off scan) under each `maxmemory-policy`, each on a private `redis-server` of its own;
//! * [`expiry`]: TTLs set, lost and kept, and lazy versus active expiry, on a private server
//!   (turning active expiry off needs `DEBUG`, which only a private server allows);
//! * [`stampede`] and [`lock_release`]: N threads missing one key at once, with and without
//!   protection, each load a query on a real database (the test's [`Database`] is the local
//!   PostgreSQL, which counts the loads), and why a lock is released by compare-and-delete, on
//!   the shared server.
//!
//! Outputs are classes and exact counts that do not depend on timing: a barrier makes every
//! thread miss before any loads, and waits poll for a state instead of sleeping for a guess.
//! The examples [`EXPIRY`], [`EVICTION`] and [`STAMPEDE`] print the checked-in files, so the
//! page shows what the server did, next to the code that made it do it.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::client::{Client, PrivateServer};
use super::resp::Value;
use crate::real_servers::print_observation;
use crate::registry::{Example, InputError, Run, Runs};

// ---- The examples: each prints what the test last observed ----------------------------------

pub const EVICTION_FILE: &str = include_str!("../../data/redis-eviction.txt");
pub const EXPIRY_FILE: &str = include_str!("../../data/redis-expiry.txt");
pub const STAMPEDE_FILE: &str = include_str!("../../data/redis-stampede.txt");

const INPUT_HELP: &str = "No input: this prints what the real Redis did when the test last ran.";

pub const EVICTION: Example = Example {
    id: "caching::redis_eviction",
    title: "Eviction policies under maxmemory, each on a private redis-server",
    file: file!(),
    default_input: "",
    input_help: INPUT_HELP,
    runs: Runs::NativeOnly {
        reason: "it starts redis-server processes; the page shows what they did when the test last ran",
        simulation: Some("caching::hit_ratio"),
    },
    run: Run::Text(print_eviction),
};

pub const EXPIRY: Example = Example {
    id: "caching::redis_expiry",
    title: "TTLs, lazy expiry and active expiry on a private redis-server",
    file: file!(),
    default_input: "",
    input_help: INPUT_HELP,
    runs: Runs::NativeOnly {
        reason: "it starts a redis-server process; the page shows what it did when the test last ran",
        simulation: None,
    },
    run: Run::Text(print_expiry),
};

pub const STAMPEDE: Example = Example {
    id: "caching::redis_stampede",
    title: "Sixteen threads miss one key: loads without protection, with single-flight, with a Redis lock",
    file: file!(),
    default_input: "",
    input_help: INPUT_HELP,
    runs: Runs::NativeOnly {
        reason: "it needs Redis and real threads; the page shows what they did when the test last ran",
        simulation: Some("caching::stampede"),
    },
    run: Run::Text(print_stampede),
};

fn print_eviction(input: &str) -> Result<String, InputError> {
    print_observation(EVICTION_FILE, input)
}

fn print_expiry(input: &str) -> Result<String, InputError> {
    print_observation(EXPIRY_FILE, input)
}

fn print_stampede(input: &str) -> Result<String, InputError> {
    print_observation(STAMPEDE_FILE, input)
}

/// The header of every observation file.
fn header(what: &str) -> String {
    format!(
        "# Observed on Redis 7 ({what}) by examples/tests/real_servers/redis.rs;\n\
         # `cargo xtask bless` rewrites this file, and the test fails when the server disagrees.\n"
    )
}

/// A key no other run uses: the shared server may serve other tests at the same time.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("bf:caching:{}:{}:{prefix}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst))
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Polls `done` every 10 ms until it says yes or `limit` passes; whether it did.
fn wait_until(limit: Duration, mut done: impl FnMut() -> Result<bool, String>) -> Result<bool, String> {
    let started = Instant::now();
    loop {
        if done()? {
            return Ok(true);
        }
        if started.elapsed() > limit {
            return Ok(false);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

// ---- Eviction -------------------------------------------------------------------------------

/// The workload's sizes: what a reader can check against the page.
pub const HOT_KEYS: usize = 200;
pub const HOT_WARM_READS: usize = 100;
pub const ROUNDS: usize = 4;
pub const COLD_PER_ROUND: usize = 800;
pub const SCAN_KEYS: usize = 4000;
pub const VALUE_BYTES: usize = 1000;
/// `maxmemory` is the server's `used_memory` at start plus this much.
pub const ROOM_BYTES: u64 = 2 << 20;
/// Redis's LRU clock ticks once a second (`LRU_CLOCK_RESOLUTION`, 1,000 ms): keys touched in
/// the same second look equally old to it, so the workload's phases are a second apart.
const TICK: Duration = Duration::from_millis(1050);

/// One policy's run.
#[derive(Debug, Clone)]
pub struct EvictionRun {
    pub label: String,
    /// Hot-key reads that hit, in the rounds after the cache filled up, in percent.
    pub hot_hits: f64,
    /// Hot keys still there after the one-off scan, in percent.
    pub hot_left: f64,
    pub evicted: u64,
    pub refused: usize,
    pub first_error: Option<String>,
    /// Under noeviction, when full: does GET still answer, and is DEL allowed?
    pub reads_and_deletes_work: Option<bool>,
}

// ANCHOR: eviction
/// One run of the workload under `policy` on a private server. With `ttls`, hot keys are
/// written with `EX 600` and cold ones with `EX 3600`, so the hot keys are the ones closest
/// to expiry: what `volatile-ttl` looks at.
pub fn eviction_run(policy: &str, ttls: bool) -> Result<EvictionRun, String> {
    let server = PrivateServer::start(&["--maxmemory-policy", policy])?;
    let mut redis = server.connect()?;
    let start = redis.info_number("memory", "used_memory")?;
    redis.call(&["CONFIG", "SET", "maxmemory", &(start + ROOM_BYTES).to_string()])?;
    let value = "v".repeat(VALUE_BYTES);
    let set = |key: String, ttl: &str| {
        let mut command = vec!["SET".to_string(), key, value.clone()];
        if ttls {
            command.extend(strings(&["EX", ttl]));
        }
        command
    };
    let hot = |i: usize| format!("hot:{i}");
    // Error replies to writes: what noeviction answers when full.
    let mut refused: Vec<String> = Vec::new();
    fn errors(refused: &mut Vec<String>, replies: Vec<Value>) {
        refused.extend(replies.into_iter().filter_map(|r| match r {
            Value::Error(e) => Some(e),
            _ => None,
        }))
    }

    // The hot set: written, then read a hundred times each (LFU counts them).
    errors(&mut refused, redis.pipeline(&(0..HOT_KEYS).map(|i| set(hot(i), "600")).collect::<Vec<_>>())?);
    let reads: Vec<Vec<String>> =
        (0..HOT_KEYS * HOT_WARM_READS).map(|i| strings(&["GET", &hot(i % HOT_KEYS)])).collect();
    redis.pipeline(&reads)?;
    thread::sleep(TICK);

    // Rounds: a flood of cold keys, then one cache-aside pass over the hot set.
    let (mut hits, mut counted) = (0, 0);
    for round in 1..=ROUNDS {
        let (evicted_before, refused_before) = (redis.info_number("stats", "evicted_keys")?, refused.len());
        let cold: Vec<Vec<String>> =
            (0..COLD_PER_ROUND).map(|i| set(format!("cold:{round}:{i}"), "3600")).collect();
        errors(&mut refused, redis.pipeline(&cold)?);
        let full =
            redis.info_number("stats", "evicted_keys")? > evicted_before || refused.len() > refused_before;
        thread::sleep(TICK);
        let replies =
            redis.pipeline(&(0..HOT_KEYS).map(|i| strings(&["GET", &hot(i)])).collect::<Vec<_>>())?;
        let missed: Vec<usize> = (0..HOT_KEYS).filter(|&i| replies[i].is_nil()).collect();
        // A miss loads the value and writes it back: cache-aside.
        errors(
            &mut refused,
            redis.pipeline(&missed.iter().map(|&i| set(hot(i), "600")).collect::<Vec<_>>())?,
        );
        if full {
            hits += HOT_KEYS - missed.len();
            counted += HOT_KEYS;
        }
        thread::sleep(TICK);
    }

    // A one-off scan (a batch job, a crawler) writes keys that are never read again.
    let scan: Vec<Vec<String>> = (0..SCAN_KEYS).map(|i| set(format!("scan:{i}"), "3600")).collect();
    errors(&mut refused, redis.pipeline(&scan)?);
    let exists = redis.pipeline(&(0..HOT_KEYS).map(|i| strings(&["EXISTS", &hot(i)])).collect::<Vec<_>>())?;
    let left = exists.iter().filter(|r| r.integer() == Some(1)).count();

    // When writes are refused, reads and deletes still work.
    let reads_and_deletes_work = if refused.is_empty() {
        None
    } else {
        let read = redis.call(&["GET", &hot(0)])?.text().is_some();
        let deleted = redis.integer(&["DEL", &hot(1)])? == 1;
        Some(read && deleted)
    };
    Ok(EvictionRun {
        label: if ttls { policy.to_string() } else { format!("{policy}, no TTLs") },
        hot_hits: if counted == 0 { 100.0 } else { 100.0 * hits as f64 / counted as f64 },
        hot_left: 100.0 * left as f64 / HOT_KEYS as f64,
        evicted: redis.info_number("stats", "evicted_keys")?,
        refused: refused.len(),
        first_error: refused.into_iter().next(),
        reads_and_deletes_work,
    })
}
// ANCHOR_END: eviction

/// The policies compared, each with or without TTLs on its keys.
pub const POLICIES: &[(&str, bool)] = &[
    ("allkeys-lru", true),
    ("allkeys-lfu", true),
    ("allkeys-random", true),
    ("volatile-ttl", true),
    ("noeviction", true),
    ("volatile-lru", false),
];

/// Every policy at once, each on its own server (the runs take seconds, mostly waiting for the
/// LRU clock), in the order of [`POLICIES`].
pub fn eviction() -> Result<Vec<EvictionRun>, String> {
    thread::scope(|s| {
        let runs: Vec<_> = POLICIES.iter().map(|&(p, ttls)| s.spawn(move || eviction_run(p, ttls))).collect();
        runs.into_iter().map(|r| r.join().map_err(|_| "an eviction run panicked".to_string())?).collect()
    })
}

/// A percentage as the class the file records: exact values move from run to run, since Redis
/// picks eviction candidates by random sampling.
pub fn hit_class(percent: f64) -> &'static str {
    match percent {
        p if p >= 95.0 => "≥ 95%",
        p if p >= 50.0 => "50–95%",
        _ => "< 50%",
    }
}

pub fn left_class(percent: f64) -> &'static str {
    match percent {
        p if p >= 90.0 => "≥ 90%",
        p if p >= 25.0 => "25–90%",
        _ => "< 25%",
    }
}

pub fn render_eviction(runs: &[EvictionRun]) -> String {
    let mut out = header("a private redis-server per policy");
    let _ = write!(
        out,
        "#\n\
         # Each policy runs on its own server, maxmemory = used_memory at start + {} MB, with\n\
         # {VALUE_BYTES}-byte values. {HOT_KEYS} hot keys (EX 600) are read {HOT_WARM_READS} times each. Then {ROUNDS} rounds:\n\
         # write {COLD_PER_ROUND} cold keys (EX 3600), read the hot set once by cache-aside (a miss\n\
         # writes the key back). Then a one-off scan writes {SCAN_KEYS} keys and reads nothing.\n\
         # \"no TTLs\": the same workload with plain SETs. \"hot reads that hit\" counts the\n\
         # rounds after the cache filled up. Percentages are classes: Redis samples its\n\
         # eviction candidates at random, so exact counts vary from run to run.\n\n",
        ROOM_BYTES >> 20
    );
    let _ = writeln!(
        out,
        "{:<22} {:<20} {:<21} {:<14} writes refused",
        "policy", "hot reads that hit", "hot keys after scan", "keys evicted"
    );
    for run in runs {
        let _ = writeln!(
            out,
            "{:<22} {:<20} {:<21} {:<14} {}",
            run.label,
            hit_class(run.hot_hits),
            left_class(run.hot_left),
            if run.evicted > 0 { "yes" } else { "none" },
            if run.refused > 0 { "yes" } else { "none" }
        );
    }
    out.push('\n');
    for run in runs.iter().filter(|r| r.refused > 0) {
        let _ = writeln!(
            out,
            "{}: a refused write got: (error) {}",
            run.label,
            run.first_error.as_deref().unwrap_or("?")
        );
        if let Some(works) = run.reads_and_deletes_work {
            let _ = writeln!(
                out,
                "{}: when full, GET still answers and DEL still deletes: {}",
                run.label,
                if works { "yes" } else { "no" }
            );
        }
    }
    out
}

// ---- Expiry ---------------------------------------------------------------------------------

/// A transcript: one line per command, with its reply (or a class of it) and a remark.
#[derive(Default)]
struct Transcript {
    lines: Vec<(String, String, String)>,
}

impl Transcript {
    fn line(&mut self, command: &str, reply: impl Into<String>, note: &str) {
        self.lines.push((command.to_string(), reply.into(), note.to_string()));
    }

    fn heading(&mut self, text: &str) {
        self.lines.push((String::new(), String::new(), format!("== {text} ==")));
    }

    /// Runs `args`, records the reply as redis-cli shows it, returns it.
    fn call(&mut self, redis: &mut Client, args: &[&str], note: &str) -> Result<Value, String> {
        let reply = redis.call(args)?;
        self.line(&show_command(args), reply.show(), note);
        Ok(reply)
    }

    fn render(&self) -> String {
        let width = self.lines.iter().map(|(c, _, _)| c.chars().count()).max().unwrap_or(0);
        let reply_width = self.lines.iter().map(|(_, r, _)| r.chars().count()).max().unwrap_or(0);
        let mut out = String::new();
        for (command, reply, note) in &self.lines {
            if command.is_empty() {
                let _ = writeln!(out, "\n{note}");
                continue;
            }
            let note = if note.is_empty() { String::new() } else { format!("  # {note}") };
            let line = format!("{command:<width$}  {reply:<reply_width$}{note}");
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }
}

/// A command as redis-cli would take it, with long values and scripts abbreviated.
fn show_command(args: &[&str]) -> String {
    args.iter()
        .map(|a| {
            if a.contains(' ') || a.is_empty() {
                if a.starts_with("if redis.call") {
                    "<release script>".to_string()
                } else {
                    format!("\"{a}\"")
                }
            } else {
                a.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A remaining time as a class: `about N` when it lies within `slack` below `nominal` (the
/// clock runs between commands); the exact reply otherwise, which then fails the comparison.
fn about(reply: &Value, nominal: i64, slack: i64, unit: &str) -> String {
    match reply.integer() {
        Some(n) if n <= nominal && n >= nominal - slack => format!("about {nominal} {unit}"),
        _ => reply.show(),
    }
}

// ANCHOR: expiry
/// TTLs on a private server (so that active expiry may be switched off): what removes a TTL,
/// what keeps it, and when an expired key actually leaves memory.
pub fn expiry() -> Result<String, String> {
    let server = PrivateServer::start(&["--enable-debug-command", "yes"])?;
    let mut redis = server.connect()?;
    let mut t = Transcript::default();

    t.heading("A TTL is set, read, lost and kept");
    t.call(&mut redis, &["SET", "page:1", "<html>", "EX", "100"], "")?;
    let ttl = redis.call(&["TTL", "page:1"])?;
    t.line("TTL page:1", about(&ttl, 100, 1, "s"), "seconds left");
    let pttl = redis.call(&["PTTL", "page:1"])?;
    t.line("PTTL page:1", about(&pttl, 100_000, 1_000, "ms"), "milliseconds left");
    t.call(&mut redis, &["SET", "page:1", "<html v2>"], "")?;
    t.call(&mut redis, &["TTL", "page:1"], "a plain SET removed the TTL: the key lives for ever")?;
    t.call(&mut redis, &["SET", "page:1", "<html v3>", "EX", "100"], "")?;
    t.call(&mut redis, &["SET", "page:1", "<html v4>", "KEEPTTL"], "")?;
    let kept = redis.call(&["TTL", "page:1"])?;
    t.line("TTL page:1", about(&kept, 100, 1, "s"), "KEEPTTL kept it");
    t.call(&mut redis, &["SET", "views", "1", "EX", "100"], "")?;
    t.call(&mut redis, &["INCR", "views"], "")?;
    let incr = redis.call(&["TTL", "views"])?;
    t.line("TTL views", about(&incr, 100, 1, "s"), "INCR changes the value, not the TTL");
    t.call(
        &mut redis,
        &["EXPIRE", "page:1", "50", "GT"],
        "GT: only if later than the current expiry (50 s < ~100 s left)",
    )?;
    t.call(&mut redis, &["EXPIRE", "page:1", "200", "GT"], "")?;
    t.call(&mut redis, &["PERSIST", "page:1"], "")?;
    t.call(&mut redis, &["TTL", "page:1"], "no TTL")?;
    t.call(&mut redis, &["TTL", "no:such:key"], "no key")?;
    t.call(&mut redis, &["EXPIRE", "page:1", "0"], "a time not in the future deletes at once")?;
    t.call(&mut redis, &["EXISTS", "page:1"], "")?;

    t.heading("The key is gone once its time is up");
    t.call(&mut redis, &["SET", "session:9", "alice", "PX", "100"], "")?;
    let gone = wait_until(Duration::from_secs(5), || Ok(redis.integer(&["PTTL", "session:9"])? == -2))?;
    t.line("(wait until PTTL says -2)", if gone { "within 5 s" } else { "still there after 5 s" }, "");
    t.call(&mut redis, &["GET", "session:9"], "")?;

    t.heading("Lazy expiry: an expired key stays in memory until someone reads it");
    t.call(&mut redis, &["FLUSHALL"], "start empty")?;
    t.call(&mut redis, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"], "only on this private server")?;
    let expired_before = redis.info_number("stats", "expired_keys")?;
    let writes: Vec<Vec<String>> =
        (0..100).map(|i| strings(&["SET", &format!("tmp:{i}"), "x", "PX", "50"])).collect();
    let replies = redis.pipeline(&writes)?;
    let all_ok = replies.iter().all(|r| *r == Value::Simple("OK".into()));
    t.line("SET tmp:0 … tmp:99 x PX 50", if all_ok { "100 × OK" } else { "not all OK" }, "");
    thread::sleep(Duration::from_millis(200));
    t.line("(wait 200 ms: all 100 have expired)", "", "");
    t.call(&mut redis, &["DBSIZE"], "expired, but still counted: nobody asked")?;
    t.call(&mut redis, &["GET", "tmp:0"], "")?;
    t.call(&mut redis, &["DBSIZE"], "the read found it expired and deleted it")?;
    let lazily = redis.info_number("stats", "expired_keys")? - expired_before;
    t.line("INFO stats: expired_keys", format!("+{lazily}"), "");

    t.heading("Active expiry: a background cycle walks the keys with a TTL and deletes expired ones");
    t.call(&mut redis, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"], "")?;
    let emptied = wait_until(Duration::from_secs(5), || Ok(redis.integer(&["DBSIZE"])? == 0))?;
    t.line(
        "(poll DBSIZE until 0)",
        if emptied { "within 5 s" } else { "not within 5 s" },
        "nobody read them",
    );
    let actively = redis.info_number("stats", "expired_keys")? - expired_before;
    t.line("INFO stats: expired_keys", format!("+{actively} in all"), "");
    Ok(format!("{}{}", header("a private redis-server"), t.render()))
}
// ANCHOR_END: expiry

// ---- Stampede -------------------------------------------------------------------------------

/// How the threads that miss protect the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Every miss loads.
    None,
    /// The threads form `groups` processes, each with an in-process single-flight: one load
    /// per key per process, the others wait for its result.
    SingleFlight { groups: usize },
    /// A lock in Redis: `SET lock token NX PX 5000`; the others poll the cache.
    RedisLock,
}

/// What a stampede did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampedeRun {
    pub protection: Protection,
    pub threads: usize,
    /// Loads the database counted: rows the run added to its `loads` table.
    pub loads: usize,
    /// Threads that came back with the loaded value.
    pub served: usize,
}

/// The loader's work: long enough that every miss happens while the first load runs.
pub const LOAD_TIME: Duration = Duration::from_millis(50);
const LOCK_PX: &str = "5000";
const VALUE_PX: &str = "60000";

/// Deletes `KEYS[1]` only if it still holds `ARGV[1]`: the owner's token. Redis runs a script
/// atomically, so no other client can take the lock between the check and the delete.
pub const RELEASE: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

// ANCHOR: stampede
/// The database behind the cache: the test implements it on the local PostgreSQL, in a schema
/// of its own, with its PostgreSQL client. Each thread opens its own connection.
pub trait Database: Sync {
    type Connection;
    fn connect(&self) -> Result<Self::Connection, String>;
    /// Runs `sql` (one or more statements) and returns the first column of the last row.
    fn query(&self, connection: &mut Self::Connection, sql: &str) -> Result<Option<String>, String>;
}

/// The tables, created once in the test's schema.
pub const DATABASE_SETUP: &str =
    "CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2) NOT NULL);
     INSERT INTO products VALUES (42, 'product 42', 19.99);
     CREATE TABLE loads (n bigserial PRIMARY KEY);";

/// One load: the database records it in `loads`, then returns the product, slowly
/// ([`LOAD_TIME`], as `pg_sleep`): a query that every miss repeats.
pub const LOAD: &str = "INSERT INTO loads DEFAULT VALUES;
     SELECT name || ': ' || price || ' EUR', pg_sleep(0.05) FROM products WHERE id = 42";

/// What the database counted.
pub const LOADS: &str = "SELECT count(*) FROM loads";

fn load_from<D: Database>(database: &D, connection: &mut D::Connection) -> Result<String, String> {
    database.query(connection, LOAD)?.ok_or_else(|| "no product 42 in the database".to_string())
}

/// Cache-aside with a lock: whoever sets the lock loads (after looking once more, since the
/// value may have arrived meanwhile), writes the value, and releases the lock only if it
/// still holds its token. The others poll the cache.
fn with_lock(
    redis: &mut Client,
    key: &str,
    token: &str,
    load: impl FnOnce() -> Result<String, String>,
) -> Result<String, String> {
    let lock = format!("{key}:lock");
    let started = Instant::now();
    loop {
        if let Some(value) = redis.call(&["GET", key])?.text() {
            return Ok(value);
        }
        if redis.call(&["SET", &lock, token, "NX", "PX", LOCK_PX])?.text().as_deref() == Some("OK") {
            let value = match redis.call(&["GET", key])?.text() {
                Some(value) => value,
                None => {
                    let value = load()?;
                    redis.call(&["SET", key, &value, "PX", VALUE_PX])?;
                    value
                }
            };
            redis.call(&["EVAL", RELEASE, "1", &lock, token])?;
            return Ok(value);
        }
        if started.elapsed() > Duration::from_secs(10) {
            return Err("waited 10 s for the lock's holder".to_string());
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// One process's single-flight for one key: the first caller runs the flight (look in the
/// cache, load on a miss, write back), later callers wait for its result. Like Go's
/// `singleflight`, the flight is forgotten when it lands, so a late caller starts a new one,
/// which finds the value in the cache.
#[derive(Default)]
struct SingleFlight {
    state: Mutex<(bool, Option<String>)>,
    landed: Condvar,
}

impl SingleFlight {
    fn run(&self, flight: impl FnOnce() -> Result<String, String>) -> Result<String, String> {
        let mut state = self.state.lock().unwrap();
        if state.0 {
            let state = self.landed.wait_while(state, |(flying, _)| *flying).unwrap();
            return state.1.clone().ok_or_else(|| "the flight failed".to_string());
        }
        *state = (true, None);
        drop(state);
        let result = flight();
        *self.state.lock().unwrap() = (false, result.as_ref().ok().cloned());
        self.landed.notify_all();
        result
    }
}

/// `threads` threads, each with its own connections to Redis and to the database, look up one
/// key that is not cached. A barrier holds them until every one has missed, then each does what
/// `protection` says. The loads are what the database counted.
pub fn stampede<D: Database>(
    address: &str,
    database: &D,
    protection: Protection,
    threads: usize,
) -> Result<StampedeRun, String> {
    let key = unique("product:42");
    let count = |c: &mut D::Connection| -> Result<usize, String> {
        let n = database.query(c, LOADS)?.unwrap_or_default();
        n.parse().map_err(|_| format!("count(*) said `{n}`"))
    };
    let mut counter = database.connect()?;
    let loads_before = count(&mut counter)?;
    let all_missed = Barrier::new(threads);
    let groups = match protection {
        Protection::SingleFlight { groups } => groups,
        _ => 1,
    };
    let flights: Vec<SingleFlight> = (0..groups).map(|_| SingleFlight::default()).collect();
    let results: Vec<Result<String, String>> = thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (key, all_missed, flights) = (&key, &all_missed, &flights);
                s.spawn(move || {
                    // Every thread reaches the barrier, even one that failed, or the others
                    // would wait for ever.
                    let mut connection = Client::connect(address);
                    let db = database.connect();
                    let first =
                        connection.as_mut().map_err(|e| e.clone()).and_then(|r| r.call(&["GET", key]));
                    all_missed.wait();
                    let (mut redis, mut db) = (connection?, db?);
                    if !first?.is_nil() {
                        return Err("the key was cached before the stampede".to_string());
                    }
                    let mut load = || load_from(database, &mut db);
                    match protection {
                        Protection::None => {
                            let value = load()?;
                            redis.call(&["SET", key, &value, "PX", VALUE_PX])?;
                            Ok(value)
                        }
                        Protection::SingleFlight { .. } => flights[i % groups].run(|| {
                            if let Some(value) = redis.call(&["GET", key])?.text() {
                                return Ok(value);
                            }
                            let value = load()?;
                            redis.call(&["SET", key, &value, "PX", VALUE_PX])?;
                            Ok(value)
                        }),
                        Protection::RedisLock => with_lock(&mut redis, key, &format!("token-{i}"), load),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a thread panicked".into()))).collect()
    });
    let mut redis = Client::connect(address)?;
    redis.call(&["DEL", &key, &format!("{key}:lock")])?;
    let served = results.iter().filter(|r| r.as_deref() == Ok("product 42: 19.99 EUR")).count();
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        return Err(e.clone());
    }
    let loads = count(&mut counter)? - loads_before;
    Ok(StampedeRun { protection, threads, loads, served })
}
// ANCHOR_END: stampede

pub const STAMPEDE_THREADS: usize = 16;

/// Runs one client's command and records it, with the run's unique key shown by its name.
fn step(
    t: &mut Transcript,
    lock: &str,
    (who, client): (&str, &mut Client),
    args: &[&str],
    note: &str,
) -> Result<Value, String> {
    let reply = client.call(args)?;
    t.line(&format!("{who}: {}", show_command(args).replace(lock, "lock:report")), reply.show(), note);
    Ok(reply)
}

// ANCHOR: lock_release
/// A lock whose owner stalls past its expiry, released the naive way (`DEL`) and by
/// compare-and-delete.
pub fn lock_release(address: &str) -> Result<String, String> {
    let (mut a, mut b, mut c) =
        (Client::connect(address)?, Client::connect(address)?, Client::connect(address)?);
    let mut t = Transcript::default();
    for safe in [false, true] {
        let lock = unique("lock:report");
        t.heading(if safe { "Released by compare-and-delete" } else { "Released with a plain DEL" });
        step(
            &mut t,
            &lock,
            ("A", &mut a),
            &["SET", &lock, "a-token", "NX", "PX", "100"],
            "A holds it for 100 ms",
        )?;
        step(
            &mut t,
            &lock,
            ("B", &mut b),
            &["SET", &lock, "b-token", "NX", "PX", "5000"],
            "held: B must wait",
        )?;
        let expired = wait_until(Duration::from_secs(5), || Ok(b.integer(&["EXISTS", &lock])? == 0))?;
        t.line(
            "(A stalls: a GC pause, a slow call)",
            if expired { "lock expired" } else { "still held" },
            "",
        );
        step(&mut t, &lock, ("B", &mut b), &["SET", &lock, "b-token", "NX", "PX", "5000"], "B holds it now")?;
        if safe {
            step(
                &mut t,
                &lock,
                ("A", &mut a),
                &["EVAL", RELEASE, "1", &lock, "a-token"],
                "not A's token: kept",
            )?;
            step(&mut t, &lock, ("C", &mut c), &["SET", &lock, "c-token", "NX", "PX", "5000"], "still B's")?;
            step(
                &mut t,
                &lock,
                ("B", &mut b),
                &["EVAL", RELEASE, "1", &lock, "b-token"],
                "B releases its own",
            )?;
        } else {
            step(&mut t, &lock, ("A", &mut a), &["DEL", &lock], "A deletes B's lock")?;
            step(
                &mut t,
                &lock,
                ("C", &mut c),
                &["SET", &lock, "c-token", "NX", "PX", "5000"],
                "B and C both hold it",
            )?;
        }
        a.call(&["DEL", &lock])?;
    }
    Ok(t.render())
}
// ANCHOR_END: lock_release

/// The stampede file: the three protections, then the lock release.
pub fn render_stampede(runs: &[StampedeRun], release: &str) -> String {
    let mut out = header("the shared server");
    let _ = write!(
        out,
        "#\n\
         # {STAMPEDE_THREADS} threads, each with its own connections to Redis and PostgreSQL, GET one\n\
         # key that is not cached; a barrier lets none go on until every one has missed. A load\n\
         # is a query: INSERT INTO loads, then SELECT the product with pg_sleep ({} ms).\n\
         # \"database loads\" is what PostgreSQL counted: the rows the run added to `loads`.\n\n",
        LOAD_TIME.as_millis()
    );
    let _ = writeln!(out, "{:<54} {:<16} threads served", "protection", "database loads");
    for run in runs {
        let what = match run.protection {
            Protection::None => "none: every miss loads".to_string(),
            Protection::SingleFlight { groups } => {
                format!("single-flight in each of {groups} processes ({} threads each)", run.threads / groups)
            }
            Protection::RedisLock => format!("Redis lock: SET … NX PX {LOCK_PX}, others poll"),
        };
        let _ = writeln!(out, "{what:<54} {:<16} {} of {}", run.loads, run.served, run.threads);
    }
    out.push_str(release);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_examples_print_the_checked_in_files() {
        assert_eq!(print_eviction("").unwrap(), EVICTION_FILE);
        assert_eq!(print_expiry("# nothing\n").unwrap(), EXPIRY_FILE);
        assert!(print_stampede("x = 1").is_err());
    }

    #[test]
    fn the_load_query_sleeps_for_the_load_time() {
        assert!(LOAD.contains(&format!("pg_sleep({})", LOAD_TIME.as_secs_f64())), "{LOAD}");
    }
}
