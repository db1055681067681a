//! A consumer group on NATS JetStream, through the book's own client
//! ([`crate::disttx::nats`]): a stream of account deposits, one durable pull consumer shared by
//! two workers, explicit acks, a worker that dies between its write and its ack, and two sinks
//! beside each other: one idempotent (keyed by the stream sequence) and one that just adds.
//! Then a replay from a chosen stream sequence. `examples/tests/real_servers/stream.rs` runs
//! [`run`] on the shared server and checks its output into `examples/data/`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::time::Duration;

use crate::disttx::nats::{Msg, Nats, ack_info};
use crate::registry::{Example, Run, Runs};

pub const CONSUMER_GROUP: Example = Example {
    id: "stream::consumer_group_nats",
    title: "A consumer group on NATS JetStream: a crash before the ack, an idempotent sink, a replay",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real server did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs a NATS server with JetStream; the page shows what it did",
        simulation: Some("stream::windows"),
    },
    run: Run::Text(super::observed::consumer_group),
};

/// The deposits published, in order: (deposit id, account, amount in €).
pub const DEPOSITS: [(&str, &str, i64); 12] = [
    ("d1", "alice", 30),
    ("d2", "bob", 10),
    ("d3", "alice", 5),
    ("d4", "carol", 40),
    ("d5", "bob", 25),
    ("d6", "alice", 15),
    ("d7", "carol", 10),
    ("d8", "bob", 5),
    ("d9", "alice", 20),
    ("d10", "carol", 35),
    ("d11", "bob", 50),
    ("d12", "alice", 10),
];

// ANCHOR: sinks
/// A sink that remembers which stream sequences it has applied, in the same store as the
/// totals (in a database: one transaction writes the row and the dedup key). A redelivery
/// or a replay of something already applied changes nothing.
#[derive(Debug, Default, Clone)]
pub struct IdempotentSink {
    pub applied: BTreeSet<u64>,
    pub totals: BTreeMap<String, i64>,
}

impl IdempotentSink {
    /// Applies the deposit at `seq`; false when it was already applied.
    pub fn apply(&mut self, seq: u64, account: &str, amount: i64) -> bool {
        if !self.applied.insert(seq) {
            return false;
        }
        *self.totals.entry(account.to_string()).or_insert(0) += amount;
        true
    }
}

/// A sink that adds whatever it is given: at-least-once delivery double counts here.
#[derive(Debug, Default, Clone)]
pub struct AddingSink {
    pub totals: BTreeMap<String, i64>,
}

impl AddingSink {
    pub fn apply(&mut self, account: &str, amount: i64) {
        *self.totals.entry(account.to_string()).or_insert(0) += amount;
    }
}
// ANCHOR_END: sinks

/// `account=alice amount=30` → ("alice", 30).
pub fn parse_deposit(payload: &[u8]) -> Option<(String, i64)> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut account = None;
    let mut amount = None;
    for word in text.split_whitespace() {
        match word.split_once('=')? {
            ("account", a) => account = Some(a.to_string()),
            ("amount", n) => amount = n.parse().ok(),
            _ => {}
        }
    }
    Some((account?, amount?))
}

fn totals(t: &BTreeMap<String, i64>) -> String {
    t.iter().map(|(a, n)| format!("{a} {n}")).collect::<Vec<_>>().join(", ")
}

fn expected_totals() -> BTreeMap<String, i64> {
    let mut t = BTreeMap::new();
    for (_, account, amount) in DEPOSITS {
        *t.entry(account.to_string()).or_insert(0) += amount;
    }
    t
}

fn seqs(list: &[(Msg, u64, u64)]) -> String {
    list.iter()
        .map(
            |(_, seq, delivered)| {
                if *delivered > 1 { format!("{seq} (delivery {delivered})") } else { seq.to_string() }
            },
        )
        .collect::<Vec<_>>()
        .join(", ")
}

/// A pull of up to `batch`, each message with its stream sequence and delivery count.
fn pull(
    nats: &mut Nats,
    stream: &str,
    consumer: &str,
    batch: usize,
    wait: Duration,
) -> Result<Vec<(Msg, u64, u64)>, String> {
    nats.pull(stream, consumer, batch, wait)?
        .into_iter()
        .map(|m| {
            let info = ack_info(&m).ok_or("no JetStream ack subject")?;
            Ok((m, info.stream_seq, info.delivered))
        })
        .collect()
}

fn create_consumer(nats: &mut Nats, stream: &str, name: &str, start: Option<u64>) -> Result<(), String> {
    let deliver = match start {
        None => "\"deliver_policy\":\"all\"".to_string(),
        Some(seq) => format!("\"deliver_policy\":\"by_start_sequence\",\"opt_start_seq\":{seq}"),
    };
    nats.js(
        &format!("CONSUMER.DURABLE.CREATE.{stream}.{name}"),
        &format!(
            "{{\"stream_name\":\"{stream}\",\"config\":{{\"durable_name\":\"{name}\",\"ack_policy\":\"explicit\",\
             {deliver},\"ack_wait\":3000000000}}}}"
        ),
    )
    .map(|_| ())
}

/// Runs the whole scenario on a stream named `stream` (created here, deleted at the end, also
/// on failure) and returns the report. `address`: the server.
pub fn run(address: &str, stream: &str) -> Result<String, String> {
    let mut admin = Nats::connect(address)?;
    let subject = format!("bf.{}.deposits", stream.to_lowercase());
    admin.js(
        &format!("STREAM.CREATE.{stream}"),
        &format!(
            "{{\"name\":\"{stream}\",\"subjects\":[\"{subject}\"],\"storage\":\"memory\",\"max_msgs\":1000}}"
        ),
    )?;
    let result = scenario(address, &mut admin, stream, &subject);
    let deleted = admin.js(&format!("STREAM.DELETE.{stream}"), "");
    let mut out = result?;
    deleted?;
    writeln!(out, "\nstream deleted").unwrap();
    Ok(out)
}

// ANCHOR: scenario
fn scenario(address: &str, admin: &mut Nats, stream: &str, subject: &str) -> Result<String, String> {
    let mut w = String::new();
    // The producer: each publish is a request; the PubAck names the stream sequence (the offset).
    let mut last_seq = 0;
    for (id, account, amount) in DEPOSITS {
        let ack = admin.request(
            subject,
            &[("Nats-Msg-Id", id)],
            format!("account={account} amount={amount}").as_bytes(),
        )?;
        let ack = crate::apidesign::json::parse(&String::from_utf8_lossy(&ack.payload))
            .map_err(|e| format!("{e:?}"))?;
        last_seq = ack.get("seq").and_then(|s| s.as_i64()).ok_or("PubAck without seq")?;
    }
    writeln!(
        w,
        "published {} deposits (d1…d12); the last PubAck says stream sequence {last_seq}",
        DEPOSITS.len()
    )
    .unwrap();
    writeln!(w, "expected totals: {}", totals(&expected_totals())).unwrap();

    // One durable pull consumer, "workers", shared by two workers: the consumer group.
    create_consumer(admin, stream, "workers", None)?;
    writeln!(w, "consumer \"workers\": durable, pull, ack explicit, ack_wait 3 s; two workers share it\n")
        .unwrap();
    let mut exact = IdempotentSink::default();
    let mut adding = AddingSink::default();
    let (mut one, mut two) = (Nats::connect(address)?, Nats::connect(address)?);
    let wait = Duration::from_millis(500);

    let got = pull(&mut one, stream, "workers", 3, wait)?;
    writeln!(w, "worker 1 pulls 3: stream seqs {}; applies them, acks", seqs(&got)).unwrap();
    for (m, seq, _) in &got {
        let (account, amount) = parse_deposit(&m.payload).ok_or("bad payload")?;
        exact.apply(*seq, &account, amount);
        adding.apply(&account, amount);
        one.ack_sync(m)?;
    }
    let got = pull(&mut two, stream, "workers", 3, wait)?;
    writeln!(w, "worker 2 pulls 3: stream seqs {}; applies them, acks", seqs(&got)).unwrap();
    for (m, seq, _) in &got {
        let (account, amount) = parse_deposit(&m.payload).ok_or("bad payload")?;
        exact.apply(*seq, &account, amount);
        adding.apply(&account, amount);
        two.ack_sync(m)?;
    }
    // ANCHOR: crash
    let got = pull(&mut two, stream, "workers", 3, wait)?;
    writeln!(
        w,
        "worker 2 pulls 3: stream seqs {}; writes them to both sinks and CRASHES before acking",
        seqs(&got)
    )
    .unwrap();
    for (m, seq, _) in &got {
        let (account, amount) = parse_deposit(&m.payload).ok_or("bad payload")?;
        exact.apply(*seq, &account, amount);
        adding.apply(&account, amount);
    }
    drop(two); // the connection goes with the process; nothing was acked
    let got = pull(&mut one, stream, "workers", 3, wait)?;
    writeln!(w, "worker 1 pulls 3: stream seqs {}; applies them, acks", seqs(&got)).unwrap();
    for (m, seq, _) in &got {
        let (account, amount) = parse_deposit(&m.payload).ok_or("bad payload")?;
        exact.apply(*seq, &account, amount);
        adding.apply(&account, amount);
        one.ack_sync(m)?;
    }
    // Nothing new is left; after ack_wait the server hands the unacked messages out again.
    let got = pull(&mut one, stream, "workers", 3, Duration::from_secs(10))?;
    let mut verdicts = Vec::new();
    for (m, seq, _) in &got {
        let (account, amount) = parse_deposit(&m.payload).ok_or("bad payload")?;
        let fresh = exact.apply(*seq, &account, amount);
        adding.apply(&account, amount);
        one.ack_sync(m)?;
        verdicts.push(format!("{seq} {}", if fresh { "applied" } else { "already applied" }));
    }
    writeln!(w, "after ack_wait, worker 1 is redelivered stream seqs {}", seqs(&got)).unwrap();
    writeln!(w, "  idempotent sink: {}; acked", verdicts.join(", ")).unwrap();
    // ANCHOR_END: crash
    let info = admin.js(&format!("CONSUMER.INFO.{stream}.workers"), "")?;
    let num = |p: &str| info.pointer(p).and_then(|v| v.as_i64()).unwrap_or(-1);
    writeln!(
        w,
        "consumer state: ack floor at stream seq {}, {} waiting for an ack, {} not yet delivered",
        num("/ack_floor/stream_seq"),
        num("/num_ack_pending"),
        num("/num_pending")
    )
    .unwrap();
    let right = exact.totals == expected_totals();
    writeln!(
        w,
        "\nidempotent sink: {}  ({})",
        totals(&exact.totals),
        if right { "= expected" } else { "WRONG" }
    )
    .unwrap();
    let over: i64 = adding.totals.values().sum::<i64>() - expected_totals().values().sum::<i64>();
    writeln!(w, "adding sink:     {}  (double counted: +{over} €)", totals(&adding.totals)).unwrap();

    // Replay: a new consumer that starts at a chosen stream sequence.
    writeln!(w, "\nreplay: a new consumer with deliver_policy by_start_sequence, opt_start_seq 1, into an empty idempotent sink").unwrap();
    create_consumer(admin, stream, "rebuild", Some(1))?;
    let mut rebuilt = IdempotentSink::default();
    let got = pull(admin, stream, "rebuild", 20, wait)?;
    for (m, seq, _) in &got {
        let (account, amount) = parse_deposit(&m.payload).ok_or("bad payload")?;
        rebuilt.apply(*seq, &account, amount);
        admin.ack_sync(m)?;
    }
    writeln!(
        w,
        "  {} messages, seqs {}–{}: {}  ({})",
        got.len(),
        got.first().map_or(0, |g| g.1),
        got.last().map_or(0, |g| g.1),
        totals(&rebuilt.totals),
        if rebuilt.totals == exact.totals { "the same totals" } else { "DIFFERENT" }
    )
    .unwrap();
    writeln!(w, "replay from opt_start_seq 7 into the sinks that already hold everything:").unwrap();
    create_consumer(admin, stream, "again", Some(7))?;
    let got = pull(admin, stream, "again", 20, wait)?;
    let mut fresh = 0;
    for (m, seq, _) in &got {
        let (account, amount) = parse_deposit(&m.payload).ok_or("bad payload")?;
        fresh += exact.apply(*seq, &account, amount) as usize;
        adding.apply(&account, amount);
        admin.ack_sync(m)?;
    }
    writeln!(
        w,
        "  {} messages, seqs {}–{}; idempotent sink applies {fresh}: {}; adding sink: {}",
        got.len(),
        got.first().map_or(0, |g| g.1),
        got.last().map_or(0, |g| g.1),
        totals(&exact.totals),
        totals(&adding.totals)
    )
    .unwrap();
    Ok(w)
}
// ANCHOR_END: scenario

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinks_and_payloads() {
        assert_eq!(parse_deposit(b"account=bob amount=25"), Some(("bob".into(), 25)));
        assert_eq!(parse_deposit(b"account=bob"), None);
        let mut s = IdempotentSink::default();
        assert!(s.apply(3, "bob", 5));
        assert!(!s.apply(3, "bob", 5));
        assert_eq!(s.totals["bob"], 5);
    }
}
