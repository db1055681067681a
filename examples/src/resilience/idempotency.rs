//! Idempotency keys for a "payment" endpoint, two ways, as `examples/tests/real_servers/
//! resilience.rs` runs them on the shared servers (`examples/data/idempotency-keys.txt`):
//!
//! * on PostgreSQL, the key (scoped by account) is the primary key of a table written in the
//!   same transaction as the payment: `INSERT … ON CONFLICT DO NOTHING` claims it (a concurrent
//!   duplicate waits on the unique index until the first commits), the response is stored
//!   before `COMMIT`, and a retry finds it and gets the same answer. A reused key with other
//!   parameters gets 422 (the IETF draft's status for a mismatched payload); a request that
//!   fails validation is answered before the key is claimed, so nothing is stored (as Stripe
//!   does);
//! * on Redis, `SET key "processing|fingerprint|token" NX PX ttl` claims the key with a random
//!   owner token, and a Lua script applies the effect and stores the response only if the key
//!   still holds that token, so an owner whose marker expired changes nothing; a retry that
//!   finds the marker gets 409 ("in progress, retry later"), as Stripe answers concurrent
//!   requests with one key. [`naive_redis`] shows what goes wrong without the marker's result.

use crate::caching::client::Client;
use crate::caching::resp::Value;
use crate::disttx::outbox::Sql;
use crate::real_servers::print_observation;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "resilience::idempotency_keys",
    title: "A retried payment on real PostgreSQL and Redis: applied once, answered twice",
    file: file!(),
    default_input: "",
    input_help: "no input: prints what the servers did when the checks last ran",
    runs: Runs::NativeOnly {
        reason: "it shows what real PostgreSQL and Redis servers did",
        simulation: None,
    },
    run: Run::Text(run),
};

pub const OBSERVED: &str = include_str!("../../data/idempotency-keys.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

/// A payment request: the client's key and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment<'a> {
    pub key: &'a str,
    pub account: &'a str,
    pub amount_cents: u64,
}

impl Payment<'_> {
    /// What must match when a key comes back: the request's parameters.
    pub fn fingerprint(&self) -> String {
        format!("{}:{}", self.account, self.amount_cents)
    }
}

/// The HTTP-like answer: status, body, and whether it was replayed from the stored result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

// ANCHOR: schema
pub fn schema_sql(schema: &str) -> Vec<String> {
    vec![
        format!("CREATE SCHEMA {schema}"),
        format!(
            "CREATE TABLE {schema}.payments (id bigserial PRIMARY KEY, account text NOT NULL, \
             amount_cents bigint NOT NULL)"
        ),
        format!(
            "CREATE TABLE {schema}.idempotency_keys (account text, key text, fingerprint text NOT NULL, \
             status int, response text, created_at timestamptz NOT NULL DEFAULT now(), \
             PRIMARY KEY (account, key))"
        ),
    ]
}
// ANCHOR_END: schema

// ANCHOR: postgres
/// Charges once per key: the claim, the payment and the stored response commit together.
pub fn charge_postgres(db: &mut dyn Sql, schema: &str, p: &Payment) -> Result<Reply, String> {
    if p.amount_cents == 0 {
        // Rejected before the key is claimed: nothing is stored, a corrected retry may reuse it.
        return Ok(Reply { status: 400, body: "amount must be positive".to_string(), replayed: false });
    }
    let (account, key, fingerprint) = (quote(p.account), quote(p.key), quote(&p.fingerprint()));
    db.run("BEGIN")?;
    // A duplicate running at the same moment waits here, on the unique index, for our COMMIT.
    let claimed = db.run(&format!(
        "INSERT INTO {schema}.idempotency_keys (account, key, fingerprint) \
         VALUES ({account}, {key}, {fingerprint}) ON CONFLICT (account, key) DO NOTHING RETURNING key"
    ))?;
    if claimed.is_empty() {
        db.run("ROLLBACK")?;
        let stored = db.run(&format!(
            "SELECT fingerprint, status, response FROM {schema}.idempotency_keys \
             WHERE account = {account} AND key = {key}"
        ))?;
        let row = stored.first().ok_or("the key vanished")?;
        if row[0] != p.fingerprint() {
            let body = "idempotency key reused with different parameters".to_string();
            return Ok(Reply { status: 422, body, replayed: false });
        }
        let status = row[1].parse().map_err(|_| "no stored status")?;
        return Ok(Reply { status, body: row[2].clone(), replayed: true });
    }
    let id = db.run(&format!(
        "INSERT INTO {schema}.payments (account, amount_cents) VALUES ({account}, {}) RETURNING id",
        p.amount_cents
    ))?[0][0]
        .clone();
    let body = format!("payment {id}: {} cents from {}", p.amount_cents, p.account);
    db.run(&format!(
        "UPDATE {schema}.idempotency_keys SET status = 201, response = {} \
         WHERE account = {account} AND key = {key}",
        quote(&body)
    ))?;
    db.run("COMMIT")?;
    Ok(Reply { status: 201, body, replayed: false })
}
// ANCHOR_END: postgres

// ANCHOR: redis
/// What `SET … NX` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free: this request owns it, under this random token, and must run the payment.
    Owner(String),
    /// Someone has it: the stored marker or result.
    Taken(String),
}

/// A token nobody else can guess (a real service would take a UUID v4): std's `RandomState`
/// is seeded from the operating system's randomness.
fn owner_token() -> String {
    use std::hash::BuildHasher;
    let now = std::time::SystemTime::now();
    format!("{:016x}", std::hash::RandomState::new().hash_one((std::process::id(), now)))
}

fn redis_key(prefix: &str, p: &Payment) -> String {
    // Keys are scoped by account, as Stripe scopes them: two accounts may pick the same key.
    format!("{prefix}:idem:{}:{}", p.account, p.key)
}

/// Claims the key with a "processing" marker naming its owner's token, which expires after
/// `ttl_ms` (a crashed owner's marker must not block the key for ever).
pub fn claim(redis: &mut Client, prefix: &str, p: &Payment, ttl_ms: u64) -> Result<Claim, String> {
    let token = owner_token();
    let marker = format!("processing|{}|{token}", p.fingerprint());
    match redis.call(&["SET", &redis_key(prefix, p), &marker, "NX", "PX", &ttl_ms.to_string()])? {
        Value::Simple(ok) if ok == "OK" => Ok(Claim::Owner(token)),
        Value::Bulk(None) => match redis.call(&["GET", &redis_key(prefix, p)])? {
            Value::Bulk(Some(value)) => Ok(Claim::Taken(String::from_utf8_lossy(&value).into_owned())),
            // It expired between the SET and the GET: the caller may simply try again.
            _ => Ok(Claim::Taken(String::new())),
        },
        other => Err(format!("SET NX answered {other:?}")),
    }
}

/// Runs atomically inside Redis: only if the key still holds *this* owner's marker, append
/// the ledger entry and replace the marker with the stored response (kept 24 h). An owner
/// whose marker expired (and perhaps was re-claimed by a retry) changes nothing.
const COMPLETE: &str = "\
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local n = redis.call('RPUSH', KEYS[2], ARGV[2])
local body = 'payment ' .. n .. ARGV[3]
redis.call('SET', KEYS[1], ARGV[4] .. body, 'PX', 86400000)
return body";

/// The owner's second step: the payment (here a ledger entry in Redis itself) and the stored
/// response in one Lua script, fenced by the owner's token.
pub fn complete(redis: &mut Client, prefix: &str, p: &Payment, token: &str) -> Result<Reply, String> {
    let marker = format!("processing|{}|{token}", p.fingerprint());
    let (entry, tail) = (
        format!("{} {}", p.account, p.amount_cents),
        format!(": {} cents from {}", p.amount_cents, p.account),
    );
    let done = format!("done|{}|201|", p.fingerprint());
    let ledger = format!("{prefix}:ledger");
    match redis.call(&[
        "EVAL",
        COMPLETE,
        "2",
        &redis_key(prefix, p),
        &ledger,
        &marker,
        &entry,
        &tail,
        &done,
    ])? {
        Value::Bulk(Some(body)) => {
            Ok(Reply { status: 201, body: String::from_utf8_lossy(&body).into_owned(), replayed: false })
        }
        // Our claim expired: we did nothing, and say so; the client's retry will replay the
        // result of whoever owns the key now, or claim it afresh.
        Value::Bulk(None) => Ok(Reply {
            status: 409,
            body: "this request's claim on the key expired before it finished; retry".to_string(),
            replayed: false,
        }),
        other => Err(format!("EVAL answered {other:?}")),
    }
}

/// The answer to a request whose key was taken: replay a finished result, 409 for a request
/// still in progress, 422 for different parameters.
pub fn answer_taken(found: &str, p: &Payment) -> Reply {
    let conflict = |body: &str| Reply { status: 409, body: body.to_string(), replayed: false };
    let mut parts = found.splitn(4, '|');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (_, Some(fp), ..) if fp != p.fingerprint() => Reply {
            status: 422,
            body: "idempotency key reused with different parameters".to_string(),
            replayed: false,
        },
        (Some("processing"), ..) => conflict("a request with this key is in progress; retry later"),
        (Some("done"), _, Some(status), Some(body)) => {
            Reply { status: status.parse().unwrap_or(500), body: body.to_string(), replayed: true }
        }
        _ => conflict("the key expired meanwhile; retry"),
    }
}
// ANCHOR_END: redis

// ANCHOR: naive
/// The naive version: `SET key 1 NX` as a flag, the effect, then the result under another key.
/// A retry that lands between the flag and the result finds no result and, taking "no result"
/// for "not done", charges again.
pub fn naive_redis(
    redis: &mut Client,
    prefix: &str,
    p: &Payment,
    first_step_only: bool,
) -> Result<String, String> {
    let flag = format!("{prefix}:naive:{}", p.key);
    let result = format!("{prefix}:naive-result:{}", p.key);
    let ledger = format!("{prefix}:naive-ledger");
    let won = matches!(redis.call(&["SET", &flag, "1", "NX", "EX", "86400"])?, Value::Simple(_));
    if !won && let Value::Bulk(Some(body)) = redis.call(&["GET", &result])? {
        return Ok(format!("replayed {}", String::from_utf8_lossy(&body)));
    }
    let length = redis.integer(&["RPUSH", &ledger, p.account])?;
    if first_step_only {
        return Ok("charged, result not stored yet".to_string());
    }
    let body = format!("payment {length}");
    redis.call(&["SET", &result, &body, "EX", "86400"])?;
    Ok(format!("charged: {body}"))
}
// ANCHOR_END: naive
