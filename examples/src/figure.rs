//! Drawings of a simulation's run, as data.
//!
//! A simulation registered as `Run::Drawn` returns, from one run, its text report and that run
//! as one of these shapes (a `registry::Drawn`). The playground serialises it to JSON and draws
//! it as SVG (`theme/playground.js` knows each `kind`), so every simulation gets a picture
//! without writing any drawing code.
//! Times are plain numbers in `unit` (for example `"ms"` or `"ticks"`).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Figure {
    /// A Gantt chart: one lane per core, connection or request, with labelled spans.
    Timeline { title: String, unit: String, lanes: Vec<Lane> },
    /// A sequence diagram: parties side by side, messages as arrows going down in time.
    Sequence { title: String, unit: String, parties: Vec<String>, messages: Vec<Message>, notes: Vec<Note> },
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

impl Figure {
    /// Checks what the drawing code relies on: finite times, `start <= end`, message and note
    /// parties that exist, arrivals not before sends. The examples' tests call it on every
    /// figure, so a simulation cannot hand the browser a picture it cannot draw.
    pub fn validate(&self) -> Result<(), String> {
        let finite = |t: f64, what: &str| {
            if t.is_finite() && t >= 0.0 {
                Ok(())
            } else {
                Err(format!("{what}: time {t} is not a finite number ≥ 0"))
            }
        };
        match self {
            Figure::Timeline { lanes, .. } => {
                for lane in lanes {
                    for span in &lane.spans {
                        let what = format!("lane `{}`, span `{}`", lane.name, span.label);
                        finite(span.start, &what)?;
                        finite(span.end, &what)?;
                        if span.end < span.start {
                            return Err(format!(
                                "{what}: ends ({}) before it starts ({})",
                                span.end, span.start
                            ));
                        }
                    }
                }
            }
            Figure::Sequence { parties, messages, notes, .. } => {
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
                                "{what}: arrives ({arrived}) before it is sent ({})",
                                message.sent
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
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_a_kind_tag() {
        let figure = Figure::Timeline {
            title: "t".into(),
            unit: "ms".into(),
            lanes: vec![Lane {
                name: "core 0".into(),
                spans: vec![Span { start: 0.0, end: 1.5, label: "A".into(), kind: SpanKind::Busy }],
            }],
        };
        let json = serde_json::to_value(&figure).unwrap();
        assert_eq!(json["kind"], "timeline");
        assert_eq!(json["lanes"][0]["spans"][0]["kind"], "busy");
        assert!(figure.validate().is_ok());
    }

    #[test]
    fn validate_rejects_what_cannot_be_drawn() {
        let backwards = Figure::Sequence {
            title: "s".into(),
            unit: "ms".into(),
            parties: vec!["client".into(), "server".into()],
            messages: vec![Message { from: 0, to: 1, sent: 5.0, arrived: Some(4.0), label: "SYN".into() }],
            notes: vec![],
        };
        assert!(backwards.validate().unwrap_err().contains("before it is sent"));
        let stray = Figure::Sequence {
            title: "s".into(),
            unit: "ms".into(),
            parties: vec!["client".into()],
            messages: vec![Message { from: 0, to: 3, sent: 0.0, arrived: None, label: "SYN".into() }],
            notes: vec![],
        };
        assert!(stray.validate().unwrap_err().contains("out of range"));
    }
}
