//! Two chat servers sharing rooms through a real Redis's pub/sub (`examples/tests/real_servers/
//! realtime.rs` runs it and records `data/ws-redis-rooms.txt`, which the example prints). Each
//! server subscribes to a room's channel while it has a local member there; every message goes
//! through Redis and comes back to each subscribed server, which writes it to its members.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::chat::{Config, start};
use super::live::{ask, client, next_text};
use crate::caching::client::Client as Redis;
use crate::input::no_input;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "realtime::cluster",
    title: "Two chat servers, one set of rooms: fan-out through a real Redis pub/sub",
    file: file!(),
    default_input: "",
    input_help: "no input: prints what the real-server test recorded",
    runs: Runs::NativeOnly {
        reason: "needs a running Redis (the file was recorded by the real-server test)",
        simulation: Some("realtime::rooms"),
    },
    run: Run::Text(run),
};

const RECORDED: &str = include_str!("../../data/ws-redis-rooms.txt");

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    Ok(RECORDED.to_string())
}

/// A channel prefix no other run uses: the shared Redis may serve other tests at once.
pub fn unique_prefix() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("bf:ws:{}:{nanos}", std::process::id())
}

/// `PUBSUB NUMSUB` of a room's channel: how many connections Redis will deliver to.
fn subscribers(redis: &mut Redis, prefix: &str, room: &str) -> Result<i64, String> {
    let reply = redis.call(&["PUBSUB", "NUMSUB", &format!("{prefix}:room:{room}")])?;
    match reply {
        crate::caching::resp::Value::Array(Some(items)) if items.len() == 2 => {
            items[1].integer().ok_or_else(|| format!("NUMSUB: {}", items[1].show()))
        }
        other => Err(format!("NUMSUB: {}", other.show())),
    }
}

/// Polls NUMSUB until it is `want` (an UNSUBSCRIBE is asynchronous to the client that asked).
async fn settle(redis: &mut Redis, prefix: &str, room: &str, want: i64) -> Result<i64, String> {
    for _ in 0..100 {
        let n = subscribers(redis, prefix, room)?;
        if n == want {
            return Ok(n);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    subscribers(redis, prefix, room)
}

// ANCHOR: cluster
async fn scenario(address: &str, out: &mut String) -> Result<(), String> {
    let prefix = unique_prefix();
    let mut redis = Redis::connect(address)?;
    let config = |name: &str| {
        let mut c = Config::new(name);
        c.ping_every = Duration::from_secs(3600);
        c.bus = Some((address.to_string(), prefix.clone()));
        c
    };
    let (mut a, mut b) = (start(config("A")).await?, start(config("B")).await?);
    let (mut alice, mut bob) = (client(&a, "alice").await?, client(&a, "bob").await?);
    let (mut carol, mut dave) = (client(&b, "carol").await?, client(&b, "dave").await?);
    out.push_str("alice and bob on server A, carol and dave on server B\n");
    for (name, ws, room) in [
        ("alice", &mut alice, "lobby"),
        ("bob", &mut bob, "lobby"),
        ("carol", &mut carol, "lobby"),
        ("dave", &mut dave, "ops"),
    ] {
        out.push_str(&format!("{name}: join {room} -> {}\n", ask(ws, &format!("join {room}")).await?));
    }
    out.push_str(&format!(
        "Redis: room:lobby has {} subscribers (one per server, not one per member), room:ops {}\n",
        subscribers(&mut redis, &prefix, "lobby")?,
        subscribers(&mut redis, &prefix, "ops")?
    ));
    ask(&mut alice, "say lobby hello from A").await?;
    out.push_str(&format!("{}\n", a.wait_for("\"hello from A\" reached").await?));
    out.push_str(&format!("bob (A) receives: {}\n", next_text(&mut bob).await?));
    out.push_str(&format!("carol (B) receives: {}\n", next_text(&mut carol).await?));
    ask(&mut carol, "say lobby hi from B").await?;
    out.push_str(&format!("alice (A) receives: {}\n", next_text(&mut alice).await?));
    out.push_str(&format!("bob (A) receives: {}\n", next_text(&mut bob).await?));
    out.push_str(&format!("bob: leave lobby -> {}\n", ask(&mut bob, "leave lobby").await?));
    out.push_str(&format!("alice: leave lobby -> {}\n", ask(&mut alice, "leave lobby").await?));
    out.push_str(&format!(
        "Redis: room:lobby has {} subscriber now (A unsubscribed when its last member left)\n",
        settle(&mut redis, &prefix, "lobby", 1).await?
    ));
    ask(&mut carol, "say lobby anyone on A?").await?;
    out.push_str(&format!("{} (server B itself)\n", b.wait_for("\"anyone on A?\" reached").await?));
    let nobody = redis.call(&["PUBLISH", &format!("{prefix}:room:empty"), "lost"])?;
    out.push_str(&format!(
        "PUBLISH to a room no server subscribes to: {} receivers; Redis stores nothing, so it is gone\n",
        nobody.integer().unwrap_or(-1)
    ));
    // The limit that disconnects a subscriber too slow to read (hard bytes, soft bytes, seconds).
    let limits = match redis.call(&["CONFIG", "GET", "client-output-buffer-limit"])? {
        crate::caching::resp::Value::Array(Some(items)) if items.len() == 2 => {
            items[1].text().unwrap_or_default()
        }
        other => other.show(),
    };
    let pubsub = limits.split("pubsub ").nth(1).map(|r| r.split(' ').take(3).collect::<Vec<_>>().join(" "));
    out.push_str(&format!(
        "CONFIG GET client-output-buffer-limit, pubsub class: {} (hard bytes, soft bytes, soft seconds)\n",
        pubsub.unwrap_or_else(|| limits.clone())
    ));
    Ok(())
}
// ANCHOR_END: cluster

/// Runs the scenario on the Redis at `address`; the text the data file holds.
pub fn observe(address: &str) -> Result<String, String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let mut out = String::new();
    rt.block_on(scenario(address, &mut out))?;
    Ok(out)
}
