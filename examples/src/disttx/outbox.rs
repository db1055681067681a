//! The transactional outbox, its relay and an idempotent consumer, on PostgreSQL and NATS
//! JetStream. The SQL goes through [`Sql`], which the real-server test implements with its
//! PostgreSQL client (the library has none); the messages go through the book's own
//! [`Nats`] client. `examples/tests/real_servers/disttx.rs` runs them, crashes the relay
//! between publishing and marking, and records what happened in `data/disttx-outbox-nats.txt`.

use super::nats::{Msg, Nats};
use crate::apidesign::json::Json;
use crate::registry::{Example, Run, Runs};

pub const OUTBOX_NATS: Example = Example {
    id: "disttx::outbox_nats",
    title: "An outbox relay crashes between publish and mark: NATS JetStream and a deduplicating consumer",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real servers did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs PostgreSQL and a NATS server with JetStream; the page shows what they did",
        simulation: Some("disttx::saga"),
    },
    run: Run::Text(super::observed::outbox_nats),
};

/// A database connection as the outbox needs it: run statements (simple protocol), get the
/// rows of the last one as text. An error is the server's message.
pub trait Sql {
    fn run(&mut self, sql: &str) -> Result<Vec<Vec<String>>, String>;
}

// ANCHOR: schema
/// The order service's tables, the consumer's dedup table, and the effect it applies: a
/// counter, which (unlike an insert with a key) is not idempotent by itself.
pub const SCHEMA: &str = "
CREATE TABLE orders (id bigint PRIMARY KEY, item text NOT NULL);
CREATE TABLE outbox (
    id      bigserial PRIMARY KEY,
    subject text NOT NULL,
    payload text NOT NULL,
    sent_at timestamptz            -- NULL until the relay has published it
);
-- The consumer's side (another service, its own database in real life):
CREATE TABLE processed_messages (msg_id text PRIMARY KEY);
CREATE TABLE stock (item text PRIMARY KEY, reserved int NOT NULL);
INSERT INTO stock VALUES ('widget', 0), ('widget-naive', 0);
";
// ANCHOR_END: schema

// ANCHOR: place_order
/// The dual write done right: the order and the event about it commit together or not at all.
/// No message is sent here; publishing is the relay's job.
pub fn place_order(db: &mut dyn Sql, order: u64, subject: &str) -> Result<(), String> {
    db.run(&format!(
        "BEGIN;
         INSERT INTO orders VALUES ({order}, 'widget');
         INSERT INTO outbox (subject, payload)
             VALUES ('{subject}', '{{\"order\":{order},\"item\":\"widget\"}}');
         COMMIT;"
    ))?;
    Ok(())
}
// ANCHOR_END: place_order

/// What one publish did: the outbox row, and JetStream's acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub outbox_id: u64,
    pub stream_seq: u64,
    pub duplicate: bool,
    pub marked: bool,
}

// ANCHOR: relay
/// One run of the relay: claim the oldest unsent row (locked, skipping rows another relay
/// holds), publish it and wait for JetStream's acknowledgement, then mark it sent, each row in
/// a transaction of its own. `crash_after`: the process dies right after publishing that
/// row, before marking it; the caller drops both connections, as a kill would.
/// `msg_id`: send the outbox id as `Nats-Msg-Id`, for JetStream's duplicate window.
pub fn relay(
    db: &mut dyn Sql,
    nats: &mut Nats,
    msg_id: bool,
    crash_after: Option<u64>,
) -> Result<(Vec<Published>, bool), String> {
    let mut published = Vec::new();
    loop {
        let rows = db.run(
            "BEGIN;
             SELECT id, subject, payload FROM outbox WHERE sent_at IS NULL
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED;",
        )?;
        let Some(row) = rows.first() else {
            db.run("COMMIT")?;
            return Ok((published, false));
        };
        let id: u64 = row[0].parse().map_err(|_| format!("outbox id {:?}", row[0]))?;
        let key = format!("outbox-{id}");
        let headers: &[(&str, &str)] = if msg_id { &[("Nats-Msg-Id", &key)] } else { &[] };
        let ack = nats.request(&row[1], headers, row[2].as_bytes())?;
        let ack = parse_ack(&ack)?;
        let mut p = Published { outbox_id: id, stream_seq: ack.0, duplicate: ack.1, marked: false };
        if crash_after == Some(id) {
            published.push(p);
            return Ok((published, true)); // published, never marked: the row stays unsent
        }
        db.run(&format!("UPDATE outbox SET sent_at = now() WHERE id = {id}; COMMIT;"))?;
        p.marked = true;
        published.push(p);
    }
}
// ANCHOR_END: relay

/// JetStream's answer to a publish: `{"stream":"S","seq":7}`, with `"duplicate":true` when the
/// message id was seen within the stream's duplicate window (then `seq` is the first copy's).
pub fn parse_ack(msg: &Msg) -> Result<(u64, bool), String> {
    let text = String::from_utf8_lossy(&msg.payload);
    let ack = crate::apidesign::json::parse(&text).map_err(|e| format!("PubAck {text}: {e:?}"))?;
    if let Some(error) = ack.get("error") {
        return Err(format!("publish refused: {}", error.compact()));
    }
    let seq = ack.get("seq").and_then(Json::as_i64).ok_or(format!("PubAck without seq: {text}"))?;
    Ok((seq as u64, ack.get("duplicate") == Some(&Json::Bool(true))))
}

/// What the consumer did with one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    pub msg_id: String,
    /// JetStream's delivery count for this message (from the ack subject).
    pub delivered: u64,
    pub applied: bool,
}

// ANCHOR: consume
/// The idempotent consumer: in one local transaction, record the message id in the dedup table
/// and apply the effect only if the id is new; then acknowledge. A redelivered or republished
/// message finds its id and is only acknowledged.
pub fn handle(db: &mut dyn Sql, msg_id: &str) -> Result<bool, String> {
    let rows = db.run(&format!(
        "BEGIN;
         INSERT INTO processed_messages VALUES ('{msg_id}') ON CONFLICT DO NOTHING RETURNING msg_id;"
    ))?;
    let new = !rows.is_empty();
    if new {
        db.run("UPDATE stock SET reserved = reserved + 1 WHERE item = 'widget'")?;
    }
    db.run("COMMIT")?;
    Ok(new)
}

/// A consumer without a dedup table, for contrast: every delivery is an effect.
pub fn handle_naively(db: &mut dyn Sql) -> Result<(), String> {
    db.run("UPDATE stock SET reserved = reserved + 1 WHERE item = 'widget-naive'")?;
    Ok(())
}
// ANCHOR_END: consume

/// The message id a consumer deduplicates by: the outbox row's id, carried in the payload (the
/// same on every copy, whoever published it and however often).
pub fn message_id(msg: &Msg) -> Result<String, String> {
    let text = String::from_utf8_lossy(&msg.payload);
    let value = crate::apidesign::json::parse(&text).map_err(|e| format!("payload {text}: {e:?}"))?;
    let order = value.get("order").and_then(Json::as_i64).ok_or(format!("no order in {text}"))?;
    Ok(format!("order-{order}-placed"))
}

/// The delivery count from a JetStream ack subject:
/// `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>`.
pub fn delivery_count(reply: &str) -> Option<u64> {
    let parts: Vec<&str> = reply.split('.').collect();
    if parts.len() < 9 || parts[0] != "$JS" || parts[1] != "ACK" {
        return None;
    }
    parts[parts.len() - 5].parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_delivery_count_is_read_from_the_ack_subject() {
        assert_eq!(super::delivery_count("$JS.ACK.S.c.2.7.5.1700000000000000000.0"), Some(2));
        assert_eq!(super::delivery_count("_INBOX.x"), None);
    }
}
