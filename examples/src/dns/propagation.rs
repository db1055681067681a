//! A record changes at the authoritative server; who sees the old value, and until when?
//! Clients (each a stub resolver with a cache policy) ask one recursive resolver with a shared
//! cache, which asks the authoritative server on a miss. TTLs count down in the recursive
//! cache and the remaining TTL is what the stubs get; "no such name" is cached too, for the
//! SOA's negative TTL (RFC 2308).

use crate::figure::{Figure, Message, Note, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "dns::propagation",
    title: "A record change propagating through stub and recursive caches",
    file: file!(),
    default_input: "# www.example.com at t=0 s: value 192.0.2.10, TTL 300 s\n\
record = 192.0.2.10 300\n\
# the SOA MINIMUM: how long \"no such name\" is cached\n\
negative_ttl = 60\n\
# a stub cache that honours TTLs; one that keeps answers at least 600 s;\n\
# the JVM's, which gets no TTL from getaddrinfo and keeps answers 30 s, failures 10 s;\n\
# and Node's dns.lookup, which has no cache of its own\n\
client = app ttl\n\
client = pinned floor=600\n\
client = jvm fixed=30,10\n\
client = node none\n\
ask = 0 app\n\
ask = 10 pinned\n\
ask = 20 jvm\n\
ask = 60 jvm\n\
# the operator changes the value and lowers the TTL (too late: caches hold the old 300 s)\n\
change = 100 192.0.2.20 60\n\
ask = 150 node\n\
ask = 250 app\n\
ask = 310 node\n\
ask = 320 app\n\
ask = 330 jvm\n\
ask = 400 pinned\n\
# the record is deleted, then added back\n\
change = 500 none\n\
ask = 520 node\n\
change = 530 192.0.2.30 60\n\
ask = 560 node\n\
ask = 600 node\n\
ask = 700 pinned\n",
    input_help: "`record = VALUE TTL`, `negative_ttl = S`, `client = NAME ttl|none|forever|floor=S|fixed=S[,F]`, \
`ask = T CLIENT`, `change = T VALUE TTL` or `change = T none`; or `mode = predict` with `seed = N`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// How a client's own cache treats the TTL it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Policy {
    /// No cache (Node's `dns.lookup` calls getaddrinfo every time).
    None,
    /// Keeps an answer for the TTL it was given.
    Ttl,
    /// Keeps an answer at least this long (a TTL floor, like Unbound's `cache-min-ttl`).
    Floor(u32),
    /// Keeps an answer this long whatever its TTL, a failure the second time (the JVM: getaddrinfo
    /// returns no TTL, so `networkaddress.cache.ttl` = 30 s, `.negative.ttl` = 10 s).
    Fixed(u32, u32),
    /// Keeps the first answer for ever (a JVM with a security manager, before JDK 24).
    Forever,
}

/// A cached answer: the value (`None` = NXDOMAIN), when it was stored, for how long.
#[derive(Debug, Clone, PartialEq)]
struct Cached {
    value: Option<String>,
    stored: u32,
    ttl: u64,
}

impl Cached {
    fn fresh(&self, t: u32) -> bool {
        u64::from(t) < u64::from(self.stored) + self.ttl
    }
    fn left(&self, t: u32) -> u64 {
        (u64::from(self.stored) + self.ttl).saturating_sub(u64::from(t))
    }
}

#[derive(Debug, Clone)]
enum Event {
    Ask { client: usize },
    Change { value: Option<(String, u32)> },
}

struct Scenario {
    record: Option<(String, u32)>,
    negative_ttl: u32,
    clients: Vec<(String, Policy)>,
    events: Vec<(u32, Event)>,
}

fn shown(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "NXDOMAIN".to_string())
}

// ANCHOR: simulate
/// Plays the events in time order. Returns the text and the sequence diagram of one run.
fn simulate(s: &Scenario) -> Drawn {
    let n = s.clients.len();
    let (recursive, authoritative) = (n, n + 1);
    let mut parties: Vec<String> = s.clients.iter().map(|(name, _)| format!("client {name}")).collect();
    parties.extend(["recursive".to_string(), "authoritative".to_string()]);
    let (mut messages, mut notes) = (Vec::new(), Vec::new());
    let hop = |at: u32, k: u32| f64::from(at) + 0.1 * f64::from(k);
    let mut zone = s.record.clone();
    let mut recursive_cache: Option<Cached> = None;
    let mut stubs: Vec<Option<Cached>> = vec![None; n];
    let mut out = String::new();
    let mut stale = vec![0usize; n];
    for (t, event) in &s.events {
        let t = *t;
        match event {
            Event::Change { value } => {
                zone = value.clone();
                let text = match value {
                    Some((v, ttl)) => format!("now {v}, TTL {ttl} s"),
                    None => "record deleted".to_string(),
                };
                out.push_str(&format!("t={t:4} s  authoritative: {text}\n"));
                notes.push(Note { party: authoritative, at: f64::from(t), text });
            }
            Event::Ask { client } => {
                let (name, policy) = &s.clients[*client];
                let truth = zone.as_ref().map(|(v, _)| v.clone());
                let (value, from) = match &stubs[*client] {
                    Some(c) if *policy != Policy::None && c.fresh(t) => {
                        (c.value.clone(), "its own cache".to_string())
                    }
                    _ => {
                        messages.push(Message {
                            from: *client,
                            to: recursive,
                            sent: hop(t, 0),
                            arrived: Some(hop(t, 1)),
                            label: "www?".into(),
                        });
                        let (cached, from) = match &recursive_cache {
                            Some(c) if c.fresh(t) => {
                                (c.clone(), format!("the recursive cache ({} s left)", c.left(t)))
                            }
                            _ => {
                                messages.push(Message {
                                    from: recursive,
                                    to: authoritative,
                                    sent: hop(t, 1),
                                    arrived: Some(hop(t, 2)),
                                    label: "www?".into(),
                                });
                                // A negative answer lives min(SOA TTL, SOA MINIMUM): here the
                                // SOA's TTL is 3600 s, so the MINIMUM decides (RFC 2308 §5).
                                let c = match &zone {
                                    Some((v, ttl)) => {
                                        Cached { value: Some(v.clone()), stored: t, ttl: u64::from(*ttl) }
                                    }
                                    None => Cached {
                                        value: None,
                                        stored: t,
                                        ttl: u64::from(s.negative_ttl.min(3600)),
                                    },
                                };
                                messages.push(Message {
                                    from: authoritative,
                                    to: recursive,
                                    sent: hop(t, 2),
                                    arrived: Some(hop(t, 3)),
                                    label: format!("{} TTL {}", shown(&c.value), c.ttl),
                                });
                                recursive_cache = Some(c.clone());
                                (c, "the authoritative server".to_string())
                            }
                        };
                        let left = cached.left(t);
                        messages.push(Message {
                            from: recursive,
                            to: *client,
                            sent: hop(t, 3),
                            arrived: Some(hop(t, 4)),
                            label: format!("{} TTL {left}", shown(&cached.value)),
                        });
                        // The stub is given the remaining TTL, not the original one.
                        let keep = match policy {
                            Policy::None | Policy::Ttl => left,
                            Policy::Floor(f) => left.max(u64::from(*f)),
                            Policy::Fixed(ok, _) if cached.value.is_some() => u64::from(*ok),
                            Policy::Fixed(_, failed) => u64::from(*failed),
                            Policy::Forever => u64::MAX / 2,
                        };
                        stubs[*client] = Some(Cached { value: cached.value.clone(), stored: t, ttl: keep });
                        (cached.value, from)
                    }
                };
                let verdict = if value == truth {
                    "current".to_string()
                } else {
                    stale[*client] += 1;
                    format!("STALE (authoritative says {})", shown(&truth))
                };
                out.push_str(&format!("t={t:4} s  {name} gets {} from {from}: {verdict}\n", shown(&value)));
                notes.push(Note {
                    party: *client,
                    at: hop(t, 4),
                    text: format!("{}: {verdict}", shown(&value)),
                });
            }
        }
    }
    out.push_str("stale answers per client:");
    for (i, (name, _)) in s.clients.iter().enumerate() {
        out.push_str(&format!(" {name} {}", stale[i]));
    }
    out.push('\n');
    let steps = Step::per_event(&parties, &messages, &notes, "s");
    let figure = Figure::Sequence {
        title: "DNS caches while a record changes".into(),
        unit: "s".into(),
        parties,
        messages,
        notes,
        steps,
    };
    Drawn { text: out, figure }
}
// ANCHOR_END: simulate

fn parse(input: &str) -> Result<Scenario, InputError> {
    let p = Params::parse(input, &["record", "negative_ttl", "client", "ask", "change", "mode", "seed"])?;
    let value_ttl = |line: usize, words: &[&str]| -> Result<Option<(String, u32)>, InputError> {
        match words {
            ["none"] => Ok(None),
            [v, ttl] => {
                let ttl = crate::input::parse_number(ttl, line, 0u32, 604_800)?;
                Ok(Some((v.to_string(), ttl)))
            }
            _ => Err(InputError::at_line(line, "expected `VALUE TTL` or `none`")),
        }
    };
    let record = match p.one("record")? {
        Some(e) => value_ttl(e.line, &e.value.split_whitespace().collect::<Vec<_>>())?,
        None => None,
    };
    let negative_ttl = p.number_or("negative_ttl", 0u32, 86_400, 300)?;
    let mut clients = Vec::new();
    for e in p.all("client") {
        let words: Vec<&str> = e.value.split_whitespace().collect();
        let [name, policy] = words.as_slice() else {
            return Err(InputError::at_line(e.line, "expected `NAME ttl|none|forever|floor=S|fixed=S[,F]`"));
        };
        let policy = match *policy {
            "ttl" => Policy::Ttl,
            "none" => Policy::None,
            "forever" => Policy::Forever,
            other => match (other.strip_prefix("floor="), other.strip_prefix("fixed=")) {
                (Some(s), _) => Policy::Floor(crate::input::parse_number(s, e.line, 0u32, 86_400)?),
                (_, Some(s)) => {
                    let (ok, failed) = s.split_once(',').unwrap_or((s, s));
                    Policy::Fixed(
                        crate::input::parse_number(ok, e.line, 0u32, 86_400)?,
                        crate::input::parse_number(failed, e.line, 0u32, 86_400)?,
                    )
                }
                _ => return Err(InputError::at_line(e.line, format!("unknown policy `{other}`"))),
            },
        };
        clients.push((name.to_string(), policy));
    }
    if clients.is_empty() || clients.len() > 5 {
        return Err(InputError::new("give 1 to 5 `client = NAME POLICY` lines"));
    }
    let mut events = Vec::new();
    for e in p.all("ask").chain(p.all("change")) {
        let words: Vec<&str> = e.value.split_whitespace().collect();
        let Some((t, rest)) = words.split_first() else {
            return Err(InputError::at_line(e.line, "expected a time first"));
        };
        let t = crate::input::parse_number(t, e.line, 0u32, 1_000_000)?;
        let event = if e.key == "ask" {
            let [who] = rest else { return Err(InputError::at_line(e.line, "expected `T CLIENT`")) };
            let client = clients
                .iter()
                .position(|(n, _)| n == who)
                .ok_or_else(|| InputError::at_line(e.line, format!("no client `{who}`")))?;
            Event::Ask { client }
        } else {
            Event::Change { value: value_ttl(e.line, rest)? }
        };
        events.push((t, e.line, event));
    }
    if events.len() > 60 {
        return Err(InputError::new("at most 60 `ask` and `change` lines"));
    }
    // In time order; at one instant, in input order.
    events.sort_by_key(|(t, line, _)| (*t, *line));
    Ok(Scenario {
        record,
        negative_ttl,
        clients,
        events: events.into_iter().map(|(t, _, e)| (t, e)).collect(),
    })
}

/// A seeded puzzle: a scenario, a question about its last answer, then the run.
fn puzzle(seed: u64) -> (String, String) {
    let mut rng = Rng::new(seed);
    let pick = |rng: &mut Rng, xs: &[u32]| xs[rng.range(0, xs.len() as u64 - 1) as usize];
    let ttl = pick(&mut rng, &[60, 300, 3600]);
    let new_ttl = pick(&mut rng, &[30, 60, 300]);
    let change = pick(&mut rng, &[20, 50, 100, 200]);
    let floor = pick(&mut rng, &[120, 600]);
    let mut text = format!(
        "record = 192.0.2.10 {ttl}\nnegative_ttl = 60\nclient = a ttl\nclient = b floor={floor}\nclient = c none\n\
ask = 0 a\nask = {} b\nchange = {change} 192.0.2.20 {new_ttl}\n",
        rng.range(1, 20)
    );
    let mut t = change;
    for _ in 0..3 {
        t += rng.range(10, 400) as u32;
        let who = ["a", "b", "c"][rng.range(0, 2) as usize];
        text.push_str(&format!("ask = {t} {who}\n"));
    }
    (text, format!("at t={t} s, what does the last client get, and from which cache?"))
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, &["record", "negative_ttl", "client", "ask", "change", "mode", "seed"])?;
    if p.choice_or("mode", &["run", "predict"], "run")? == "predict" {
        let seed = p.number_or("seed", 0u64, u64::MAX, 1)?;
        let (scenario, question) = puzzle(seed);
        let mut drawn = simulate(&parse(&scenario)?);
        drawn.text = format!("{scenario}{question}\n{}\n{}", crate::REVEAL_MARKER, drawn.text);
        return Ok(drawn);
    }
    Ok(simulate(&parse(input)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// By hand, from the default input:
    /// t=0 app misses everywhere; recursive caches .10 until 300; app keeps it until 300.
    /// t=10 pinned: recursive hit, 290 s left; floor 600 → pinned keeps .10 until 610.
    /// t=20 jvm: recursive hit, 280 s left, but jvm keeps it a fixed 30 s (until 50).
    /// t=60 jvm: own cache expired → recursive hit, 240 s left: current.
    /// t=100 the zone says .20 (TTL 60). t=150 node: recursive still has .10 (150 s left): stale.
    /// t=250 app: its own cache (until 300): stale. t=310 node: recursive expired at 300 →
    /// authoritative .20, cached until 370: current. t=320 app: own cache expired at 300 →
    /// recursive hit .20, 50 s left: current. t=330 jvm: own expired at 90 → recursive .20, 40 s
    /// left: current. t=400 pinned: own cache until 610: stale.
    /// t=500 deleted. t=520 node: recursive expired at 370 → NXDOMAIN, cached 60 s (until 580).
    /// t=530 added back. t=560 node: recursive's negative entry: NXDOMAIN, stale.
    /// t=600 node: negative entry expired at 580 → .30: current. t=700 pinned: own .10 expired at
    /// 610 → recursive's .30 expired at 660 → authoritative .30: current.
    #[test]
    fn default_run_matches_the_hand_count() {
        let d = run(EXAMPLE.default_input).unwrap();
        let t = &d.text;
        assert!(
            t.contains("t= 150 s  node gets 192.0.2.10 from the recursive cache (150 s left): STALE"),
            "{t}"
        );
        assert!(t.contains("t= 250 s  app gets 192.0.2.10 from its own cache: STALE"), "{t}");
        assert!(t.contains("t= 310 s  node gets 192.0.2.20 from the authoritative server: current"), "{t}");
        assert!(
            t.contains("t= 320 s  app gets 192.0.2.20 from the recursive cache (50 s left): current"),
            "{t}"
        );
        assert!(
            t.contains("t=  60 s  jvm gets 192.0.2.10 from the recursive cache (240 s left): current"),
            "{t}"
        );
        assert!(
            t.contains("t= 330 s  jvm gets 192.0.2.20 from the recursive cache (40 s left): current"),
            "{t}"
        );
        assert!(t.contains("t= 400 s  pinned gets 192.0.2.10 from its own cache: STALE"), "{t}");
        assert!(
            t.contains("t= 560 s  node gets NXDOMAIN from the recursive cache (20 s left): STALE"),
            "{t}"
        );
        assert!(t.contains("t= 600 s  node gets 192.0.2.30 from the authoritative server: current"), "{t}");
        assert!(t.contains("t= 700 s  pinned gets 192.0.2.30 from the authoritative server: current"), "{t}");
        assert!(t.contains("stale answers per client: app 1 pinned 1 jvm 0 node 2"), "{t}");
        d.figure.validate().unwrap();
    }

    #[test]
    fn predict_mode_reveals_after_the_marker_and_errors_name_lines() {
        let d = run("mode = predict\nseed = 7\n").unwrap();
        let (problem, answer) = d.text.split_once("\n--- answer ---\n").unwrap();
        assert!(problem.ends_with("from which cache?"), "{problem}");
        assert!(answer.contains("stale answers per client"), "{answer}");
        d.figure.validate().unwrap();
        assert_eq!(run("client = a ttl\nask = 5 b\n").unwrap_err().line, Some(2));
        assert_eq!(run("client = a sometimes\n").unwrap_err().line, Some(1));
    }
}
