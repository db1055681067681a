//! The resilience chapter's idempotency keys on the shared PostgreSQL (`BF_POSTGRES`, in a
//! schema of the test's own, dropped at the end) and Redis (`BF_REDIS`, default
//! 127.0.0.1:6379, keys under a prefix of the test's own, deleted at the end), through
//! `examples::resilience::idempotency`: a payment whose first response is lost is retried and
//! applied once; the retry gets the stored response; a reused key with other parameters gets
//! 422; eight concurrent duplicates (released by a barrier, the first holding its COMMIT) wait
//! on the unique index and charge once; a request failing validation stores nothing; keys are
//! per account. On Redis, a retry during the "processing" marker gets 409, a crashed owner's
//! marker expires, an owner that stalls past its marker or finishes after it expired is
//! refused by the token check (one ledger entry), and the naive flag-then-result version
//! charges twice. Compared with `examples/data/idempotency-keys.txt`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use examples::caching::client::{Client, shared_address};
use examples::caching::resp::Value;
use examples::disttx::outbox::Sql;
use examples::real_servers::Server;
use examples::resilience::idempotency::{
    Claim, Payment, Reply, answer_taken, charge_postgres, claim, complete, naive_redis, schema_sql,
};

use super::harness::{compare_or_bless, connect_postgres, unique_name, unreachable};

const FILE: &str = "idempotency-keys.txt";

struct Pg(postgres::Client);

impl Sql for Pg {
    fn run(&mut self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        let messages = self.0.simple_query(sql).map_err(|e| e.to_string())?;
        Ok(messages
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(row) => {
                    Some((0..row.len()).map(|i| row.get(i).unwrap_or("NULL").to_string()).collect())
                }
                _ => None,
            })
            .collect())
    }
}

/// A connection whose COMMIT waits 300 ms in the server first: the owner of a key holds its
/// transaction open long enough for the duplicates to queue behind it.
struct SlowCommit(Pg);

impl Sql for SlowCommit {
    fn run(&mut self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        if sql == "COMMIT" {
            self.0.run("SELECT pg_sleep(0.3)")?;
        }
        self.0.run(sql)
    }
}

fn show(reply: &Reply) -> String {
    format!("{}{}", reply.status, if reply.replayed { " (replayed)" } else { "" })
}

fn count(db: &mut Pg, sql: &str) -> String {
    db.run(sql).map(|rows| rows[0][0].clone()).unwrap_or_else(|e| e)
}

fn postgres_part(out: &mut String) -> Option<()> {
    let mut db = match connect_postgres() {
        Ok(client) => Pg(client),
        Err(error) => {
            unreachable("idempotency keys", Server::Postgres, &error);
            return None;
        }
    };
    let schema = unique_name("idem");
    for sql in schema_sql(&schema) {
        db.run(&sql).expect("schema");
    }
    let payment = Payment { key: "order-17-try", account: "alice", amount_cents: 2500 };
    writeln!(out, "PostgreSQL: the key is a primary key claimed in the payment's own transaction").unwrap();
    let first = charge_postgres(&mut db, &schema, &payment).expect("first");
    writeln!(out, "  first attempt: {} (the response is lost on the way back)", show(&first)).unwrap();
    let retry = charge_postgres(&mut db, &schema, &payment).expect("retry");
    writeln!(
        out,
        "  retry, same key: {}, same body as the first: {}",
        show(&retry),
        examples::yes(retry.body == first.body)
    )
    .unwrap();
    let rows = count(&mut db, &format!("SELECT count(*) FROM {schema}.payments"));
    writeln!(out, "  payments recorded: {rows}").unwrap();
    let other = Payment { amount_cents: 5000, ..payment.clone() };
    let conflict = charge_postgres(&mut db, &schema, &other).expect("conflict");
    writeln!(out, "  same key, 5000 cents instead of 2500: {} ({})", show(&conflict), conflict.body).unwrap();

    // Eight duplicates of a new request released together by a barrier, each on its own
    // connection; the one that claims the key holds its transaction open 300 ms before COMMIT
    // (a `SlowCommit` connection sleeps in the server before it commits), while a ninth
    // connection watches pg_stat_activity for duplicates waiting on that transaction.
    let barrier = Barrier::new(8);
    let finished = AtomicUsize::new(0);
    let (replies, waiting): (Vec<(Reply, Duration)>, usize) = thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (schema, barrier, finished) = (schema.clone(), &barrier, &finished);
                scope.spawn(move || {
                    let mut db = SlowCommit(Pg(connect_postgres().expect("connect")));
                    let p = Payment { key: "order-18-try", account: "bob", amount_cents: 990 };
                    barrier.wait();
                    let started = Instant::now();
                    let reply = charge_postgres(&mut db, &schema, &p).expect("concurrent");
                    finished.fetch_add(1, Ordering::SeqCst);
                    (reply, started.elapsed())
                })
            })
            .collect();
        let watcher = scope.spawn(|| {
            let mut monitor = Pg(connect_postgres().expect("connect"));
            let mut pids = BTreeSet::new();
            while finished.load(Ordering::SeqCst) < 8 {
                let rows = monitor
                    .run(&format!(
                        "SELECT pid FROM pg_stat_activity WHERE wait_event = 'transactionid' \
                         AND query LIKE '%{schema}.idempotency_keys%'"
                    ))
                    .expect("pg_stat_activity");
                pids.extend(rows.into_iter().map(|row| row[0].clone()));
                thread::sleep(Duration::from_millis(5));
            }
            pids.len()
        });
        let replies = handles.into_iter().map(|h| h.join().expect("thread")).collect();
        (replies, watcher.join().expect("watcher"))
    });
    let fresh = replies.iter().filter(|(r, _)| r.status == 201 && !r.replayed).count();
    let replayed: Vec<Duration> =
        replies.iter().filter(|(r, _)| r.status == 201 && r.replayed).map(|(_, took)| *took).collect();
    let rows = count(&mut db, &format!("SELECT count(*) FROM {schema}.payments WHERE account = 'bob'"));
    writeln!(
        out,
        "  8 concurrent duplicates: {fresh} charged, {} replayed, payments recorded: {rows}",
        replayed.len()
    )
    .unwrap();
    let slow = replayed.iter().filter(|took| **took >= Duration::from_millis(150)).count();
    writeln!(
        out,
        "  duplicates seen waiting on the first's transaction (wait_event = transactionid): {}; \
         most replays took 150 ms or more (the first held its COMMIT 300 ms): {}",
        examples::yes(waiting >= 1),
        examples::yes(slow * 2 > replayed.len())
    )
    .unwrap();
    let invalid = Payment { key: "order-21-try", account: "erin", amount_cents: 0 };
    let rejected = charge_postgres(&mut db, &schema, &invalid).expect("invalid");
    let fixed = charge_postgres(&mut db, &schema, &Payment { amount_cents: 300, ..invalid }).expect("fixed");
    writeln!(
        out,
        "  0 cents: {} (not stored); the same key again with 300 cents: {}",
        show(&rejected),
        show(&fixed)
    )
    .unwrap();
    let elsewhere = Payment { account: "frank", ..payment.clone() };
    let other_account = charge_postgres(&mut db, &schema, &elsewhere).expect("other account");
    writeln!(out, "  key order-17-try from another account: {} (keys are per account)", show(&other_account))
        .unwrap();
    db.run(&format!("DROP SCHEMA {schema} CASCADE")).expect("drop");
    Some(())
}

fn redis_part(out: &mut String) -> Option<()> {
    let address = shared_address();
    let mut redis = match Client::connect(&address).and_then(|mut c| c.call(&["PING"]).map(|_| c)) {
        Ok(client) => client,
        Err(error) => {
            test_support::skip_or_fail(
                "idempotency keys, on Redis",
                &format!("Redis at {address} is not reachable: {error}"),
                "Start Redis 7 on 127.0.0.1:6379, or point BF_REDIS at one.",
            );
            return None;
        }
    };
    let prefix = unique_name("idem");
    let ledger =
        |redis: &mut Client, name: &str| redis.integer(&["LLEN", &format!("{prefix}:{name}")]).expect("LLEN");
    writeln!(
        out,
        "Redis: SET key \"processing|…|token\" NX PX ttl, then a Lua script: if the key still holds \
         the token, the effect and the result"
    )
    .unwrap();
    let p = Payment { key: "order-17-try", account: "alice", amount_cents: 2500 };
    let owner = claim(&mut redis, &prefix, &p, 30_000).expect("claim");
    writeln!(
        out,
        "  first SET NX: {}",
        if matches!(owner, Claim::Owner(_)) { "OK, this request owns the key" } else { "taken" }
    )
    .unwrap();
    let Claim::Owner(token) = owner else { panic!("the first claim failed") };
    // A retry arrives while the first is still working.
    let early = match claim(&mut redis, &prefix, &p, 30_000).expect("claim") {
        Claim::Taken(found) => answer_taken(&found, &p),
        Claim::Owner(_) => panic!("a second owner"),
    };
    writeln!(out, "  retry while the first is processing: {} ({})", show(&early), early.body).unwrap();
    let first = complete(&mut redis, &prefix, &p, &token).expect("complete");
    writeln!(out, "  first completes: {}", show(&first)).unwrap();
    let retry = match claim(&mut redis, &prefix, &p, 30_000).expect("claim") {
        Claim::Taken(found) => answer_taken(&found, &p),
        Claim::Owner(_) => panic!("a second owner"),
    };
    writeln!(
        out,
        "  retry after it finished: {}, same body: {}",
        show(&retry),
        examples::yes(retry.body == first.body)
    )
    .unwrap();
    let other = Payment { amount_cents: 5000, ..p.clone() };
    let conflict = match claim(&mut redis, &prefix, &other, 30_000).expect("claim") {
        Claim::Taken(found) => answer_taken(&found, &other),
        Claim::Owner(_) => panic!("a second owner"),
    };
    writeln!(out, "  same key, 5000 cents: {} ({})", show(&conflict), conflict.body).unwrap();
    writeln!(out, "  ledger entries: {}", ledger(&mut redis, "ledger")).unwrap();

    // The owner crashes after its claim, before completing: the marker expires, a retry owns it.
    let crashed = Payment { key: "order-19-try", account: "carol", amount_cents: 700 };
    claim(&mut redis, &prefix, &crashed, 300).expect("claim");
    let during = match claim(&mut redis, &prefix, &crashed, 300).expect("claim") {
        Claim::Taken(found) => show(&answer_taken(&found, &crashed)),
        Claim::Owner(_) => "owner".to_string(),
    };
    thread::sleep(Duration::from_millis(600));
    let after = claim(&mut redis, &prefix, &crashed, 30_000).expect("claim");
    if let Claim::Owner(token) = &after {
        complete(&mut redis, &prefix, &crashed, token).expect("complete");
    }
    writeln!(
        out,
        "  owner crashes before completing: retry within the marker's 300 ms: {during}; after it expires: {}",
        if matches!(after, Claim::Owner(_)) { "owns the key and charges" } else { "still taken" }
    )
    .unwrap();
    writeln!(out, "  ledger entries after the crash case: {}", ledger(&mut redis, "ledger")).unwrap();

    // The owner stalls (a GC pause, a slow card network) past its 50 ms marker; a retry claims
    // the key and completes; then the stalled owner tries to complete too.
    let stalled = Payment { key: "order-22-try", account: "gina", amount_cents: 400 };
    let Claim::Owner(old_token) = claim(&mut redis, &prefix, &stalled, 50).expect("claim") else {
        panic!("the first claim failed")
    };
    thread::sleep(Duration::from_millis(200));
    let second = claim(&mut redis, &prefix, &stalled, 30_000).expect("claim");
    let second_reply = match &second {
        Claim::Owner(token) => show(&complete(&mut redis, &prefix, &stalled, token).expect("complete")),
        Claim::Taken(found) => format!("taken ({found})"),
    };
    let late = complete(&mut redis, &prefix, &stalled, &old_token).expect("late complete");
    writeln!(
        out,
        "  owner stalls past its 50 ms marker: a retry claims and completes: {second_reply}; the stalled \
         owner then: {} ({})",
        show(&late),
        late.body
    )
    .unwrap();
    writeln!(out, "  ledger entries after the stall case: {}", ledger(&mut redis, "ledger")).unwrap();
    // A late owner whose marker expired with nobody else claiming: its script finds no marker.
    let lonely = Payment { key: "order-23-try", account: "hal", amount_cents: 800 };
    let Claim::Owner(lonely_token) = claim(&mut redis, &prefix, &lonely, 50).expect("claim") else {
        panic!("the first claim failed")
    };
    thread::sleep(Duration::from_millis(200));
    let lonely_late = complete(&mut redis, &prefix, &lonely, &lonely_token).expect("late complete");
    writeln!(
        out,
        "  owner completes after its marker expired, nobody else claimed: {}; ledger entries: {}",
        show(&lonely_late),
        ledger(&mut redis, "ledger")
    )
    .unwrap();

    writeln!(out, "Redis, naive: SET flag 1 NX, charge, then store the result under another key").unwrap();
    let n = Payment { key: "order-20-try", account: "dave", amount_cents: 100 };
    let a = naive_redis(&mut redis, &prefix, &n, true).expect("naive");
    let b = naive_redis(&mut redis, &prefix, &n, false).expect("naive");
    writeln!(out, "  first: {a}; retry before the result is stored: {b}").unwrap();
    writeln!(out, "  ledger entries: {}", ledger(&mut redis, "naive-ledger")).unwrap();

    // Clean up every key under the prefix.
    if let Ok(Value::Array(Some(keys))) = redis.call(&["KEYS", &format!("{prefix}:*")]) {
        for key in keys {
            if let Value::Bulk(Some(key)) = key {
                let _ = redis.call(&["DEL", &String::from_utf8_lossy(&key)]);
            }
        }
    }
    Some(())
}

pub fn check() {
    let mut out = String::new();
    let pg = postgres_part(&mut out);
    let redis = redis_part(&mut out);
    if pg.is_none() || redis.is_none() {
        return; // reported loudly (a failure in CI) by the part that could not run
    }
    // The claims the page makes in words.
    for claim in [
        "retry, same key: 201 (replayed), same body as the first: yes",
        "  payments recorded: 1\n",
        "same key, 5000 cents instead of 2500: 422",
        "8 concurrent duplicates: 1 charged, 7 replayed, payments recorded: 1",
        "(wait_event = transactionid): yes; most replays took 150 ms or more (the first held its COMMIT 300 ms): yes",
        "0 cents: 400 (not stored); the same key again with 300 cents: 201",
        "key order-17-try from another account: 201 (keys are per account)",
        "retry while the first is processing: 409",
        "retry after it finished: 201 (replayed), same body: yes",
        "retry within the marker's 300 ms: 409; after it expires: owns the key and charges",
        "ledger entries after the crash case: 2",
        "a retry claims and completes: 201; the stalled owner then: 409",
        "ledger entries after the stall case: 3",
        "nobody else claimed: 409; ledger entries: 3",
    ] {
        assert!(out.contains(claim), "missing `{claim}` in:\n{out}");
    }
    assert!(out.ends_with("  ledger entries: 2\n"), "the naive version should charge twice:\n{out}");
    compare_or_bless(FILE, &out).unwrap_or_else(|difference| panic!("{difference}"));
}
