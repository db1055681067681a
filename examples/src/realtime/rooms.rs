//! Rooms and broadcast fan-out, on one server or on several joined by a pub/sub bus (Redis or
//! NATS). Each server keeps only its local members per room; a message goes to the bus once and
//! comes back to every server subscribed to the room, which hands it to its own members. The
//! script is one action a line; the run counts the frames each part wrote.

use std::collections::{BTreeMap, BTreeSet};

use crate::figure::{Figure, Message, Note, Step};
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "realtime::rooms",
    title: "Rooms, joins, leaves and broadcast fan-out across two servers and a bus",
    file: file!(),
    default_input: DEFAULT,
    input_help: "one action a line: `alice@A joins lobby`, `alice says lobby: hi`, `alice leaves lobby`; `@A` (first mention) puts a client on server A; two or more servers get a bus; or `seed = N` for a puzzle",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT: &str = "\
alice@A joins lobby
bob@A joins lobby
carol@B joins lobby
dave@B joins ops
alice says lobby: hello
dave says ops: anyone?
bob leaves lobby
carol says lobby: hi
";

/// One line of the script.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Join(String),
    Leave(String),
    Say(String, String),
}

struct Script {
    /// Client → its server, in order of first mention.
    clients: Vec<(String, String)>,
    actions: Vec<(usize, String, Action)>,
}

fn parse(input: &str) -> Result<Script, InputError> {
    let mut clients: Vec<(String, String)> = Vec::new();
    let mut actions = Vec::new();
    for (i, raw) in input.lines().enumerate() {
        let line = i + 1;
        let text = raw.split('#').next().unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        let err = |why: &str| InputError::at_line(line, why.to_string());
        let (who, rest) =
            text.split_once(' ').ok_or_else(|| err("expected `<client> joins|leaves|says <room>`"))?;
        let (name, server) = match who.split_once('@') {
            Some((n, s)) => (n, Some(s)),
            None => (who, None),
        };
        let name_ok =
            |s: &str| !s.is_empty() && s.len() <= 12 && s.chars().all(|c| c.is_ascii_alphanumeric());
        if !name_ok(name) || server.is_some_and(|s| !name_ok(s)) {
            return Err(err("client and server names are letters and digits (at most 12)"));
        }
        match (clients.iter().find(|(c, _)| c == name), server) {
            (None, Some(s)) => clients.push((name.to_string(), s.to_string())),
            (None, None) => clients.push((name.to_string(), "A".to_string())),
            (Some((_, s0)), Some(s)) if s0 != s => {
                return Err(err(&format!("`{name}` is already on server {s0}")));
            }
            _ => {}
        }
        let (verb, rest) = rest.trim().split_once(' ').unwrap_or((rest.trim(), ""));
        let action = match verb {
            "joins" => Action::Join(rest.trim().to_string()),
            "leaves" => Action::Leave(rest.trim().to_string()),
            "says" => {
                let (room, words) =
                    rest.split_once(':').ok_or_else(|| err("expected `says <room>: <text>`"))?;
                Action::Say(room.trim().to_string(), words.trim().to_string())
            }
            _ => return Err(err(&format!("`{verb}`: expected joins, leaves or says"))),
        };
        let room = match &action {
            Action::Join(r) | Action::Leave(r) | Action::Say(r, _) => r,
        };
        if !name_ok(room) {
            return Err(err("a room name is letters and digits (at most 12)"));
        }
        actions.push((line, name.to_string(), action));
        if actions.len() > 40 {
            return Err(err("at most 40 actions"));
        }
    }
    if actions.is_empty() {
        return Err(InputError::new("no actions: write `alice@A joins lobby`"));
    }
    if clients.len() > 8 {
        return Err(InputError::new("at most 8 clients"));
    }
    Ok(Script { clients, actions })
}

// ANCHOR: fanout
/// Runs the script. Each server's state is `room → local members`; a server subscribes to a
/// room's channel when its first local member joins and unsubscribes when the last one leaves.
fn simulate(script: &Script) -> Result<(String, Figure), InputError> {
    let servers: BTreeSet<&str> = script.clients.iter().map(|(_, s)| s.as_str()).collect();
    let servers: Vec<&str> = servers.into_iter().collect();
    let bus = servers.len() > 1;
    let mut parties: Vec<String> = script.clients.iter().map(|(c, _)| c.clone()).collect();
    parties.extend(servers.iter().map(|s| format!("server {s}")));
    if bus {
        parties.push("bus".into());
    }
    let client_index = |name: &str| script.clients.iter().position(|(c, _)| c == name).expect("known");
    let server_of = |name: &str| script.clients[client_index(name)].1.clone();
    let server_index = |s: &str| script.clients.len() + servers.iter().position(|x| *x == s).expect("known");
    let bus_index = parties.len() - 1;
    // server → room → local members
    let mut rooms: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let (mut messages, mut notes, mut log) = (Vec::new(), Vec::new(), String::new());
    let mut frames_to_clients = 0;
    let mut bus_in = 0;
    let mut bus_out = 0;
    let hop = 0.2;
    for (k, (line, who, action)) in script.actions.iter().enumerate() {
        let t = k as f64;
        let (c, home) = (client_index(who), server_of(who));
        let s = server_index(&home);
        let local = rooms.entry(home.clone()).or_default();
        let mut send = |from: usize, to: usize, sent: f64, label: String| {
            messages.push(Message { from, to, sent, arrived: Some(sent + hop), label });
        };
        match action {
            Action::Join(room) => {
                send(c, s, t, format!("join {room}"));
                let members = local.entry(room.clone()).or_default();
                let first = members.is_empty();
                if !members.insert(who.clone()) {
                    return Err(InputError::at_line(*line, format!("{who} is already in {room}")));
                }
                log.push_str(&format!("line {line}: {who} joins {room} on server {home}\n"));
                if bus && first {
                    send(s, bus_index, t + hop, format!("SUBSCRIBE room:{room}"));
                    log.push_str(&format!(
                        "  server {home} subscribes to room:{room} (its first member there)\n"
                    ));
                }
            }
            Action::Leave(room) => {
                send(c, s, t, format!("leave {room}"));
                let members = local.entry(room.clone()).or_default();
                if !members.remove(who) {
                    return Err(InputError::at_line(*line, format!("{who} is not in {room}")));
                }
                log.push_str(&format!("line {line}: {who} leaves {room}\n"));
                if bus && members.is_empty() {
                    send(s, bus_index, t + hop, format!("UNSUBSCRIBE room:{room}"));
                    log.push_str(&format!(
                        "  server {home} unsubscribes from room:{room} (no member left there)\n"
                    ));
                }
            }
            Action::Say(room, words) => {
                if !local.get(room).is_some_and(|m| m.contains(who)) {
                    return Err(InputError::at_line(*line, format!("{who} is not in {room}: join it first")));
                }
                send(c, s, t, format!("{room}: {words}"));
                log.push_str(&format!("line {line}: {who} says \"{words}\" in {room}\n"));
                // Which servers deliver, and when the message reaches each of them.
                let mut deliveries: Vec<(String, f64)> = vec![(home.clone(), t + hop)];
                if bus {
                    send(s, bus_index, t + hop, format!("PUBLISH room:{room}"));
                    bus_in += 1;
                    deliveries.clear();
                    for server in &servers {
                        if rooms.get(*server).and_then(|r| r.get(room)).is_some_and(|m| !m.is_empty()) {
                            messages.push(Message {
                                from: bus_index,
                                to: server_index(server),
                                sent: t + 2.0 * hop,
                                arrived: Some(t + 3.0 * hop),
                                label: format!("room:{room}"),
                            });
                            bus_out += 1;
                            deliveries.push((server.to_string(), t + 3.0 * hop));
                        }
                    }
                }
                for (server, at) in deliveries {
                    let members = rooms.get(&server).and_then(|r| r.get(room)).cloned().unwrap_or_default();
                    let to: Vec<&String> = members.iter().filter(|m| *m != who).collect();
                    for m in &to {
                        messages.push(Message {
                            from: server_index(&server),
                            to: client_index(m),
                            sent: at,
                            arrived: Some(at + hop),
                            label: words.clone(),
                        });
                    }
                    frames_to_clients += to.len();
                    let names: Vec<&str> = to.iter().map(|s| s.as_str()).collect();
                    log.push_str(&format!(
                        "  server {server} writes it to {}\n",
                        if names.is_empty() {
                            "nobody (no other local member)".to_string()
                        } else {
                            names.join(", ")
                        }
                    ));
                }
            }
        }
        let state: Vec<String> = rooms
            .get(&home)
            .map(|r| {
                r.iter()
                    .filter(|(_, m)| !m.is_empty())
                    .map(|(room, m)| format!("{room}: {}", m.iter().cloned().collect::<Vec<_>>().join(" ")))
                    .collect()
            })
            .unwrap_or_default();
        if !matches!(action, Action::Say(..)) {
            notes.push(Note {
                party: s,
                at: t + hop,
                text: if state.is_empty() { "no rooms".into() } else { state.join("; ") },
            });
        }
    }
    log.push_str(&format!("frames written to clients: {frames_to_clients}\n"));
    if bus {
        log.push_str(&format!(
            "bus: {bus_in} publish(es) in, {bus_out} delivery(ies) out (one per subscribed server, not per member)\n"
        ));
    }
    let steps = Step::per_event(&parties, &messages, &notes, "ticks");
    let title = if bus { "rooms on two servers joined by a pub/sub bus" } else { "rooms on one server" };
    Ok((log, Figure::Sequence { title: title.into(), unit: "ticks".into(), parties, messages, notes, steps }))
}
// ANCHOR_END: fanout

/// A random valid script on two servers: joins, leaves and says, 8 to 12 actions.
fn puzzle(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let names = ["alice", "bob", "carol", "dave", "erin"];
    let rooms = ["lobby", "ops"];
    let mut placed = [false; 5];
    let mut inside = [[false; 2]; 5];
    let mut script = String::new();
    let (mut n, want) = (0, rng.range(8, 12));
    while n < want {
        let (c, r) = (rng.range(0, 4) as usize, rng.range(0, 1) as usize);
        let who = if placed[c] {
            names[c].to_string()
        } else {
            format!("{}@{}", names[c], if rng.chance(0.5) { "A" } else { "B" })
        };
        let line = if !inside[c][r] {
            inside[c][r] = true;
            format!("{who} joins {}", rooms[r])
        } else if rng.chance(0.25) {
            inside[c][r] = false;
            format!("{who} leaves {}", rooms[r])
        } else {
            format!("{who} says {}: message {n}", rooms[r])
        };
        placed[c] = true;
        script.push_str(&line);
        script.push('\n');
        n += 1;
    }
    script
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let seed = input.trim().strip_prefix("seed").and_then(|r| r.trim().strip_prefix('='));
    let Some(seed) = seed else {
        let script = parse(input)?;
        let (text, figure) = simulate(&script)?;
        return Ok(Drawn { text, figure });
    };
    let seed: u64 =
        seed.trim().parse().map_err(|_| InputError::at_line(1, "`seed = N` takes a whole number"))?;
    let generated = puzzle(seed);
    let (log, figure) = simulate(&parse(&generated)?)?;
    let mut text = format!("puzzle {seed}:\n{generated}");
    text.push_str("How many frames reach clients, and how many copies does the bus deliver?\n");
    text.push_str(REVEAL_MARKER);
    text.push('\n');
    text.push_str(&log);
    Ok(Drawn { text, figure })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_fans_out_through_the_bus() {
        let out = run(DEFAULT).unwrap();
        out.figure.validate().unwrap();
        assert!(out.text.contains("server B subscribes to room:ops"), "{}", out.text);
        // alice's hello: bob on A, carol on B; dave's question: nobody else in ops.
        assert!(
            out.text.contains("server A writes it to bob\n  server B writes it to carol"),
            "{}",
            out.text
        );
        assert!(out.text.contains("frames written to clients: 3"), "{}", out.text);
        assert!(out.text.contains("bus: 3 publish(es) in, 5 delivery(ies) out"), "{}", out.text);
        let one = run("a joins r\nb joins r\na says r: x\n").unwrap();
        assert!(!one.text.contains("bus"), "{}", one.text);
        one.figure.validate().unwrap();
    }

    /// Every seed gives a valid script, and the answer comes only after the marker.
    #[test]
    fn puzzles_are_valid_and_hide_their_answer() {
        for seed in 0..200 {
            let out = run(&format!("seed = {seed}")).unwrap();
            out.figure.validate().unwrap();
            let (question, answer) = out.text.split_once(REVEAL_MARKER).unwrap();
            assert!(!question.contains("frames written") && answer.contains("frames written"));
        }
        assert_eq!(run("seed = x").unwrap_err().line, Some(1));
    }

    #[test]
    fn script_errors_name_their_line() {
        assert_eq!(run("a joins r\nb says r: hi\n").unwrap_err().line, Some(2));
        assert_eq!(run("a@A joins r\na@B joins s\n").unwrap_err().line, Some(2));
        assert_eq!(run("a joins r\na dances\n").unwrap_err().line, Some(2));
        assert_eq!(run("a leaves r\n").unwrap_err().line, Some(1));
    }
}
