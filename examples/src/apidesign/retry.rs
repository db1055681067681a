//! A client that retries `POST /payments` after a timeout, against the chapter's real handler,
//! with and without an `Idempotency-Key`: the double charge, and the single one. The network
//! loses or delays the messages the input names; the server handles one request at a time, or
//! (`concurrency = yes`) runs each as it arrives and answers 409 to a retry whose key is still
//! being processed, as the IETF draft says.

use super::service::{Effect, Request, Service};
use crate::figure::{Figure, Message, Note, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "apidesign::retry",
    title: "A retried POST after a timeout: a double charge without an Idempotency-Key, one charge with it",
    file: file!(),
    default_input: "idempotency_key = no\ntimeout_ms = 300\nattempts = 3\nserver_ms = 120\nlatency_ms = 40\n\
                    # the network loses the first answer\nlose = response 1\n",
    input_help: "`idempotency_key = yes | no`, `concurrency = no | yes`, `timeout_ms`, `attempts` (1-6), `server_ms`, `latency_ms`; \
                 `lose = request N | response N` and `delay = request N MS | response N MS` (any number)",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

pub const PREDICT: Example = Example {
    id: "apidesign::retry_predict",
    title: "How many charges? (predict, then reveal)",
    file: file!(),
    default_input: "seed = 5\n",
    input_help: "`seed = N`: which scenario (any whole number)",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

#[derive(Debug, Clone, PartialEq)]
struct Scenario {
    key: bool,
    /// The server runs requests as they arrive instead of one at a time.
    concurrent: bool,
    timeout: f64,
    attempts: u32,
    server: f64,
    latency: f64,
    /// `(is_response, attempt)` lost.
    lost: Vec<(bool, u32)>,
    /// `(is_response, attempt, extra ms)`.
    delayed: Vec<(bool, u32, f64)>,
}

fn scenario(params: &Params) -> Result<Scenario, InputError> {
    let key = params.choice_or("idempotency_key", &["yes", "no"], "no")? == "yes";
    let mut lost = Vec::new();
    let mut delayed = Vec::new();
    for (name, list) in [("lose", true), ("delay", false)] {
        for entry in params.all(name) {
            let words: Vec<&str> = entry.value.split_whitespace().collect();
            let usage =
                if list { "`request N` or `response N`" } else { "`request N MS` or `response N MS`" };
            let error = || InputError::at_line(entry.line, format!("expected {usage}"));
            let is_response = match words.first() {
                Some(&"request") => false,
                Some(&"response") => true,
                _ => return Err(error()),
            };
            let attempt =
                crate::input::parse_number::<u32>(words.get(1).ok_or_else(error)?, entry.line, 1, 6)?;
            if list {
                lost.push((is_response, attempt));
            } else {
                let extra = crate::input::parse_number::<u32>(
                    words.get(2).ok_or_else(error)?,
                    entry.line,
                    0,
                    10_000,
                )?;
                delayed.push((is_response, attempt, f64::from(extra)));
            }
        }
    }
    Ok(Scenario {
        key,
        concurrent: params.choice_or("concurrency", &["no", "yes"], "no")? == "yes",
        timeout: f64::from(params.number_or::<u32>("timeout_ms", 10, 10_000, 300)?),
        attempts: params.number_or("attempts", 1, 6, 3)?,
        server: f64::from(params.number_or::<u32>("server_ms", 0, 10_000, 120)?),
        latency: f64::from(params.number_or::<u32>("latency_ms", 0, 5_000, 40)?),
        lost,
        delayed,
    })
}

// ANCHOR: predict
/// A generated scenario: a lost or late message, with or without a key.
fn generated(seed: u64) -> Scenario {
    let mut rng = Rng::new(seed);
    let key = rng.chance(0.5);
    let mut s = Scenario {
        key,
        concurrent: false,
        timeout: 300.0,
        attempts: rng.range(2, 3) as u32,
        server: [80.0, 120.0, 200.0][rng.range(0, 2) as usize],
        latency: 40.0,
        lost: Vec::new(),
        delayed: Vec::new(),
    };
    match rng.range(0, 3) {
        0 => s.lost.push((false, 1)),
        1 => s.lost.push((true, 1)),
        2 => s.delayed.push((true, 1, 300.0)),
        _ => s.server = 400.0, // a server slower than the client's patience
    }
    s
}
// ANCHOR_END: predict

#[derive(Debug, Clone, Copy, PartialEq)]
enum Event {
    ClientSend(u32),
    ServerArrive(u32),
    ServerDone(u32),
    ClientArrive(u32),
    ClientTimeout(u32),
}

// ANCHOR: example
fn run(input: &str) -> Result<Drawn, InputError> {
    let params = Params::parse(
        input,
        &[
            "seed",
            "idempotency_key",
            "concurrency",
            "timeout_ms",
            "attempts",
            "server_ms",
            "latency_ms",
            "lose",
            "delay",
        ],
    )?;
    let (scenario, predict) = match params.one("seed")? {
        Some(entry) => {
            if let Some(other) = params.all("idempotency_key").chain(params.all("lose")).next() {
                return Err(InputError::at_line(
                    other.line,
                    "with `seed`, the scenario is generated: leave out the other keys",
                ));
            }
            (generated(crate::input::parse_number(entry.value, entry.line, 0, u64::MAX)?), true)
        }
        None => (scenario(&params)?, false),
    };
    let s = &scenario;
    let mut service = Service::new();
    let setup = Request {
        method: "POST".into(),
        path: "/orders".into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: r#"{"item":"widget","quantity":4}"#.into(),
    };
    service.handle(&setup); // ord_1, 1000 cents
    let mut pay = Request {
        method: "POST".into(),
        path: "/payments".into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: r#"{"order_id":"ord_1","amount_cents":1000}"#.into(),
    };
    if s.key {
        pay.headers.push(("Idempotency-Key".into(), "\"pay-7f3a\"".into()));
    }
    let extra = |response: bool, attempt: u32| {
        s.delayed.iter().filter(|d| d.0 == response && d.1 == attempt).map(|d| d.2).sum::<f64>()
    };
    let lost = |response: bool, attempt: u32| s.lost.contains(&(response, attempt));

    let (mut messages, mut notes, mut log) = (Vec::new(), Vec::new(), Vec::new());
    let mut queue: Vec<(f64, usize, Event)> = vec![(0.0, 0, Event::ClientSend(1))];
    let mut order = 1; // ties at one instant keep the order they were scheduled in
    let (mut waiting_for, mut outcome) = (Some(1u32), None::<String>);
    let (mut busy_until, mut server_queue): (f64, Vec<u32>) = (0.0, Vec::new());
    let mut answers: Vec<(u32, u16, String, Effect)> = Vec::new();
    let note = |at: f64, party: usize, text: String, notes: &mut Vec<Note>, log: &mut Vec<String>| {
        log.push(format!("{:>5} ms  {}: {text}", at, ["client", "server"][party]));
        notes.push(Note { party, at, text });
    };
    while let Some(i) =
        (0..queue.len()).min_by(|&a, &b| queue[a].0.total_cmp(&queue[b].0).then(queue[a].1.cmp(&queue[b].1)))
    {
        let (t, _, event) = queue.remove(i);
        let mut schedule = |at: f64, e: Event, queue: &mut Vec<(f64, usize, Event)>| {
            queue.push((at, order, e));
            order += 1;
        };
        match event {
            Event::ClientSend(k) => {
                let arrive = t + s.latency + extra(false, k);
                let gone = lost(false, k);
                let label = format!("POST /payments (try {k}{})", if s.key { ", key pay-7f3a" } else { "" });
                messages.push(Message {
                    from: 0,
                    to: 1,
                    sent: t,
                    arrived: (!gone).then_some(arrive),
                    label: label.clone(),
                });
                log.push(format!("{t:>5} ms  client: sends {label}{}", if gone { " - lost" } else { "" }));
                if !gone {
                    schedule(arrive, Event::ServerArrive(k), &mut queue);
                }
                schedule(t + s.timeout, Event::ClientTimeout(k), &mut queue);
            }
            Event::ServerArrive(k) if s.concurrent => match service.arrive(&pay) {
                Some(conflict) => {
                    // The same key is still being processed: 409 at once, nothing runs.
                    note(t, 1, format!("try {k}: key still in flight, 409"), &mut notes, &mut log);
                    answers.push((k, conflict.status, String::new(), Effect::Ran));
                    let arrive = t + s.latency + extra(true, k);
                    let gone = lost(true, k);
                    messages.push(Message {
                        from: 1,
                        to: 0,
                        sent: t,
                        arrived: (!gone).then_some(arrive),
                        label: "409 in flight".into(),
                    });
                    if !gone {
                        schedule(arrive, Event::ClientArrive(k), &mut queue);
                    }
                }
                // A stored key is a lookup, answered at once; anything else takes server_ms.
                None if service.knows_key(&pay) => schedule(t, Event::ServerDone(k), &mut queue),
                None => schedule(t + s.server, Event::ServerDone(k), &mut queue),
            },
            Event::ServerArrive(k) => {
                if t >= busy_until && server_queue.is_empty() {
                    busy_until = t + s.server;
                    schedule(busy_until, Event::ServerDone(k), &mut queue);
                } else {
                    server_queue.push(k);
                    note(t, 1, format!("try {k} waits: one request at a time"), &mut notes, &mut log);
                }
            }
            Event::ServerDone(k) => {
                // The handler runs: a charge, or the stored response replayed.
                let (response, effect) = service.handle_traced(&pay);
                let id = super::json::parse(&response.body)
                    .ok()
                    .and_then(|b| b.get("id").and_then(|v| v.as_str().map(str::to_string)))
                    .unwrap_or_default();
                let what = match effect {
                    Effect::Replayed => format!("replays the stored 201 {id}: no new charge"),
                    Effect::Ran => format!("charges 1000 cents: {id}"),
                };
                note(t, 1, what, &mut notes, &mut log);
                answers.push((k, response.status, id.clone(), effect));
                let gone = lost(true, k);
                let arrive = t + s.latency + extra(true, k);
                let label = format!("{} {id}", response.status);
                messages.push(Message {
                    from: 1,
                    to: 0,
                    sent: t,
                    arrived: (!gone).then_some(arrive),
                    label: label.clone(),
                });
                log.push(format!(
                    "{t:>5} ms  server: answers try {k}: {label}{}",
                    if gone { " - lost" } else { "" }
                ));
                if !gone {
                    schedule(arrive, Event::ClientArrive(k), &mut queue);
                }
                if !server_queue.is_empty() {
                    let next = server_queue.remove(0);
                    busy_until = t + s.server;
                    schedule(busy_until, Event::ServerDone(next), &mut queue);
                }
            }
            Event::ClientArrive(k) => {
                let (_, status, id, _) = answers.iter().find(|a| a.0 == k).expect("answered").clone();
                if waiting_for == Some(k) && status == 409 && k < s.attempts {
                    // The draft's 409: the first try is still running; ask again later.
                    let backoff = 100.0 * f64::from(1u32 << (k - 1));
                    note(t, 0, format!("gets 409; retries in {backoff} ms"), &mut notes, &mut log);
                    waiting_for = Some(k + 1);
                    schedule(t + backoff, Event::ClientSend(k + 1), &mut queue);
                } else if waiting_for == Some(k) {
                    waiting_for = None;
                    outcome = Some(format!("{status} {id}"));
                    note(t, 0, format!("gets {status} {id}: done"), &mut notes, &mut log);
                } else {
                    note(t, 0, format!("late answer to try {k} ignored"), &mut notes, &mut log);
                }
            }
            Event::ClientTimeout(k) => {
                if waiting_for != Some(k) {
                    continue;
                }
                if k < s.attempts {
                    let backoff = 100.0 * f64::from(1u32 << (k - 1));
                    note(t, 0, format!("timeout; retries in {backoff} ms"), &mut notes, &mut log);
                    waiting_for = Some(k + 1);
                    schedule(t + backoff, Event::ClientSend(k + 1), &mut queue);
                } else {
                    waiting_for = None;
                    note(t, 0, "timeout; gives up".into(), &mut notes, &mut log);
                }
            }
        }
    }
    let charges = service.payment_count();
    let mut text = String::new();
    if predict {
        text.push_str(&question(s));
        text.push_str(REVEAL_MARKER);
        text.push('\n');
    }
    text.push_str(&log.join("\n"));
    text.push_str(&format!(
        "\n\nthe client ends with: {}\ncharges recorded: {charges}{}\n",
        outcome.as_deref().unwrap_or("an error (no answer in time)"),
        match charges {
            0 => " (nothing was charged)",
            1 => " (charged once)",
            _ => " (the customer is charged more than once)",
        }
    ));
    let parties = vec!["client".to_string(), "server".to_string()];
    let steps = Step::per_event(&parties, &messages, &notes, "ms");
    let figure = Figure::Sequence {
        title: format!("POST /payments {} an Idempotency-Key", if s.key { "with" } else { "without" }),
        unit: "ms".into(),
        parties,
        messages,
        notes,
        steps,
    };
    Ok(Drawn { text, figure })
}
// ANCHOR_END: example

fn question(s: &Scenario) -> String {
    let mut text = format!(
        "A client pays 1000 cents with POST /payments, {} an Idempotency-Key.\n\
         It waits {} ms for an answer and tries at most {} times (100 ms, then 200 ms between tries).\n\
         One way takes {} ms; the server needs {} ms per request and handles one at a time.\n",
        if s.key { "with" } else { "without" },
        s.timeout,
        s.attempts,
        s.latency,
        s.server
    );
    for (response, k) in &s.lost {
        text.push_str(&format!(
            "The network loses the {} of try {k}.\n",
            if *response { "answer" } else { "request" }
        ));
    }
    for (response, k, ms) in &s.delayed {
        text.push_str(&format!(
            "The {} of try {k} is {ms} ms late.\n",
            if *response { "answer" } else { "request" }
        ));
    }
    text.push_str("How many charges does the server record, and what does the client end with?\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charges(input: &str) -> String {
        let drawn = run(input).unwrap();
        drawn.figure.validate().unwrap();
        drawn.text.lines().last().unwrap().to_string()
    }

    #[test]
    fn the_key_turns_a_double_charge_into_one() {
        assert_eq!(
            charges("lose = response 1\n"),
            "charges recorded: 2 (the customer is charged more than once)"
        );
        assert_eq!(
            charges("idempotency_key = yes\nlose = response 1\n"),
            "charges recorded: 1 (charged once)"
        );
        // A lost request charges nobody; the retry charges once either way.
        assert_eq!(charges("lose = request 1\n"), "charges recorded: 1 (charged once)");
        // A concurrent server: the retry arrives while try 1 still runs. With a key it gets the
        // draft's 409 and a later retry the replay; without one, every try charges.
        let slow = "concurrency = yes\nserver_ms = 500\n";
        let with_key = run(&format!("idempotency_key = yes\n{slow}")).unwrap().text;
        assert!(with_key.contains("try 2: key still in flight, 409"), "{with_key}");
        assert!(with_key.contains("the client ends with: 201 pay_1\ncharges recorded: 1"), "{with_key}");
        assert_eq!(charges(slow), "charges recorded: 3 (the customer is charged more than once)");
    }

    #[test]
    fn generated_scenarios_draw_and_hide_the_answer() {
        for seed in 0..40 {
            let drawn = run(&format!("seed = {seed}\n")).unwrap();
            drawn.figure.validate().unwrap();
            assert_eq!(drawn.text.lines().filter(|l| *l == REVEAL_MARKER).count(), 1);
        }
        assert_eq!(run("seed = 1\nlose = request 1\n").unwrap_err().line, Some(2));
    }
}
