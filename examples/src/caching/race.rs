//! The race that leaves stale data in a cache-aside cache, step by step, and how leases (the
//! memcache paper, Nishtala et al., NSDI 2013, §3.2.1) stop it.
//!
//! Clients take small steps on one key: read the cache, read the database, fill the cache with
//! what they read, write the database, delete the cache entry, or set the cache to what they
//! wrote. The same script runs twice: with a plain cache, then with leases, where a miss hands
//! the client a token, a delete invalidates every outstanding token, and a fill is accepted
//! only with a valid token. A second miss while a token is out gets no token and is told to
//! retry shortly (the paper's answer to thundering herds too).

use std::fmt::Write as _;

use crate::figure::{Figure, Message, Note, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "caching::race",
    title: "The cache-aside race that caches a stale value, without and with leases",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`db = VALUE` (the starting value), then steps `X: read cache`, `X: read db`, `X: fill cache`, \
                 `X: write db VALUE`, `X: delete cache`, `X: set cache` (X one of A–D, at most 24 steps); or \
                 `mode = predict` with `seed`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
# The database holds v1 and the cache is empty. A reads through the cache;
# B updates the row and deletes the cache entry, in between A's read and A's fill.
db = v1
A: read cache
A: read db
B: write db v2
B: delete cache
A: fill cache
C: read cache
# Try the write-update race instead: two writers set the cache in the other order.
#   A: write db v2 / B: write db v3 / B: set cache / A: set cache
";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    ReadCache,
    ReadDb,
    FillCache,
    WriteDb(String),
    DeleteCache,
    SetCache,
}

#[derive(Debug, Clone)]
struct Script {
    db: String,
    steps: Vec<(usize, Action)>,
    clients: usize,
}

const CLIENTS: [&str; 4] = ["A", "B", "C", "D"];

/// What happened in one run: a line per step and the drawing's messages and notes.
struct Trace {
    lines: Vec<String>,
    messages: Vec<Message>,
    notes: Vec<Note>,
    cache: Option<String>,
    db: String,
}

// ANCHOR: play
/// Plays the script against one cache and one database.
fn play(script: &Script, leases: bool, t0: f64, cache_party: usize) -> Trace {
    let db_party = cache_party + 1;
    let mut cache: Option<String> = None;
    let mut db = script.db.clone();
    let mut read = vec![None::<String>; script.clients]; // what each client read from the database
    let mut wrote = vec![None::<String>; script.clients]; // what each client last wrote
    let mut lease = vec![None::<u32>; script.clients]; // each client's lease token
    let mut valid_lease: Option<u32> = None; // the one token the cache still honours
    let mut next_token = 1;
    let mut trace =
        Trace { lines: Vec::new(), messages: Vec::new(), notes: Vec::new(), cache: None, db: String::new() };
    for (i, (who, action)) in script.steps.iter().enumerate() {
        let who = *who;
        let at = t0 + i as f64;
        let (to, request, reply) = match action {
            Action::ReadCache => {
                let reply = match (&cache, leases) {
                    (Some(v), _) => format!("hit {v}"),
                    (None, false) => "miss".to_string(),
                    (None, true) if valid_lease.is_some() => "miss, no lease: retry soon".to_string(),
                    (None, true) => {
                        valid_lease = Some(next_token);
                        lease[who] = Some(next_token);
                        next_token += 1;
                        format!("miss, lease {}", lease[who].unwrap())
                    }
                };
                (cache_party, "get".to_string(), reply)
            }
            Action::ReadDb => {
                read[who] = Some(db.clone());
                (db_party, "select".to_string(), db.clone())
            }
            Action::FillCache => {
                let value = read[who].clone().unwrap_or_else(|| "(nothing read)".into());
                let reply = if read[who].is_none() {
                    "nothing to fill".to_string()
                } else if !leases {
                    cache = Some(value.clone());
                    "stored".to_string()
                } else if lease[who].is_some() && lease[who] == valid_lease {
                    cache = Some(value.clone());
                    valid_lease = None;
                    "stored (lease valid)".to_string()
                } else {
                    "refused: lease invalidated".to_string()
                };
                lease[who] = None;
                (cache_party, format!("set {value}"), reply)
            }
            Action::WriteDb(value) => {
                db = value.clone();
                wrote[who] = Some(value.clone());
                (db_party, format!("update {value}"), "ok".to_string())
            }
            Action::DeleteCache => {
                cache = None;
                // A delete invalidates every outstanding lease on the key.
                valid_lease = None;
                (cache_party, "delete".to_string(), "ok".to_string())
            }
            Action::SetCache => {
                let value = wrote[who].clone();
                if let Some(v) = &value {
                    cache = Some(v.clone());
                }
                let shown = value.unwrap_or_else(|| "(nothing written)".into());
                (
                    cache_party,
                    format!("set {shown}"),
                    if cache.is_some() { "stored".into() } else { "nothing".into() },
                )
            }
        };
        trace.lines.push(format!("{:>2}. {}: {:<18} → {reply}", i + 1, CLIENTS[who], request));
        trace.messages.push(Message { from: who, to, sent: at, arrived: Some(at + 0.4), label: request });
        trace.messages.push(Message {
            from: to,
            to: who,
            sent: at + 0.5,
            arrived: Some(at + 0.9),
            label: reply,
        });
    }
    let verdict = match &cache {
        Some(v) if *v != db => {
            format!("STALE: the cache says {v}, the database {db}, until the entry's TTL ends")
        }
        Some(v) => format!("consistent: both say {v}"),
        None => format!("cache empty: the next read loads {db}"),
    };
    trace.lines.push(format!("end: {verdict}"));
    let end = t0 + script.steps.len() as f64;
    trace.notes.push(Note { party: cache_party, at: end, text: verdict });
    trace.cache = cache;
    trace.db = db;
    trace
}
// ANCHOR_END: play

fn parse(input: &str) -> Result<Script, InputError> {
    let mut db = None;
    let mut steps = Vec::new();
    let mut clients = 1;
    for (index, raw) in input.lines().enumerate() {
        let line = index + 1;
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if let Some((key, value)) = text.split_once('=') {
            match key.trim() {
                "db" => db = Some(value.trim().to_string()),
                "mode" | "seed" => {}
                other => {
                    return Err(InputError::at_line(line, format!("unknown key `{other}` (expected `db`)")));
                }
            }
            continue;
        }
        let Some((who, action)) = text.split_once(':') else {
            return Err(InputError::at_line(line, "expected `X: action` or `db = VALUE`"));
        };
        let who = CLIENTS
            .iter()
            .position(|c| *c == who.trim())
            .ok_or_else(|| InputError::at_line(line, format!("unknown client `{}` (A to D)", who.trim())))?;
        let words: Vec<&str> = action.split_whitespace().collect();
        let action = match words.as_slice() {
            ["read", "cache"] => Action::ReadCache,
            ["read", "db"] => Action::ReadDb,
            ["fill", "cache"] => Action::FillCache,
            ["write", "db", value] => Action::WriteDb(value.to_string()),
            ["delete", "cache"] => Action::DeleteCache,
            ["set", "cache"] => Action::SetCache,
            _ => {
                return Err(InputError::at_line(
                    line,
                    "expected read cache, read db, fill cache, write db VALUE, delete cache or set cache",
                ));
            }
        };
        clients = clients.max(who + 1);
        steps.push((who, action));
    }
    if steps.len() > 24 {
        return Err(InputError::new("at most 24 steps"));
    }
    if steps.is_empty() {
        return Err(InputError::new("no steps: write lines such as `A: read cache`"));
    }
    Ok(Script { db: db.unwrap_or_else(|| "v1".to_string()), steps, clients })
}

fn both(script: &Script) -> Drawn {
    let cache_party = script.clients;
    let plain = play(script, false, 0.0, cache_party);
    let gap = script.steps.len() as f64 + 1.0;
    let leased = play(script, true, gap, cache_party);
    let mut text = String::from("Plain cache-aside:\n");
    for line in &plain.lines {
        let _ = writeln!(text, "  {line}");
    }
    text.push_str("\nWith leases:\n");
    for line in &leased.lines {
        let _ = writeln!(text, "  {line}");
    }
    let mut parties: Vec<String> = CLIENTS[..script.clients].iter().map(|c| format!("client {c}")).collect();
    parties.extend(["cache".to_string(), "database".to_string()]);
    let mut messages = plain.messages;
    messages.extend(leased.messages);
    let mut notes = plain.notes;
    notes.push(Note { party: cache_party, at: gap - 0.5, text: "the same steps, with leases".into() });
    notes.extend(leased.notes);
    let steps = Step::per_event(&parties, &messages, &notes, "steps");
    let figure = Figure::Sequence {
        title: "Cache-aside: a plain cache, then leases".into(),
        unit: "steps".into(),
        parties,
        messages,
        notes,
        steps,
    };
    Drawn { text, figure }
}

/// A seeded puzzle: A's read path (3 steps) and B's write path (2 steps) interleaved, one of
/// the 10 interleavings chosen uniformly.
fn puzzle(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let reader = ["A: read cache", "A: read db", "A: fill cache"];
    let writer = if rng.chance(0.3) {
        ["B: write db v2", "B: set cache"]
    } else {
        ["B: write db v2", "B: delete cache"]
    };
    // The slots (of 5) that B's two steps take.
    let pairs: Vec<(usize, usize)> = (0..5).flat_map(|i| (i + 1..5).map(move |j| (i, j))).collect();
    let (first, second) = pairs[rng.range(0, pairs.len() as u64 - 1) as usize];
    let (mut r, mut w) = (0, 0);
    let mut out = String::from("db = v1\n");
    for slot in 0..5 {
        if slot == first || slot == second {
            out.push_str(writer[w]);
            w += 1;
        } else {
            out.push_str(reader[r]);
            r += 1;
        }
        out.push('\n');
    }
    out
}

fn run(input: &str) -> Result<Drawn, InputError> {
    // `mode` and `seed` are read here, in place (other lines blanked, so errors keep their line
    // numbers); `parse` reads the rest.
    let settings: Vec<&str> = input
        .lines()
        .map(|l| if l.trim().starts_with("mode") || l.trim().starts_with("seed") { l } else { "" })
        .collect();
    let settings = settings.join("\n");
    let p = Params::parse(&settings, &["mode", "seed"])?;
    if p.choice_or("mode", &["run", "predict"], "run")? == "predict" {
        let seed = p.number_or("seed", 0u64, u64::MAX, 1)?;
        let script = puzzle(seed);
        let mut drawn = both(&parse(&script)?);
        drawn.text = format!(
            "Predict, then reveal (seed {seed}). The cache is empty and the database holds v1:\n\n{script}\n\
             Is the cache stale at the end? And with leases?\n{REVEAL_MARKER}\n{}",
            drawn.text
        );
        return Ok(drawn);
    }
    Ok(both(&parse(input)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(input: &str, leases: bool) -> (Option<String>, String) {
        let script = parse(input).unwrap();
        let t = play(&script, leases, 0.0, script.clients);
        (t.cache, t.db)
    }

    #[test]
    fn the_delete_race_caches_a_stale_value_and_a_lease_refuses_it() {
        let (cache, db) = outcome(EXAMPLE.default_input, false);
        assert_eq!((cache.as_deref(), db.as_str()), (Some("v1"), "v2"));
        // With leases A's fill is refused; C then misses and gets a lease (the next read loads v2).
        let (cache, _) = outcome(EXAMPLE.default_input, true);
        assert_eq!(cache, None);
        let d = run(EXAMPLE.default_input).unwrap();
        d.figure.validate().unwrap();
        assert!(d.text.contains("refused: lease invalidated"), "{}", d.text);
    }

    #[test]
    fn updating_on_write_races_between_writers_and_deleting_does_not() {
        let update = "A: write db v2\nB: write db v3\nB: set cache\nA: set cache\n";
        assert_eq!(outcome(update, false), (Some("v2".into()), "v3".into()));
        let delete = "A: write db v2\nB: write db v3\nB: delete cache\nA: delete cache\n";
        assert_eq!(outcome(delete, false), (None, "v3".into()));
        // Without a race, read-through fills what the database holds.
        let calm = "A: read cache\nA: read db\nA: fill cache\nB: read cache\n";
        assert_eq!(outcome(calm, true), (Some("v1".into()), "v1".into()));
    }

    #[test]
    fn a_second_miss_during_a_lease_is_told_to_retry() {
        let herd = "A: read cache\nB: read cache\nA: read db\nA: fill cache\nB: read cache\n";
        let d = run(herd).unwrap();
        assert!(d.text.contains("B: get                → miss, no lease: retry soon"), "{}", d.text);
        assert!(d.text.contains("B: get                → hit v1"), "{}", d.text);
    }

    #[test]
    fn predict_mode_and_errors() {
        let d = run("mode = predict\nseed = 5\n").unwrap();
        assert!(d.text.contains(REVEAL_MARKER));
        d.figure.validate().unwrap();
        assert_eq!(run("A: read cache\nE: read db\n").unwrap_err().line, Some(2));
        assert_eq!(run("A: read cache\nA: fly\n").unwrap_err().line, Some(2));
        assert_eq!(run("speed = 3\n").unwrap_err().line, Some(1));
    }
}
