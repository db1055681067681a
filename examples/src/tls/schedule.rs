//! The TLS 1.3 key schedule, value by value, from RFC 8448's trace (or the reader's own shared
//! secret): every secret and key the test checks against the RFC.

use super::crypto::{hex, schedule, unhex};
use super::rfc8448;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "tls::key_schedule",
    title: "The TLS 1.3 key schedule on RFC 8448's handshake",
    file: file!(),
    default_input: "shared = 8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d\n",
    input_help: "`shared = <hex>`: the (EC)DHE shared secret (RFC 8448's by default); the transcript is RFC 8448's",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

fn run(input: &str) -> Result<String, InputError> {
    let mut shared = None;
    for (i, line) in input.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let Some(("shared", value)) = line.split_once('=').map(|(k, v)| (k.trim(), v.trim())) else {
            return Err(InputError::at_line(i + 1, "expected `shared = <hex>`"));
        };
        let bytes =
            unhex(value).ok_or_else(|| InputError::at_line(i + 1, "the shared secret must be hex"))?;
        if bytes.is_empty() || bytes.len() > 256 {
            return Err(InputError::at_line(i + 1, "the shared secret must be 1 to 256 bytes"));
        }
        shared = Some(bytes);
    }
    let shared = shared.ok_or_else(|| InputError::new("give `shared = <hex>`"))?;
    // ANCHOR: example
    let (hello, finished) = rfc8448::transcript_hashes();
    let s = schedule(&shared, &hello, &finished);
    let mut out = String::new();
    let mut put = |name: &str, v: &[u8]| out.push_str(&format!("{name:<28} {}\n", hex(v)));
    put("(EC)DHE shared secret", &shared);
    put("H(ClientHello..ServerHello)", &hello);
    put("H(ClientHello..Finished)", &finished);
    put("early secret", &s.early);
    put("derived (for handshake)", &s.derived_hs);
    put("handshake secret", &s.handshake);
    put("client hs traffic secret", &s.client_hs);
    put("server hs traffic secret", &s.server_hs);
    put("  server hs key", &s.server_hs_key.0);
    put("  server hs iv", &s.server_hs_key.1);
    put("  client hs key", &s.client_hs_key.0);
    put("  client hs iv", &s.client_hs_key.1);
    put("derived (for master)", &s.derived_ms);
    put("master secret", &s.master);
    put("client ap traffic secret", &s.client_ap);
    put("server ap traffic secret", &s.server_ap);
    put("  server ap key", &s.server_ap_key.0);
    put("  server ap iv", &s.server_ap_key.1);
    put("  client ap key", &s.client_ap_key.0);
    put("  client ap iv", &s.client_ap_key.1);
    let verify = rfc8448::server_finished_verify_data(&s.server_finished_key);
    put("server Finished verify_data", &verify);
    // ANCHOR_END: example
    if hex(&verify) == rfc8448::SERVER_FINISHED_VERIFY {
        out.push_str("verify_data equals the server Finished in RFC 8448: same keys as the RFC's trace\n");
    } else {
        out.push_str("verify_data differs from RFC 8448's Finished: a different shared secret changes every value from the handshake secret on\n");
    }
    Ok(out)
}
