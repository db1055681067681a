//! A history of operations on one register, as the checker reads it, and its text format.
//!
//! One operation per line: `CLIENT INVOKE COMPLETE OP ...`, times in ms:
//!
//! ```text
//! c1  0  10  write 1
//! c2 20  30  read 0
//! c3  5   ?  write 2        # never answered: it may or may not have taken effect
//! c4 12  18  cas 1 3 ok     # compare-and-set 1 -> 3, which succeeded (`fail`: it did not)
//! ```
//!
//! `COMPLETE` is `?` when the client never heard back (a timeout, a crash): such an operation
//! may take effect at any moment after its invocation, or never. A `read` that was never
//! answered carries no value and constrains nothing. Operation A *precedes* B in real time when
//! A completed strictly before B was invoked (`A.complete < B.invoke`); otherwise they are
//! concurrent. A client's operations may not overlap (a client waits for each answer), except
//! that it may move on after one that was never answered (and then counts as a new process, as in
//! Jepsen: the lost operation may still land after its later ones). `init = V` sets the register's first
//! value (0 by default), `budget = N` the checker's step budget.

use std::fmt::Write as _;

use crate::figure::{Lane, Span, SpanKind};
use crate::input::parse_number;
use crate::registry::InputError;

/// The most operations a history may hold (the checker keeps a set of them in a `u128`).
pub const MAX_OPS: usize = 100;
pub const MAX_TIME: u64 = 1_000_000;
pub const MAX_VALUE: i64 = 1_000_000;

// ANCHOR: types
/// What an operation did, as its client saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Write(i64),
    /// The value returned; `None` when the read was never answered.
    Read(Option<i64>),
    /// Compare-and-set `from` → `to`; `ok` is its answer (`None`: never answered).
    Cas {
        from: i64,
        to: i64,
        ok: Option<bool>,
    },
}

/// One operation: who, from when to when, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// The input line it came from (0 for generated histories).
    pub line: usize,
    pub client: String,
    pub invoke: u64,
    /// `None`: the client never heard back.
    pub complete: Option<u64>,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct History {
    /// The register's value before any operation.
    pub init: i64,
    pub ops: Vec<Op>,
}
// ANCHOR_END: types

impl Op {
    /// `A.precedes(B)`: A was answered before B was invoked.
    pub fn precedes(&self, other: &Op) -> bool {
        self.complete.is_some_and(|done| done < other.invoke)
    }

    /// `write 3`, `read 3`, `read ?`, `cas 1→2 ok`.
    pub fn label(&self) -> String {
        match self.kind {
            Kind::Write(v) => format!("write {v}"),
            Kind::Read(Some(v)) => format!("read {v}"),
            Kind::Read(None) => "read ?".to_string(),
            Kind::Cas { from, to, ok } => {
                let answer = match ok {
                    Some(true) => " ok",
                    Some(false) => " fail",
                    None => " ?",
                };
                format!("cas {from}→{to}{answer}")
            }
        }
    }

    /// `c1 write 3 [0, 10]`: the operation with its interval.
    pub fn describe(&self) -> String {
        let end = self.complete.map_or("?".to_string(), |c| c.to_string());
        format!("{} {} [{}, {end}]", self.client, self.label(), self.invoke)
    }

    /// The line in the input format: `c1 0 10 write 3`.
    pub fn to_line(&self) -> String {
        let end = self.complete.map_or("?".to_string(), |c| c.to_string());
        let op = match self.kind {
            Kind::Write(v) => format!("write {v}"),
            Kind::Read(Some(v)) => format!("read {v}"),
            Kind::Read(None) => "read".to_string(),
            Kind::Cas { from, to, ok } => match ok {
                Some(true) => format!("cas {from} {to} ok"),
                Some(false) => format!("cas {from} {to} fail"),
                None => format!("cas {from} {to}"),
            },
        };
        format!("{:<4} {:>4} {:>4}  {op}", self.client, self.invoke, end)
    }
}

impl History {
    /// The history in its input format, one operation per line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.init != 0 {
            let _ = writeln!(out, "init = {}", self.init);
        }
        for op in &self.ops {
            let _ = writeln!(out, "{}", op.to_line());
        }
        out
    }

    /// The clients, in order of first appearance.
    pub fn clients(&self) -> Vec<String> {
        let mut clients: Vec<String> = Vec::new();
        for op in &self.ops {
            if !clients.contains(&op.client) {
                clients.push(op.client.clone());
            }
        }
        clients
    }

    /// The last time anything happens (an invocation or an answer).
    pub fn end(&self) -> u64 {
        self.ops.iter().map(|op| op.complete.unwrap_or(op.invoke)).max().unwrap_or(0)
    }

    /// The operations whose indexes are in `keep`, in their order.
    pub fn subset(&self, keep: &[usize]) -> History {
        History { init: self.init, ops: keep.iter().map(|&i| self.ops[i].clone()).collect() }
    }

    /// One lane per client, one bar per operation; `kind(i)` picks each bar's colour. A bar that
    /// was never answered runs to the end of the axis. Returns the lanes and, for each
    /// operation, its (lane, span) in them.
    pub fn lanes(&self, kind: impl Fn(usize) -> SpanKind) -> (Vec<Lane>, Vec<(usize, usize)>) {
        let clients = self.clients();
        let axis_end = self.end() + 5;
        let mut lanes: Vec<Lane> =
            clients.iter().map(|c| Lane { name: c.clone(), spans: Vec::new() }).collect();
        let mut place = Vec::with_capacity(self.ops.len());
        for (i, op) in self.ops.iter().enumerate() {
            let lane = clients.iter().position(|c| *c == op.client).unwrap_or(0);
            let end = op.complete.unwrap_or(axis_end);
            place.push((lane, lanes[lane].spans.len()));
            lanes[lane].spans.push(Span {
                start: op.invoke as f64,
                end: end as f64,
                label: op.label(),
                kind: kind(i),
            });
        }
        (lanes, place)
    }
}

/// What the text format carries besides the operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub budget: Option<u64>,
}

/// Parses a history; every error names its input line.
pub fn parse(input: &str) -> Result<(History, Settings), InputError> {
    let mut history = History::default();
    let mut settings = Settings { budget: None };
    let (mut seen_init, mut seen_budget) = (false, false);
    for (index, raw) in input.lines().enumerate() {
        let line = index + 1;
        let text = raw.split('#').next().unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        if let Some((key, value)) = text.split_once('=') {
            let value = value.trim();
            match key.trim() {
                "init" if !seen_init => {
                    seen_init = true;
                    history.init = parse_number(value, line, -MAX_VALUE, MAX_VALUE)?;
                }
                "budget" if !seen_budget => {
                    seen_budget = true;
                    settings.budget = Some(parse_number(value, line, 1, 10_000_000)?);
                }
                "init" | "budget" => {
                    return Err(InputError::at_line(line, format!("`{}` is given twice", key.trim())));
                }
                other => {
                    return Err(InputError::at_line(
                        line,
                        format!("unknown setting `{other}` (expected `init` or `budget`)"),
                    ));
                }
            }
            continue;
        }
        if history.ops.len() == MAX_OPS {
            return Err(InputError::at_line(line, format!("at most {MAX_OPS} operations")));
        }
        history.ops.push(parse_op(text, line)?);
    }
    if history.ops.is_empty() {
        return Err(InputError::new(
            "no operations: write one per line, `CLIENT INVOKE COMPLETE OP VALUE`, e.g. `c1 0 10 write 1`",
        ));
    }
    check_clients(&history)?;
    Ok((history, settings))
}

fn parse_op(text: &str, line: usize) -> Result<Op, InputError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() < 4 {
        return Err(InputError::at_line(
            line,
            "expected `CLIENT INVOKE COMPLETE OP [VALUE]`, e.g. `c1 0 10 write 1` or `c2 5 ? read`",
        ));
    }
    let client = words[0];
    if client.len() > 12 || !client.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(InputError::at_line(
            line,
            format!("client `{client}`: use 1 to 12 letters, digits, `-` or `_`"),
        ));
    }
    let invoke: u64 = parse_number(words[1], line, 0, MAX_TIME)?;
    let complete = match words[2] {
        "?" => None,
        word => {
            let done: u64 = parse_number(word, line, 0, MAX_TIME)?;
            if done <= invoke {
                return Err(InputError::at_line(
                    line,
                    format!("completes at {done}, not after its invocation at {invoke}"),
                ));
            }
            Some(done)
        }
    };
    let value = |word: &str| parse_number::<i64>(word, line, -MAX_VALUE, MAX_VALUE);
    let args = &words[4..];
    let arity = |n: usize, form: &str| {
        if args.len() == n { Ok(()) } else { Err(InputError::at_line(line, format!("expected `{form}`"))) }
    };
    let kind = match words[3] {
        "write" | "w" => {
            arity(1, "write VALUE")?;
            Kind::Write(value(args[0])?)
        }
        "read" | "r" => match complete {
            None => {
                arity(0, "read (no value: it was never answered)")?;
                Kind::Read(None)
            }
            Some(_) => {
                arity(1, "read VALUE (the value it returned)")?;
                Kind::Read(Some(value(args[0])?))
            }
        },
        "cas" => match complete {
            None => {
                arity(2, "cas FROM TO (no answer: it was never answered)")?;
                Kind::Cas { from: value(args[0])?, to: value(args[1])?, ok: None }
            }
            Some(_) => {
                arity(3, "cas FROM TO ok|fail")?;
                let ok = match args[2] {
                    "ok" => true,
                    "fail" => false,
                    other => {
                        return Err(InputError::at_line(
                            line,
                            format!("`{other}`: a cas answer is `ok` or `fail`"),
                        ));
                    }
                };
                Kind::Cas { from: value(args[0])?, to: value(args[1])?, ok: Some(ok) }
            }
        },
        other => {
            return Err(InputError::at_line(
                line,
                format!("unknown operation `{other}` (expected `write`, `read` or `cas`)"),
            ));
        }
    };
    Ok(Op { line, client: client.to_string(), invoke, complete, kind })
}

/// A client waits for each answer before its next operation (it may give up on one that is
/// never answered); the checker's sequential-consistency mode relies on that program order.
fn check_clients(history: &History) -> Result<(), InputError> {
    for (i, op) in history.ops.iter().enumerate() {
        if let Some(prev) = history.ops[..i].iter().rev().find(|p| p.client == op.client) {
            let clash = match prev.complete {
                Some(done) => op.invoke <= done,
                None => op.invoke <= prev.invoke,
            };
            if clash {
                return Err(InputError::at_line(
                    op.line,
                    format!(
                        "client {} starts this operation at {} while its previous one (line {}) is still running: \
                         a client waits for each answer, so list its operations in order, each after the last completes",
                        op.client, op.invoke, prev.line
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_errors_name_the_line() {
        let text = "init = 5\nc1 0 10 write 1\nc2 5 ? read\nc3 2 8 cas 5 6 ok\nc2 7 ? cas 1 2\n";
        let (h, _) = parse(text).unwrap();
        assert_eq!(h.init, 5);
        assert_eq!(h.ops[1].kind, Kind::Read(None));
        let (again, _) = parse(&h.to_text()).unwrap();
        assert_eq!(
            again.ops.iter().map(|o| &o.kind).collect::<Vec<_>>(),
            h.ops.iter().map(|o| &o.kind).collect::<Vec<_>>()
        );
        let err = |t: &str| parse(t).unwrap_err().to_string();
        assert_eq!(
            err("c1 0 10 write 1\nc1 5 20 read 1"),
            "input line 2: client c1 starts this operation at 5 while its previous one (line 1) is still running: a client waits for each answer, so list its operations in order, each after the last completes"
        );
        assert_eq!(
            err("\nc1 10 10 write 1"),
            "input line 2: completes at 10, not after its invocation at 10"
        );
        assert_eq!(err("c1 0 10 read"), "input line 1: expected `read VALUE (the value it returned)`");
        assert_eq!(
            err("c1 0 10 push 1"),
            "input line 1: unknown operation `push` (expected `write`, `read` or `cas`)"
        );
        assert_eq!(err("# x\nc1 0 x write 1"), "input line 2: `x` is not a number");
        assert_eq!(err("seed = 3"), "input line 1: unknown setting `seed` (expected `init` or `budget`)");
        assert!(err("# nothing").contains("no operations"));
    }
}
