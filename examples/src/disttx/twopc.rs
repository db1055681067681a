//! Two-phase commit between a coordinator and three participants, with the coordinator's crash
//! at each point that matters: after the votes but before a decision is logged, after the
//! decision is logged but before it is sent, and halfway through sending it. Participants that
//! voted yes are *in doubt* until they learn the decision: they hold their locks and may not
//! decide alone. With `cooperative = yes` they ask each other (the cooperative termination
//! protocol), which helps only when one of them knows the outcome. `heuristic = MS` lets a
//! participant give up after that long in doubt and abort on its own, as an operator's
//! "heuristic decision" does: the one way in this model to break atomicity.

use crate::figure::{Figure, Message, Note, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};
use crate::rng::Rng;
use crate::schedule::Schedule;

pub const EXAMPLE: Example = Example {
    id: "disttx::two_pc",
    title: "Two-phase commit: the coordinator crashes between prepare and commit",
    file: file!(),
    default_input: "# each participant's vote\nvotes = yes yes yes\n\
                    # none | after_votes | after_log | mid_send\ncrash = after_votes\n\
                    # the coordinator comes back this long (ms) after its crash, or off\nrecover = 600\n\
                    cooperative = no\nheuristic = off\nloss = 0\nseed = 1\n",
    input_help: "`votes` (2–4 of yes/no); `crash` = none | after_votes | after_log | mid_send; `recover` = MS after the crash | off; \
                 `cooperative` = yes | no; `heuristic` = MS | off; `loss` (0–0.5); `seed`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crash {
    None,
    /// Every vote is in; the coordinator dies before it writes its decision.
    AfterVotes,
    /// The decision is on disk; the coordinator dies before sending it to anyone.
    AfterLog,
    /// The decision reaches the first participant only.
    MidSend,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub votes: Vec<bool>,
    pub crash: Crash,
    /// How long after its crash the coordinator comes back (`None`: never).
    pub recover: Option<u64>,
    pub cooperative: bool,
    pub heuristic: Option<u64>,
    pub loss: f64,
    pub seed: u64,
}

/// A participant's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Has not received PREPARE: may still abort on its own.
    Working,
    /// Voted yes: its changes are durable but undecided, its locks held.
    InDoubt {
        since: u64,
    },
    Committed {
        at: u64,
    },
    Aborted {
        at: u64,
        heuristic: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Prepare,
    Vote(bool),
    Decision(bool),
    Ack,
    /// "What was decided?"
    Inquiry,
    /// The answer to an inquiry: the outcome, or `None`: "I do not know either".
    Known(Option<bool>),
}

fn label(body: Body) -> String {
    match body {
        Body::Prepare => "PREPARE".into(),
        Body::Vote(true) => "vote yes".into(),
        Body::Vote(false) => "vote no".into(),
        Body::Decision(true) => "COMMIT".into(),
        Body::Decision(false) => "ABORT".into(),
        Body::Ack => "ack".into(),
        Body::Inquiry => "outcome?".into(),
        Body::Known(Some(true)) => "it committed".into(),
        Body::Known(Some(false)) => "it aborted".into(),
        Body::Known(None) => "don't know".into(),
    }
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub states: Vec<State>,
    /// How long each participant held its locks in doubt (until the end if still in doubt).
    pub in_doubt_ms: Vec<u64>,
    pub log: Vec<String>,
    pub figure: Figure,
}

const HORIZON: u64 = 1_000;
const RETRY: u64 = 100;

// ANCHOR: atomicity
/// Atomicity: no participant commits when another aborted, and none commits unless every vote
/// was yes. Participants still in doubt are blocked, not wrong.
pub fn atomic(votes: &[bool], states: &[State]) -> Result<(), String> {
    let committed = states.iter().filter(|s| matches!(s, State::Committed { .. })).count();
    let aborted = states.iter().filter(|s| matches!(s, State::Aborted { .. })).count();
    if committed > 0 && aborted > 0 {
        return Err(format!("{committed} committed and {aborted} aborted: a mixed outcome"));
    }
    if committed > 0 && votes.contains(&false) {
        return Err("committed although a participant voted no".into());
    }
    Ok(())
}
// ANCHOR_END: atomicity

#[derive(Clone, Copy)]
enum Event {
    /// Message `m` arrives with its body.
    Arrive(usize, Body),
    /// A party's retry timer (0: the coordinator).
    Timer(usize),
    Recover,
}

/// The simulated network and the run's record.
struct World<'c> {
    c: &'c Config,
    rng: Rng,
    parties: Vec<String>,
    schedule: Schedule<Event>,
    messages: Vec<Message>,
    notes: Vec<Note>,
    lines: Vec<String>,
}

impl World<'_> {
    fn note(&mut self, t: u64, party: usize, text: String) {
        self.lines.push(format!("{t:>4} ms  {:<11} {text}", self.parties[party]));
        self.notes.push(Note { party, at: t as f64, text });
    }

    fn send(&mut self, t: u64, from: usize, to: usize, body: Body) {
        let lost = self.rng.chance(self.c.loss);
        let arrive = t + self.rng.range(5, 15);
        self.messages.push(Message {
            from,
            to,
            sent: t as f64,
            arrived: (!lost).then_some(arrive as f64),
            label: label(body),
        });
        if !lost {
            self.schedule.at(arrive, Event::Arrive(self.messages.len() - 1, body));
        }
    }
}

/// The coordinator goes down at `t`; its recovery, if any, is counted from then.
fn crash(w: &mut World, up: &mut bool, t: u64) {
    *up = false;
    if let Some(after) = w.c.recover {
        w.schedule.at(t + after, Event::Recover);
    }
}

// ANCHOR: simulate
pub fn simulate(c: &Config) -> Outcome {
    let n = c.votes.len();
    let mut w = World {
        c,
        rng: Rng::new(c.seed),
        parties: std::iter::once("coordinator".to_string())
            .chain((1..=n).map(|i| format!("db{i}")))
            .collect(),
        schedule: Schedule::new(),
        messages: Vec::new(),
        notes: Vec::new(),
        lines: Vec::new(),
    };
    let mut states = vec![State::Working; n];
    // How long each participant has held its locks in doubt, counted when it leaves doubt.
    let mut held = vec![0u64; n];
    // The coordinator: up or not, the votes it holds in memory, its logged decision, the acks.
    let mut up = true;
    let mut votes: Vec<Option<bool>> = vec![None; n];
    let mut decision: Option<bool> = None; // on its disk
    let mut acked = vec![false; n];
    let mut forgotten = false;

    for p in 1..=n {
        w.send(0, 0, p, Body::Prepare);
    }
    w.schedule.at(RETRY, Event::Timer(0));

    while let Some((t, event)) = w.schedule.pop() {
        if t > HORIZON {
            break;
        }
        // The coordinator decides (and maybe crashes) once it may: all votes in, or a no.
        let mut decide_now = false;
        match event {
            Event::Arrive(m, body) if w.messages[m].to == 0 => {
                let from = w.messages[m].from;
                if !up {
                    continue;
                }
                match body {
                    Body::Vote(v) if decision.is_none() => {
                        votes[from - 1] = Some(v);
                        decide_now = !v || votes.iter().all(Option::is_some);
                    }
                    Body::Ack => {
                        acked[from - 1] = true;
                        if !forgotten && acked.iter().all(|a| *a) {
                            forgotten = true;
                            w.note(t, 0, "every ack in: logs END, forgets the transaction".into());
                        }
                    }
                    // While it has no decision it stays silent; with one, it answers.
                    Body::Inquiry => {
                        if let Some(d) = decision {
                            w.send(t, 0, from, Body::Decision(d));
                        }
                    }
                    _ => {}
                }
            }
            Event::Arrive(m, body) => {
                let (from, to) = (w.messages[m].from, w.messages[m].to);
                let p = to - 1;
                match body {
                    Body::Prepare => {
                        if let State::Working = states[p] {
                            if c.votes[p] {
                                states[p] = State::InDoubt { since: t };
                                w.note(
                                    t,
                                    to,
                                    "PREPARE: makes its changes durable, keeps its locks, votes yes".into(),
                                );
                                w.schedule.at(t + RETRY, Event::Timer(to));
                            } else {
                                states[p] = State::Aborted { at: t, heuristic: false };
                                w.note(t, to, "cannot commit: rolls back, votes no".into());
                            }
                        }
                        let yes = matches!(states[p], State::InDoubt { .. } | State::Committed { .. });
                        w.send(t, to, 0, Body::Vote(yes));
                    }
                    Body::Decision(d) | Body::Known(Some(d)) => {
                        match states[p] {
                            State::InDoubt { .. } | State::Working => {
                                if let State::InDoubt { since } = states[p] {
                                    held[p] = t - since;
                                }
                                states[p] = if d {
                                    State::Committed { at: t }
                                } else {
                                    State::Aborted { at: t, heuristic: false }
                                };
                                let what = if d { "commits" } else { "rolls back" };
                                w.note(t, to, format!("{what}, releases its locks"));
                            }
                            State::Aborted { heuristic: true, .. } if d => {
                                w.note(
                                    t,
                                    to,
                                    "told COMMIT after its heuristic abort: XA_HEURRB, a mixed outcome"
                                        .into(),
                                );
                            }
                            _ => {}
                        }
                        if let Body::Decision(_) = body {
                            w.send(t, to, 0, Body::Ack);
                        }
                    }
                    Body::Inquiry => {
                        let answer = match states[p] {
                            State::Committed { .. } => Some(true),
                            State::Aborted { .. } => Some(false),
                            State::InDoubt { .. } => None,
                            State::Working => {
                                // Not prepared yet: it may still abort on its own, and says so.
                                states[p] = State::Aborted { at: t, heuristic: false };
                                w.note(t, to, "not prepared yet: aborts on its own".into());
                                Some(false)
                            }
                        };
                        w.send(t, to, from, Body::Known(answer));
                    }
                    _ => {}
                }
            }
            Event::Timer(0) => match decision {
                _ if !up => {}
                Some(d) => {
                    if !forgotten {
                        // Resend the decision to whoever has not acknowledged it.
                        for p in (0..n).filter(|&p| !acked[p]) {
                            w.send(t, 0, p + 1, Body::Decision(d));
                        }
                        w.schedule.at(t + RETRY, Event::Timer(0));
                    }
                }
                None => {
                    w.note(t, 0, "a vote is missing after 100 ms: decides abort".into());
                    for v in votes.iter_mut().filter(|v| v.is_none()) {
                        *v = Some(false);
                    }
                    decide_now = true;
                }
            },
            Event::Timer(party) => {
                let p = party - 1;
                let State::InDoubt { since } = states[p] else { continue };
                if let Some(h) = c.heuristic
                    && t - since >= h
                {
                    held[p] = t - since;
                    states[p] = State::Aborted { at: t, heuristic: true };
                    w.note(
                        t,
                        party,
                        format!("in doubt for {} ms: HEURISTIC abort, releases its locks", t - since),
                    );
                    continue;
                }
                w.note(t, party, "still in doubt, locks held: asks".into());
                w.send(t, party, 0, Body::Inquiry);
                if c.cooperative {
                    for other in (1..=n).filter(|&o| o != party) {
                        w.send(t, party, other, Body::Inquiry);
                    }
                }
                w.schedule.at(t + RETRY, Event::Timer(party));
            }
            // Scheduled only by a crash, so a coordinator that never went down never "recovers".
            Event::Recover => {
                up = true;
                let d = match decision {
                    Some(d) => {
                        let what = if d { "COMMIT" } else { "ABORT" };
                        w.note(t, 0, format!("recovers; its log holds {what}: resends it"));
                        d
                    }
                    None => {
                        w.note(t, 0, "recovers; no decision in its log: presumed abort".into());
                        false
                    }
                };
                decision = Some(d);
                for p in 1..=n {
                    w.send(t, 0, p, Body::Decision(d));
                }
                w.schedule.at(t + RETRY, Event::Timer(0));
            }
        }
        if decide_now && decision.is_none() && up {
            let commit = votes.iter().all(|v| *v == Some(true));
            if c.crash == Crash::AfterVotes {
                crash(&mut w, &mut up, t);
                w.note(t, 0, "has every vote, CRASHES before logging a decision".into());
                continue;
            }
            decision = Some(commit);
            w.note(t, 0, format!("logs {} (forced to disk)", if commit { "COMMIT" } else { "ABORT" }));
            if c.crash == Crash::AfterLog {
                crash(&mut w, &mut up, t);
                w.note(t, 0, "CRASHES before sending it".into());
                continue;
            }
            for p in 1..=n {
                w.send(t, 0, p, Body::Decision(commit));
                if c.crash == Crash::MidSend {
                    crash(&mut w, &mut up, t);
                    w.note(t, 0, format!("CRASHES after sending it to db{p} only"));
                    break;
                }
            }
            if up {
                w.schedule.at(t + RETRY, Event::Timer(0));
            }
        }
    }
    let in_doubt_ms = states
        .iter()
        .zip(&held)
        .map(|(s, held)| match s {
            State::InDoubt { since } => HORIZON - since,
            _ => *held,
        })
        .collect();
    let steps = Step::per_event(&w.parties, &w.messages, &w.notes, "ms");
    Outcome {
        states,
        in_doubt_ms,
        log: w.lines,
        figure: Figure::Sequence {
            title: "Two-phase commit".into(),
            unit: "ms".into(),
            parties: w.parties,
            messages: w.messages,
            notes: w.notes,
            steps,
        },
    }
}
// ANCHOR_END: simulate

fn config(p: &Params) -> Result<Config, InputError> {
    let votes = match p.one("votes")? {
        None => vec![true; 3],
        Some(e) => {
            let words: Vec<&str> = e.value.split_whitespace().collect();
            if !(2..=4).contains(&words.len()) {
                return Err(InputError::at_line(e.line, "expected 2 to 4 votes, each `yes` or `no`"));
            }
            words
                .iter()
                .map(|w| match *w {
                    "yes" => Ok(true),
                    "no" => Ok(false),
                    other => Err(InputError::at_line(e.line, format!("`{other}` is not `yes` or `no`"))),
                })
                .collect::<Result<_, _>>()?
        }
    };
    let crash =
        match p.choice_or("crash", &["none", "after_votes", "after_log", "mid_send"], "after_votes")? {
            "none" => Crash::None,
            "after_votes" => Crash::AfterVotes,
            "after_log" => Crash::AfterLog,
            _ => Crash::MidSend,
        };
    let off_or_ms = |key: &str, default: Option<u64>| -> Result<Option<u64>, InputError> {
        match p.one(key)? {
            None => Ok(default),
            Some(e) if e.value == "off" => Ok(None),
            Some(e) => Ok(Some(e.number(1u64, HORIZON)?)),
        }
    };
    Ok(Config {
        votes,
        crash,
        recover: off_or_ms("recover", Some(600))?,
        cooperative: p.choice_or("cooperative", &["yes", "no"], "no")? == "yes",
        heuristic: off_or_ms("heuristic", None)?,
        loss: p.number_or("loss", 0.0, 0.5, 0.0)?,
        seed: p.number_or("seed", 0, u64::MAX, 1)?,
    })
}

// ANCHOR: example
fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, &["votes", "crash", "recover", "cooperative", "heuristic", "loss", "seed"])?;
    let c = config(&p)?;
    let o = simulate(&c);
    let mut text = o.log.join("\n");
    text.push_str(&format!(
        "\n\nat {HORIZON} ms:\nparticipant  vote  state                      locks held in doubt\n"
    ));
    for (i, (state, held)) in o.states.iter().zip(&o.in_doubt_ms).enumerate() {
        let state = match state {
            State::Working => "never prepared".to_string(),
            State::InDoubt { .. } => "IN DOUBT (blocked)".to_string(),
            State::Committed { at } => format!("committed at {at} ms"),
            State::Aborted { at, heuristic: false } => format!("aborted at {at} ms"),
            State::Aborted { at, heuristic: true } => format!("heuristic abort at {at} ms"),
        };
        text.push_str(&format!(
            "db{:<10} {:<5} {state:<26} {held} ms\n",
            i + 1,
            if c.votes[i] { "yes" } else { "no" }
        ));
    }
    text.push_str(&match atomic(&c.votes, &o.states) {
        Ok(()) if o.states.iter().any(|s| matches!(s, State::InDoubt { .. })) => {
            "atomicity: kept, but some participants are blocked until the coordinator returns\n".to_string()
        }
        Ok(()) => "atomicity: kept, every participant decided the same way\n".to_string(),
        Err(e) => format!("atomicity: BROKEN, {e}\n"),
    });
    Ok(Drawn { text, figure: o.figure })
}
// ANCHOR_END: example

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(votes: &[bool], crash: Crash, recover: Option<u64>) -> Config {
        Config {
            votes: votes.to_vec(),
            crash,
            recover,
            cooperative: false,
            heuristic: None,
            loss: 0.0,
            seed: 1,
        }
    }

    fn in_doubt(o: &Outcome) -> usize {
        o.states.iter().filter(|s| matches!(s, State::InDoubt { .. })).count()
    }

    #[test]
    fn the_coordinators_crash_blocks_the_participants_until_it_returns() {
        let o = simulate(&cfg(&[true; 3], Crash::None, None));
        assert!(o.states.iter().all(|s| matches!(s, State::Committed { .. })));
        // Crash after the votes, never back: every participant is blocked at the horizon.
        let o = simulate(&cfg(&[true; 3], Crash::AfterVotes, None));
        assert_eq!(in_doubt(&o), 3);
        // Back at 600 ms: presumed abort, everyone rolls back.
        let o = simulate(&cfg(&[true; 3], Crash::AfterVotes, Some(600)));
        assert!(o.states.iter().all(|s| matches!(s, State::Aborted { .. })), "{:?}", o.states);
        assert!(o.in_doubt_ms.iter().all(|&ms| ms >= 570), "{:?}", o.in_doubt_ms);
        // Asking each other does not help when nobody knows the decision...
        let mut c = cfg(&[true; 3], Crash::AfterVotes, None);
        c.cooperative = true;
        assert_eq!(in_doubt(&simulate(&c)), 3);
        // ...and does when one participant heard it before the crash.
        c.crash = Crash::MidSend;
        let o = simulate(&c);
        assert!(o.states.iter().all(|s| matches!(s, State::Committed { .. })), "{:?}", o.states);
        // A logged decision survives the crash and is resent.
        let o = simulate(&cfg(&[true; 3], Crash::AfterLog, Some(300)));
        assert!(o.states.iter().all(|s| matches!(s, State::Committed { .. })));
    }

    #[test]
    fn recovery_is_counted_from_the_crash_and_needs_one() {
        // Back 1 ms after a crash that follows the votes: not before any vote has arrived.
        let o = simulate(&cfg(&[true; 3], Crash::AfterVotes, Some(1)));
        let crashed = o.log.iter().position(|l| l.contains("CRASHES")).expect("a crash");
        let recovered = o.log.iter().position(|l| l.contains("recovers")).expect("a recovery");
        assert!(crashed < recovered, "{}", o.log.join("\n"));
        assert!(o.states.iter().all(|s| matches!(s, State::Aborted { .. })), "{:?}", o.states);
        // No crash: a `recover` setting changes nothing, and nothing "recovers".
        let o = simulate(&cfg(&[true; 3], Crash::None, Some(1)));
        assert!(!o.log.iter().any(|l| l.contains("recovers")), "{}", o.log.join("\n"));
        assert!(o.states.iter().all(|s| matches!(s, State::Committed { .. })), "{:?}", o.states);
    }

    // ANCHOR: property
    /// Over 2,000 seeds: random votes, crash points, recoveries, cooperation and message loss.
    /// No participant ever commits while another aborts; with a heuristic abort, some do.
    #[test]
    fn no_participant_commits_when_another_aborted() {
        let mut blocked = 0;
        let mut mixed_with_heuristics = 0;
        for seed in 0..2_000u64 {
            let mut rng = Rng::new(seed);
            let n = rng.range(2, 4) as usize;
            let c = Config {
                votes: (0..n).map(|_| rng.chance(0.8)).collect(),
                crash: [Crash::None, Crash::AfterVotes, Crash::AfterLog, Crash::MidSend]
                    [rng.range(0, 3) as usize],
                recover: rng.chance(0.6).then(|| rng.range(50, 900)),
                cooperative: rng.chance(0.5),
                heuristic: None,
                loss: rng.range(0, 30) as f64 / 100.0,
                seed: rng.next_u64(),
            };
            let o = simulate(&c);
            if let Err(e) = atomic(&c.votes, &o.states) {
                panic!("{c:?}: {e}\n{}", o.log.join("\n"));
            }
            o.figure.validate().unwrap();
            blocked += usize::from(in_doubt(&o) > 0);
            // The same run with a participant that gives up after 150 ms in doubt.
            let heuristic = Config { heuristic: Some(150), ..c.clone() };
            let h = simulate(&heuristic);
            mixed_with_heuristics += usize::from(atomic(&heuristic.votes, &h.states).is_err());
        }
        assert!(blocked > 100, "crashes must leave participants in doubt: {blocked}");
        assert!(mixed_with_heuristics > 50, "the check must be able to fail: {mixed_with_heuristics}");
    }
    // ANCHOR_END: property

    #[test]
    fn input_errors_name_the_line() {
        assert_eq!(run("votes = yes maybe\n").unwrap_err().line, Some(1));
        assert_eq!(run("seed = 1\nvotes = yes\n").unwrap_err().line, Some(2));
    }
}
