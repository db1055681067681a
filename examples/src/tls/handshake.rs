//! The handshake stepper: TLS 1.2 (RSA and ECDHE key exchange, and resumption) against TLS 1.3
//! (full, HelloRetryRequest, PSK resumption, 0-RTT), each over a fresh TCP connection, drawn
//! as a sequence of flights with the round trips counted until the first byte of the response.
//! A seeded predict-then-reveal mode asks for that count before showing it.

use crate::figure::{Figure, Message, Note, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "tls::handshake",
    title: "Handshake stepper: TLS 1.2 vs 1.3, resumption and 0-RTT, with round trips",
    file: file!(),
    default_input: "# rtt: client to server and back, in ms\nscenario = tls13\nrtt = 80\n# predict = 7   (uncomment: a generated scenario, answer hidden)\n",
    input_help: "`scenario = tls12-rsa | tls12-ecdhe | tls12-resume | tls13 | tls13-hrr | tls13-psk | tls13-0rtt`, `rtt = ms` (1 to 1000), `predict = seed`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

pub const SCENARIOS: &[&str] =
    &["tls12-rsa", "tls12-ecdhe", "tls12-resume", "tls13", "tls13-hrr", "tls13-psk", "tls13-0rtt"];

/// Who sends a flight, what it holds, and what the receiver learns or may do next.
struct Flight {
    from_client: bool,
    label: &'static str,
    note: Option<&'static str>,
}

const fn c(label: &'static str, note: Option<&'static str>) -> Flight {
    Flight { from_client: true, label, note }
}
const fn s(label: &'static str, note: Option<&'static str>) -> Flight {
    Flight { from_client: false, label, note }
}

// ANCHOR: flights
/// The flights of each scenario after TCP's SYN and SYN-ACK, in order: each flight leaves when
/// the one before it arrives, so a scenario costs one half round trip per flight. `{...}` is
/// encrypted; the GET and the response are the application's first request and reply.
fn flights(scenario: &str) -> Vec<Flight> {
    match scenario {
        "tls12-rsa" => vec![
            c("ACK, ClientHello", None),
            s("ServerHello, Certificate, ServerHelloDone", Some("server chose RSA key exchange")),
            c(
                "ClientKeyExchange (premaster encrypted to the cert's RSA key), CCS, {Finished}",
                Some("no forward secrecy: the server's long-term key decrypts this forever"),
            ),
            s("CCS, {Finished}", Some("client may now send data")),
            c("{GET /}", None),
            s("{response}", None),
        ],
        "tls12-ecdhe" => vec![
            c("ACK, ClientHello", None),
            s("ServerHello, Certificate, ServerKeyExchange (signed ECDHE share), ServerHelloDone", None),
            c(
                "ClientKeyExchange (ECDHE share), CCS, {Finished}",
                Some("forward secret: ephemeral keys are discarded"),
            ),
            s("CCS, {Finished}", Some("client may now send data")),
            c("{GET /}", None),
            s("{response}", None),
        ],
        "tls12-resume" => vec![
            c("ACK, ClientHello + session ticket", None),
            s(
                "ServerHello, CCS, {Finished} (abbreviated handshake)",
                Some("no certificate: keys come from the old session"),
            ),
            c("CCS, {Finished}, {GET /}", None),
            s("{response}", None),
        ],
        "tls13" => vec![
            c(
                "ACK, ClientHello + key_share (x25519)",
                Some("RFC 8448's ClientHello: a 201-byte record (the byte view decodes it)"),
            ),
            s(
                "ServerHello + key_share, {EncryptedExtensions, Certificate, CertificateVerify, Finished}",
                Some("encrypted from here on, certificate too; RFC 8448's ServerHello record is 95 bytes"),
            ),
            c("{Finished}, {GET /}", None),
            s("{response}, {NewSessionTicket}", None),
        ],
        "tls13-hrr" => vec![
            c("ACK, ClientHello + key_share (x25519)", None),
            s("HelloRetryRequest: use secp256r1", Some("the server supports none of the offered shares")),
            c("ClientHello + key_share (secp256r1)", None),
            s(
                "ServerHello + key_share, {EncryptedExtensions, Certificate, CertificateVerify, Finished}",
                None,
            ),
            c("{Finished}, {GET /}", None),
            s("{response}", None),
        ],
        "tls13-psk" => vec![
            c("ACK, ClientHello + key_share + pre_shared_key (ticket)", None),
            s(
                "ServerHello + key_share + pre_shared_key, {EncryptedExtensions, Finished}",
                Some("ticket accepted: no certificate sent or checked"),
            ),
            c("{Finished}, {GET /}", None),
            s("{response}", None),
        ],
        _ => vec![
            c(
                "ACK, ClientHello + key_share + pre_shared_key + early_data, {GET /} (0-RTT)",
                Some("early data: keyed by the ticket only, replayable"),
            ),
            s(
                "ServerHello, {EncryptedExtensions, Finished}, {response}",
                Some("server answered the early GET at once"),
            ),
            c("{EndOfEarlyData, Finished}", None),
        ],
    }
}
// ANCHOR_END: flights

/// Half round trips until the response's first byte arrives, counting TCP's SYN and SYN-ACK.
pub fn half_trips_to_response(scenario: &str) -> usize {
    let f = flights(scenario);
    let at = f.iter().position(|f| f.label.contains("response")).expect("every scenario answers");
    2 + at + 1
}

fn rtts(half: usize) -> String {
    if half.is_multiple_of(2) { format!("{}", half / 2) } else { format!("{}.5", half / 2) }
}

fn simulate(scenario: &str, rtt: f64) -> Drawn {
    let one_way = rtt / 2.0;
    let parties = vec!["client".to_string(), "server".to_string()];
    let mut messages = vec![
        Message { from: 0, to: 1, sent: 0.0, arrived: Some(one_way), label: "SYN".into() },
        Message { from: 1, to: 0, sent: one_way, arrived: Some(rtt), label: "SYN-ACK".into() },
    ];
    let mut notes = Vec::new();
    let mut text = format!("{scenario}, RTT {rtt} ms (TCP's handshake first, then TLS):\n");
    text.push_str(&format!("  t={:>6.0} ms  client -> server  SYN\n", 0.0));
    text.push_str(&format!("  t={one_way:>6.0} ms  server -> client  SYN-ACK\n"));
    let mut t = rtt;
    let mut first_response = None;
    for f in flights(scenario) {
        let (from, to) = if f.from_client { (0, 1) } else { (1, 0) };
        let arrow = if f.from_client { "client -> server" } else { "server -> client" };
        text.push_str(&format!("  t={t:>6.0} ms  {arrow}  {}\n", f.label));
        messages.push(Message { from, to, sent: t, arrived: Some(t + one_way), label: f.label.into() });
        if let Some(note) = f.note {
            notes.push(Note { party: to, at: t + one_way, text: note.into() });
        }
        if f.label.contains("response") && first_response.is_none() {
            first_response = Some(t + one_way);
        }
        t += one_way;
    }
    let done = first_response.expect("a response");
    let half = half_trips_to_response(scenario);
    text.push_str(&format!(
        "first byte of the response after {} RTT = {done:.0} ms (TCP 1 RTT + {} RTT of TLS and request)\n",
        rtts(half),
        rtts(half - 2)
    ));
    notes.push(Note { party: 0, at: done, text: format!("first response byte: {} RTT", rtts(half)) });
    let steps = Step::per_event(&parties, &messages, &notes, "ms");
    let figure = Figure::Sequence {
        title: format!("{scenario} over TCP, RTT {rtt} ms"),
        unit: "ms".into(),
        parties,
        messages,
        notes,
        steps,
    };
    Drawn { text, figure }
}

fn table(rtt: f64) -> String {
    let mut out = String::from("\nall scenarios at this RTT: round trips until the response's first byte\n");
    for s in SCENARIOS {
        let half = half_trips_to_response(s);
        out.push_str(&format!("  {s:<13} {:>3} RTT  {:>6.0} ms\n", rtts(half), half as f64 * rtt / 2.0));
    }
    out
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let params = Params::parse(input, &["scenario", "rtt", "predict"])?;
    let rtt: f64 = params.number_or("rtt", 1.0, 1000.0, 80.0)?;
    if let Some(seed) = params.one("predict")? {
        let seed: u64 = seed.number(0, u64::MAX)?;
        let mut rng = Rng::new(seed);
        let scenario = SCENARIOS[rng.range(0, SCENARIOS.len() as u64 - 1) as usize];
        let rtt = [20.0, 50.0, 80.0, 150.0, 300.0][rng.range(0, 4) as usize];
        let mut drawn = simulate(scenario, rtt);
        let mut text = format!(
            "Predict (seed {seed}): a client opens a new TCP connection and makes one request over {scenario}, RTT {rtt} ms.\n\
             How many round trips, and how many ms, before the first byte of the response arrives?\n"
        );
        text.push_str(REVEAL_MARKER);
        text.push('\n');
        text.push_str(&drawn.text);
        text.push_str(&table(rtt));
        drawn.text = text;
        return Ok(drawn);
    }
    let scenario = params.choice_or("scenario", SCENARIOS, "tls13")?;
    let mut drawn = simulate(scenario, rtt);
    drawn.text.push_str(&table(rtt));
    Ok(drawn)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counts the chapter states: 1.2 full = 2 RTT of TLS, 1.3 = 1, 0-RTT = 0 (plus TCP and
    /// the request itself).
    #[test]
    fn round_trips_per_scenario() {
        let want = [
            ("tls12-rsa", 8),
            ("tls12-ecdhe", 8),
            ("tls12-resume", 6),
            ("tls13", 6),
            ("tls13-hrr", 8),
            ("tls13-psk", 6),
            ("tls13-0rtt", 4),
        ];
        for (s, half) in want {
            assert_eq!(half_trips_to_response(s), half, "{s}");
            let d = simulate(s, 100.0);
            d.figure.validate().unwrap();
            assert!(d.text.contains(&format!("{} ms", half * 50)), "{s}: {}", d.text);
        }
    }

    #[test]
    fn predict_hides_the_answer_and_errors_name_lines() {
        for seed in 0..20 {
            let d = run(&format!("predict = {seed}")).unwrap();
            assert_eq!(d.text.lines().filter(|l| *l == REVEAL_MARKER).count(), 1);
            let (question, _) = d.text.split_once(REVEAL_MARKER).unwrap();
            assert!(!question.contains("RTT ="));
        }
        assert_eq!(run("rtt = 0").unwrap_err().line, Some(1));
        assert_eq!(run("rtt = 50\nscenario = ssl3").unwrap_err().line, Some(2));
    }
}
