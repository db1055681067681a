//! Drawings of a simulation's run, as data.
//!
//! A simulation registered as `Run::Drawn` returns, from one run, its text report and that run
//! as one of these shapes (a `registry::Drawn`). The playground serialises it to JSON and draws
//! it as SVG (`theme/playground.js` knows each `kind`), so every simulation gets a picture
//! without writing any drawing code.
//! Times are plain numbers in `unit` (for example `"ms"` or `"ticks"`).
//!
//! A figure also carries its run as [`Step`]s, event by event in the order they happened, each
//! with a line of text and the pieces of the drawing it is about ([`Mark`]). The page's step
//! control replays them: the pieces of later steps are dimmed, the current step's are
//! highlighted, and its text is read out. A sequence diagram is laid out in the order of its
//! steps (each send and note gets a row of its own), so the steps are also what keeps a burst
//! of messages sent at one instant from piling up. Simulations with a log of their own write
//! their steps from it; [`Step::at_span_starts`] and [`Step::per_event`] derive them from a
//! timeline's spans or a sequence's messages for the others.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Figure {
    /// A Gantt chart: one lane per core, connection or request, with labelled spans.
    Timeline { title: String, unit: String, lanes: Vec<Lane>, steps: Vec<Step> },
    /// A sequence diagram: parties side by side, messages as arrows going down in time.
    Sequence {
        title: String,
        unit: String,
        parties: Vec<String>,
        messages: Vec<Message>,
        notes: Vec<Note>,
        steps: Vec<Step>,
    },
    /// A cluster drawn as servers on a ring, the way RaftScope draws Raft: each step carries a
    /// snapshot of every server and of the messages in flight just after that step's event,
    /// and the page offers `actions` (crash, restart, time out, partition…) that add a line to
    /// the input at the current step's time and run the simulation again, so the reader's
    /// faults stay in the input and therefore in the permalink.
    Ring {
        title: String,
        unit: String,
        /// The servers' names, in ring order (clockwise from the top).
        servers: Vec<String>,
        /// One per step, in the same order: the cluster just after that step's event.
        snapshots: Vec<RingSnapshot>,
        steps: Vec<Step>,
        actions: Vec<RingAction>,
    },
}

/// The whole cluster at one step of a [`Figure::Ring`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RingSnapshot {
    /// One per server of the figure, in the same order.
    pub servers: Vec<RingServer>,
    /// The messages on the wire at this moment.
    pub messages: Vec<InFlight>,
    /// Pairs of servers that cannot reach each other, each pair once with the lower index
    /// first: the page draws these links cut.
    pub cut: Vec<(usize, usize)>,
}

/// One server of a [`RingSnapshot`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RingServer {
    pub role: RingRole,
    pub term: u64,
    /// The server it voted for in `term`, as an index into the figure's `servers`.
    pub voted_for: Option<usize>,
    /// The term of each entry of its log, entry 1 first.
    pub log: Vec<u64>,
    /// How many entries of `log` it knows to be committed (`commit <= log.len()`).
    pub commit: usize,
    /// The share of its election timeout still to run, from 1 (just reset) to 0 (firing):
    /// `None` for a leader or a server that is down.
    pub timer: Option<f64>,
}

/// What a server of a [`Figure::Ring`] is at a step; each has its own colour in every theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RingRole {
    Follower,
    Candidate,
    Leader,
    /// Crashed: it keeps what it had on disk (term, vote, log) but does nothing.
    Down,
}

/// A message on the wire in a [`RingSnapshot`], drawn on its way from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InFlight {
    pub from: usize,
    pub to: usize,
    /// What it says, short: `RequestVote t3`, `AppendEntries 4–5`, `vote ✓`.
    pub label: String,
    /// A reply to a request (drawn differently from the requests).
    pub reply: bool,
    /// How far along it is at this moment: 0 just sent, 1 arriving.
    pub progress: f64,
}

/// A button the page offers under a [`Figure::Ring`]. Pressing it adds `line` to the input, with
/// `{at}` replaced by the current step's time (a number in the figure's unit) and, for a
/// per-server action, `{server}` by the chosen server's name; the page then runs the input
/// again and shows the step after the current one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RingAction {
    /// The button's text: `Crash`, `Restart`, `Time out`, `Isolate`, `Heal`, `Client request`.
    pub label: String,
    /// The input line it adds, for example `at {at} crash {server}`.
    pub line: String,
    /// Whether it applies to one server, the one the reader has chosen on the ring.
    pub per_server: bool,
}

/// One row of a [`Figure::Timeline`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lane {
    pub name: String,
    pub spans: Vec<Span>,
}

/// What a span shows; each kind has its own colour in every theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    /// Running on a CPU, sending, transferring.
    Busy,
    /// Waiting for I/O or for the network.
    Wait,
    /// Overhead: a context switch, a handshake.
    Overhead,
    /// Nothing to do.
    Idle,
    /// Lost or failed work: a dropped packet, a retransmission.
    Lost,
}

/// A labelled interval `[start, end)` on a lane.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    pub start: f64,
    pub end: f64,
    pub label: String,
    pub kind: SpanKind,
}

/// An arrow of a [`Figure::Sequence`] from party `from` to party `to` (indexes into `parties`).
/// `arrived: None` draws a message the network lost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub from: usize,
    pub to: usize,
    pub sent: f64,
    pub arrived: Option<f64>,
    pub label: String,
}

/// A remark at time `at` beside party `party` (a state change such as `TIME_WAIT`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    pub party: usize,
    pub at: f64,
    pub text: String,
}

/// One event of the run, in the order it happened: what the step control replays.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Where it happens on the figure's axis, in `unit`: a time, or (for a figure whose axis is
    /// not time) a position. Steps never go back.
    pub at: f64,
    /// What happened, in one line; the page puts "step k of n: " before it.
    pub text: String,
    /// The pieces of the drawing this event is about, which the page highlights.
    pub marks: Vec<Mark>,
}

/// A piece of a drawing that a [`Step`] is about. In a sequence diagram every message is
/// `Sent` by exactly one step and, unless it is lost, `Arrived` by exactly one later step, and
/// every note belongs to exactly one step: that order is the diagram's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mark {
    /// Span `span` of lane `lane` of a timeline, happening at the step's `at`.
    Span { lane: usize, span: usize },
    /// Message `message` leaves its sender (at its `sent` time).
    Sent { message: usize },
    /// Message `message` reaches its receiver (at its `arrived` time).
    Arrived { message: usize },
    /// Note `note` (at its `at` time).
    Note { note: usize },
    /// Server `server` of a ring, whose state the step changed.
    Server { server: usize },
}

/// `t=120 ms`, `t=7 ticks`, `t=2.5 steps`: a step's time as its text starts.
pub fn time_text(at: f64, unit: &str) -> String {
    if at.fract() == 0.0 && at.abs() < 1e15 {
        format!("t={at:.0} {unit}")
    } else {
        format!("t={at:.1} {unit}")
    }
}

impl Mark {
    /// A mark for every span of `lanes` that starts at `at`: what a step at that time highlights.
    pub fn spans_starting_at(lanes: &[Lane], at: f64) -> Vec<Mark> {
        lanes
            .iter()
            .enumerate()
            .flat_map(|(lane, l)| {
                l.spans
                    .iter()
                    .enumerate()
                    .filter(move |(_, s)| s.start == at)
                    .map(move |(span, _)| Mark::Span { lane, span })
            })
            .collect()
    }
}

impl Step {
    /// One step per moment at which spans start, in time order, marking the spans that start
    /// then: `t=5 ticks: core 0: web; web I/O: reading`.
    pub fn at_span_starts(lanes: &[Lane], unit: &str) -> Vec<Step> {
        let mut starts: Vec<(f64, usize, usize)> = lanes
            .iter()
            .enumerate()
            .flat_map(|(l, lane)| lane.spans.iter().enumerate().map(move |(s, span)| (span.start, l, s)))
            .collect();
        starts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut steps: Vec<Step> = Vec::new();
        for (at, lane, span) in starts {
            let what = match lanes[lane].spans[span].label.as_str() {
                "" => lanes[lane].name.clone(),
                label => format!("{}: {label}", lanes[lane].name),
            };
            match steps.last_mut() {
                Some(step) if step.at == at => {
                    step.text.push_str("; ");
                    step.text.push_str(&what);
                    step.marks.push(Mark::Span { lane, span });
                }
                _ => steps.push(Step {
                    at,
                    text: format!("{}: {what}", time_text(at, unit)),
                    marks: vec![Mark::Span { lane, span }],
                }),
            }
        }
        steps
    }

    /// One step per send, arrival and note, in time order; at one instant arrivals come first,
    /// then notes, then sends (what arrives causes what is noted and sent), each in figure order.
    pub fn per_event(parties: &[String], messages: &[Message], notes: &[Note], unit: &str) -> Vec<Step> {
        let party = |i: usize| parties.get(i).map_or("?", String::as_str);
        fn what(m: &Message) -> &str {
            if m.label.is_empty() { "the answer" } else { &m.label }
        }
        // (time, rank, index): rank 0 an arrival, 1 a note, 2 a send, 3 the arrival of a
        // message that takes no time (after its send).
        let mut events: Vec<(f64, u8, usize)> = Vec::new();
        for (i, message) in messages.iter().enumerate() {
            events.push((message.sent, 2, i));
            if let Some(arrived) = message.arrived {
                events.push((arrived, if arrived == message.sent { 3 } else { 0 }, i));
            }
        }
        events.extend(notes.iter().enumerate().map(|(i, note)| (note.at, 1, i)));
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        events
            .into_iter()
            .map(|(at, rank, i)| {
                let (mark, text) = match rank {
                    0 | 3 => {
                        let m = &messages[i];
                        (
                            Mark::Arrived { message: i },
                            format!("{} receives {} from {}", party(m.to), what(m), party(m.from)),
                        )
                    }
                    1 => (Mark::Note { note: i }, format!("{}: {}", party(notes[i].party), notes[i].text)),
                    _ => {
                        let m = &messages[i];
                        let lost = if m.arrived.is_none() { ", lost on the way" } else { "" };
                        (
                            Mark::Sent { message: i },
                            format!("{} sends {} to {}{lost}", party(m.from), what(m), party(m.to)),
                        )
                    }
                };
                Step { at, text: format!("{}: {text}", time_text(at, unit)), marks: vec![mark] }
            })
            .collect()
    }
}

impl Figure {
    /// Checks what the drawing code relies on: finite times, `start <= end`, message and note
    /// parties that exist, arrivals not before sends; and that the steps replay the run: in
    /// order, each mark naming a piece that exists at the step's time, every message sent once
    /// and (unless lost) arriving once after it, every note placed once. The examples' tests
    /// call it on every figure, so a simulation cannot hand the browser a picture it cannot
    /// draw or a replay that skips or repeats an event.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Figure::Timeline { lanes, steps, .. } => {
                for lane in lanes {
                    for span in &lane.spans {
                        let what = format!("lane `{}`, span `{}`", lane.name, span.label);
                        finite(span.start, &what)?;
                        finite(span.end, &what)?;
                        if span.end < span.start {
                            return Err(format!(
                                "{what}: ends ({}) before it starts ({})",
                                number(span.end),
                                number(span.start)
                            ));
                        }
                    }
                }
                let drawn = lanes.iter().any(|lane| !lane.spans.is_empty());
                check_steps(steps, drawn, |step, mark| match mark {
                    Mark::Span { lane, span } => {
                        let span = lanes.get(lane).and_then(|l| l.spans.get(span)).ok_or_else(|| {
                            format!("marks span {span} of lane {lane}, which does not exist")
                        })?;
                        if step.at < span.start || step.at > span.end {
                            return Err(format!(
                                "marks span `{}` ({}–{}), which is not under way at {}",
                                span.label,
                                number(span.start),
                                number(span.end),
                                number(step.at)
                            ));
                        }
                        Ok(())
                    }
                    _ => Err("marks a message or note, but a timeline has only spans".to_string()),
                })?;
            }
            Figure::Sequence { parties, messages, notes, steps, .. } => {
                for message in messages {
                    let what = format!("message `{}`", message.label);
                    if message.from >= parties.len() || message.to >= parties.len() {
                        return Err(format!("{what}: party out of range"));
                    }
                    finite(message.sent, &what)?;
                    if let Some(arrived) = message.arrived {
                        finite(arrived, &what)?;
                        if arrived < message.sent {
                            return Err(format!(
                                "{what}: arrives ({}) before it is sent ({})",
                                number(arrived),
                                number(message.sent)
                            ));
                        }
                    }
                }
                for note in notes {
                    if note.party >= parties.len() {
                        return Err(format!("note `{}`: party out of range", note.text));
                    }
                    finite(note.at, &format!("note `{}`", note.text))?;
                }
                // Where each piece is marked: (step, mark) in replay order.
                let mut sent = vec![None; messages.len()];
                let mut arrived = vec![None; messages.len()];
                let mut noted = vec![None; notes.len()];
                let mut position = 0usize;
                check_steps(steps, !messages.is_empty() || !notes.is_empty(), |step, mark| {
                    position += 1;
                    let (slot, time, what) = match mark {
                        Mark::Sent { message } => {
                            let m = messages
                                .get(message)
                                .ok_or(format!("marks message {message}, which does not exist"))?;
                            (
                                &mut sent[message],
                                Some(m.sent),
                                format!("the sending of message `{}`", m.label),
                            )
                        }
                        Mark::Arrived { message } => {
                            let m = messages
                                .get(message)
                                .ok_or(format!("marks message {message}, which does not exist"))?;
                            let what = format!("the arrival of message `{}`", m.label);
                            if m.arrived.is_none() {
                                return Err(format!("marks {what}, which is lost"));
                            }
                            (&mut arrived[message], m.arrived, what)
                        }
                        Mark::Note { note } => {
                            let n =
                                notes.get(note).ok_or(format!("marks note {note}, which does not exist"))?;
                            (&mut noted[note], Some(n.at), format!("note `{}`", n.text))
                        }
                        Mark::Span { .. } | Mark::Server { .. } => {
                            return Err("marks a span or a server, but a sequence has neither".to_string());
                        }
                    };
                    if time != Some(step.at) {
                        return Err(format!(
                            "marks {what}, which happens at {}, not at {}",
                            number(time.unwrap_or(f64::NAN)),
                            number(step.at)
                        ));
                    }
                    if slot.replace(position).is_some() {
                        return Err(format!("marks {what} a second time"));
                    }
                    Ok(())
                })?;
                for (i, message) in messages.iter().enumerate() {
                    let what = format!("message {i} (`{}`)", message.label);
                    let Some(sent) = sent[i] else { return Err(format!("no step sends {what}")) };
                    match (message.arrived, arrived[i]) {
                        (Some(_), None) => return Err(format!("no step has {what} arrive")),
                        (Some(_), Some(at)) if at < sent => {
                            return Err(format!("{what} arrives in the replay before it is sent"));
                        }
                        _ => {}
                    }
                }
                if let Some(i) = noted.iter().position(Option::is_none) {
                    return Err(format!("no step places note {i} (`{}`)", notes[i].text));
                }
            }
            Figure::Ring { servers, snapshots, steps, actions, .. } => {
                if snapshots.len() != steps.len() {
                    return Err(format!(
                        "{} snapshots for {} steps: a ring has one snapshot per step",
                        snapshots.len(),
                        steps.len()
                    ));
                }
                for (i, snapshot) in snapshots.iter().enumerate() {
                    check_ring_snapshot(snapshot, servers.len())
                        .map_err(|problem| format!("snapshot {}: {problem}", i + 1))?;
                }
                for action in actions {
                    let what = format!("action `{}`", action.label);
                    if action.label.trim().is_empty() || !action.line.contains("{at}") {
                        return Err(format!("{what}: needs a label and `{{at}}` in its line"));
                    }
                    if action.per_server != action.line.contains("{server}") {
                        return Err(format!(
                            "{what}: `{{server}}` belongs in the line exactly when the action is per server"
                        ));
                    }
                }
                check_steps(steps, !servers.is_empty(), |_, mark| match mark {
                    Mark::Server { server } if server < servers.len() => Ok(()),
                    Mark::Server { server } => Err(format!("marks server {server}, which does not exist")),
                    _ => Err("marks a span, message or note, but a ring has only servers".to_string()),
                })?;
            }
        }
        Ok(())
    }
}

/// One ring snapshot: a server for each of the figure's `servers`, commit within the log,
/// shares within 0..=1, messages and cuts between servers that exist.
fn check_ring_snapshot(snapshot: &RingSnapshot, servers: usize) -> Result<(), String> {
    if snapshot.servers.len() != servers {
        return Err(format!("{} servers, but the figure has {servers}", snapshot.servers.len()));
    }
    let share = |x: f64| x.is_finite() && (0.0..=1.0).contains(&x);
    for (i, server) in snapshot.servers.iter().enumerate() {
        if server.commit > server.log.len() {
            return Err(format!(
                "server {i} commits {} entries of a log of {}",
                server.commit,
                server.log.len()
            ));
        }
        if server.voted_for.is_some_and(|v| v >= servers) {
            return Err(format!("server {i} voted for a server that does not exist"));
        }
        if server.timer.is_some_and(|t| !share(t)) {
            return Err(format!("server {i}: its timer's share is not within 0 to 1"));
        }
    }
    for message in &snapshot.messages {
        if message.from >= servers || message.to >= servers || message.from == message.to {
            return Err(format!("message `{}`: from or to is not another server", message.label));
        }
        if !share(message.progress) {
            return Err(format!("message `{}`: progress is not within 0 to 1", message.label));
        }
    }
    if let Some(&(a, b)) = snapshot.cut.iter().find(|&&(a, b)| a >= b || b >= servers) {
        return Err(format!("cut ({a}, {b}) is not two servers, lower first"));
    }
    Ok(())
}

fn finite(t: f64, what: &str) -> Result<(), String> {
    if t.is_finite() && t >= 0.0 {
        Ok(())
    } else {
        Err(format!("{what}: time {} is not a finite number ≥ 0", number(t)))
    }
}

/// `t` for a message, to the thousandth, without core's float formatting: validation runs in
/// every wasm module, and that code would add about 10 kB to a module that has none.
fn number(t: f64) -> String {
    if t.is_nan() {
        return "NaN".to_string();
    }
    if t.is_infinite() {
        return if t > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let sign = if t < 0.0 { "-" } else { "" };
    let thousandths = (t.abs() * 1000.0).round() as u64; // saturates beyond 1.8e16
    let (whole, fraction) = (thousandths / 1000, thousandths % 1000);
    if fraction == 0 {
        format!("{sign}{whole}")
    } else {
        let digits = format!("{fraction:03}");
        format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// The checks every figure's steps share: at least one when something is drawn, finite times
/// that never go back, a text, and `check` for each mark (in order); an error names the step.
fn check_steps(
    steps: &[Step],
    drawn: bool,
    mut check: impl FnMut(&Step, Mark) -> Result<(), String>,
) -> Result<(), String> {
    if drawn && steps.is_empty() {
        return Err("the figure draws a run but has no steps to replay it".to_string());
    }
    let mut last = 0.0;
    for (i, step) in steps.iter().enumerate() {
        let name = format!("step {} (`{}`)", i + 1, step.text);
        finite(step.at, &name)?;
        if step.at < last {
            return Err(format!("{name}: goes back in time, from {} to {}", number(last), number(step.at)));
        }
        last = step.at;
        if step.text.trim().is_empty() {
            return Err(format!("{name}: has no text"));
        }
        for &mark in &step.marks {
            check(step, mark).map_err(|problem| format!("{name}: {problem}"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline() -> Figure {
        let lanes = vec![
            Lane {
                name: "core 0".into(),
                spans: vec![
                    Span { start: 0.0, end: 1.5, label: "A".into(), kind: SpanKind::Busy },
                    Span { start: 1.5, end: 3.0, label: "B".into(), kind: SpanKind::Wait },
                ],
            },
            Lane {
                name: "core 1".into(),
                spans: vec![Span { start: 0.0, end: 3.0, label: String::new(), kind: SpanKind::Idle }],
            },
        ];
        let steps = Step::at_span_starts(&lanes, "ms");
        Figure::Timeline { title: "t".into(), unit: "ms".into(), lanes, steps }
    }

    /// Client and server; a SYN sent twice (the first lost), and a note.
    fn sequence() -> Figure {
        let parties = vec!["client".to_string(), "server".to_string()];
        let messages = vec![
            Message { from: 0, to: 1, sent: 0.0, arrived: None, label: "SYN".into() },
            Message { from: 0, to: 1, sent: 0.0, arrived: Some(50.0), label: "SYN (again)".into() },
            Message { from: 1, to: 0, sent: 50.0, arrived: Some(100.0), label: String::new() },
        ];
        let notes = vec![Note { party: 0, at: 100.0, text: "ESTABLISHED".into() }];
        let steps = Step::per_event(&parties, &messages, &notes, "ms");
        Figure::Sequence { title: "s".into(), unit: "ms".into(), parties, messages, notes, steps }
    }

    fn steps_of(figure: &mut Figure) -> &mut Vec<Step> {
        match figure {
            Figure::Timeline { steps, .. } | Figure::Sequence { steps, .. } | Figure::Ring { steps, .. } => {
                steps
            }
        }
    }

    /// Two servers: S1 times out and asks S2 for its vote.
    fn ring() -> Figure {
        let follower = |timer| RingServer {
            role: RingRole::Follower,
            term: 1,
            voted_for: None,
            log: vec![1],
            commit: 1,
            timer: Some(timer),
        };
        let before =
            RingSnapshot { servers: vec![follower(0.2), follower(0.6)], messages: vec![], cut: vec![] };
        let mut after = before.clone();
        after.servers[0] = RingServer {
            role: RingRole::Candidate,
            term: 2,
            voted_for: Some(0),
            timer: Some(1.0),
            ..follower(1.0)
        };
        after.messages.push(InFlight {
            from: 0,
            to: 1,
            label: "RequestVote t2".into(),
            reply: false,
            progress: 0.0,
        });
        Figure::Ring {
            title: "r".into(),
            unit: "ms".into(),
            servers: vec!["S1".into(), "S2".into()],
            snapshots: vec![before, after],
            steps: vec![
                Step { at: 0.0, text: "t=0 ms: start".into(), marks: vec![] },
                Step {
                    at: 150.0,
                    text: "t=150 ms: S1 times out".into(),
                    marks: vec![Mark::Server { server: 0 }],
                },
            ],
            actions: vec![RingAction {
                label: "Crash".into(),
                line: "at {at} crash {server}".into(),
                per_server: true,
            }],
        }
    }

    #[test]
    fn a_ring_is_checked_snapshot_by_snapshot() {
        assert_eq!(ring().validate(), Ok(()));
        let broken = |change: fn(&mut Figure)| {
            let mut figure = ring();
            change(&mut figure);
            figure.validate().unwrap_err()
        };
        fn snapshots(f: &mut Figure) -> &mut Vec<RingSnapshot> {
            match f {
                Figure::Ring { snapshots, .. } => snapshots,
                _ => unreachable!(),
            }
        }
        assert!(
            broken(|f| {
                snapshots(f).pop();
            })
            .contains("1 snapshots for 2 steps")
        );
        assert!(broken(|f| snapshots(f)[1].servers[1].commit = 2).contains("snapshot 2: server 1 commits 2"));
        assert!(broken(|f| snapshots(f)[1].messages[0].progress = 1.5).contains("progress"));
        assert!(broken(|f| snapshots(f)[1].messages[0].to = 0).contains("not another server"));
        assert!(broken(|f| snapshots(f)[0].cut.push((1, 0))).contains("lower first"));
        assert!(
            broken(|f| {
                snapshots(f)[0].servers.pop();
            })
            .contains("1 servers")
        );
        assert!(broken(|f| steps_of(f)[1].marks = vec![Mark::Server { server: 2 }]).contains("server 2"));
        assert!(broken(|f| steps_of(f)[1].marks = vec![Mark::Note { note: 0 }]).contains("only servers"));
        assert!(
            broken(|f| if let Figure::Ring { actions, .. } = f {
                actions[0].per_server = false
            })
            .contains("exactly when")
        );
    }

    /// `figure` after `change` to its steps fails validation with a message containing `expected`.
    fn broken(mut figure: Figure, change: impl FnOnce(&mut Vec<Step>), expected: &str) {
        change(steps_of(&mut figure));
        let problem = figure.validate().expect_err(expected);
        assert!(problem.contains(expected), "{problem:?} does not say {expected:?}");
    }

    #[test]
    fn serialises_with_a_kind_tag() {
        let figure = timeline();
        let json = serde_json::to_value(&figure).unwrap();
        assert_eq!(json["kind"], "timeline");
        assert_eq!(json["lanes"][0]["spans"][0]["kind"], "busy");
        assert_eq!(json["steps"][0]["marks"][0], serde_json::json!({"kind": "span", "lane": 0, "span": 0}));
        assert!(figure.validate().is_ok());
        let json = serde_json::to_value(sequence()).unwrap();
        assert_eq!(json["steps"][0]["marks"][0], serde_json::json!({"kind": "sent", "message": 0}));
    }

    #[test]
    fn span_starts_make_one_step_per_moment() {
        let Figure::Timeline { steps, .. } = timeline() else { unreachable!() };
        let texts: Vec<&str> = steps.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["t=0 ms: core 0: A; core 1", "t=1.5 ms: core 0: B"]);
        assert_eq!(steps[0].marks, [Mark::Span { lane: 0, span: 0 }, Mark::Span { lane: 1, span: 0 }]);
    }

    #[test]
    fn events_are_replayed_in_time_order_arrivals_before_what_they_cause() {
        let figure = sequence();
        figure.validate().unwrap();
        let Figure::Sequence { steps, .. } = figure else { unreachable!() };
        let texts: Vec<&str> = steps.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "t=0 ms: client sends SYN to server, lost on the way",
                "t=0 ms: client sends SYN (again) to server",
                "t=50 ms: server receives SYN (again) from client",
                "t=50 ms: server sends the answer to client",
                "t=100 ms: client receives the answer from server",
                "t=100 ms: client: ESTABLISHED",
            ]
        );
    }

    #[test]
    fn validate_rejects_what_cannot_be_drawn() {
        let mut backwards = sequence();
        if let Figure::Sequence { messages, .. } = &mut backwards {
            messages[1].arrived = Some(-4.0);
        }
        assert!(backwards.validate().unwrap_err().contains("not a finite number"));
        let mut early = sequence();
        if let Figure::Sequence { messages, .. } = &mut early {
            messages[2].sent = 120.0;
        }
        assert!(early.validate().unwrap_err().contains("before it is sent"));
        let mut stray = sequence();
        if let Figure::Sequence { messages, .. } = &mut stray {
            messages[0].to = 3;
        }
        assert!(stray.validate().unwrap_err().contains("out of range"));
    }

    #[test]
    fn validate_rejects_a_replay_that_skips_repeats_or_reorders() {
        let mut instant = sequence();
        if let Figure::Sequence { parties, messages, notes, steps, .. } = &mut instant {
            messages[1].arrived = Some(0.0);
            *steps = Step::per_event(parties, messages, notes, "ms");
            assert_eq!(steps[2].text, "t=0 ms: server receives SYN (again) from client");
        }
        instant.validate().unwrap();
        broken(instant, |steps| steps.swap(1, 2), "arrives in the replay before it is sent");
        broken(sequence(), |steps| steps.swap(3, 4), "goes back in time");
        broken(sequence(), |steps| drop(steps.remove(0)), "no step sends message 0 (`SYN`)");
        broken(sequence(), |steps| drop(steps.remove(2)), "no step has message 1 (`SYN (again)`) arrive");
        broken(sequence(), |steps| drop(steps.pop()), "no step places note 0 (`ESTABLISHED`)");
        broken(sequence(), |steps| steps[1].marks.push(Mark::Sent { message: 0 }), "a second time");
        broken(sequence(), |steps| steps[0].marks = vec![Mark::Arrived { message: 0 }], "which is lost");
        broken(
            sequence(),
            |steps| steps[0].marks.push(Mark::Sent { message: 9 }),
            "message 9, which does not exist",
        );
        broken(sequence(), |steps| steps[3].at = 60.0, "happens at 50, not at 60");
        broken(
            sequence(),
            |steps| steps[0].marks = vec![Mark::Span { lane: 0, span: 0 }],
            "but a sequence has neither",
        );
        broken(sequence(), |steps| steps[5].text = " ".into(), "step 6 (` `): has no text");
        broken(sequence(), |steps| steps.clear(), "no steps to replay it");
        broken(timeline(), |steps| steps[1].at = 3.5, "not under way at 3.5");
        broken(
            timeline(),
            |steps| steps[0].marks.push(Mark::Span { lane: 2, span: 0 }),
            "lane 2, which does not exist",
        );
        broken(timeline(), |steps| steps[0].marks.push(Mark::Note { note: 0 }), "a timeline has only spans");
        broken(timeline(), |steps| steps[0].at = f64::NAN, "step 1 (`t=0 ms: core 0: A; core 1`): time NaN");
        broken(timeline(), |steps| steps.swap(0, 1), "goes back in time, from 1.5 to 0");
        assert_eq!(
            [number(-1.5), number(2.125), number(0.0004), number(f64::NEG_INFINITY)],
            ["-1.5", "2.125", "0", "-inf"]
        );
    }
}
