//! The byte view: TLS records as hex, every field of a ClientHello or ServerHello explained
//! with its offset, and the exact offset and rule of the first byte that is wrong.

use super::crypto::unhex;
use super::wire::narrate;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "tls::bytes",
    title: "A ClientHello and a ServerHello byte by byte (RFC 8448), and exact errors",
    file: file!(),
    default_input: DEFAULT,
    input_help: "hex bytes of TLS records (`#` starts a comment), cases separated by lines `---`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT: &str = concat!(
    "# RFC 8448 §3: the client's first flight, one record holding a ClientHello\n",
    "16 03 01 00 c4 01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d ff a2 1a 8d 99 12\n",
    "ec 18 a2 ef 62 83 02 4d ec e7 00 00 06 13 01 13 03 13 02 01 00 00 91 00 00 00 0b 00 09 00 00 06 73\n",
    "65 72 76 65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01\n",
    "04 00 23 00 00 00 33 00 26 00 24 00 1d 00 20 99 38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0\n",
    "6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c 00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03\n",
    "02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c 00\n",
    "02 40 01\n",
    "---\n",
    "# RFC 8448 §3: the server's answer, a ServerHello (everything after it is encrypted)\n",
    "16 03 03 00 5a 02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c 8a c5 cb 14\n",
    "34 da c1 55 77 2e d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24 00 1d 00 20 c9 82 88 76 11 20 95 fe 66\n",
    "76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02 03 04\n",
    "---\n",
    "# plain HTTP sent to a TLS port: \"GET / HTTP/1.1\"\n",
    "47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31\n",
    "---\n",
    "# the ServerHello again, with the x25519 key share's length changed from 0x20 to 0x21\n",
    "16 03 03 00 5a 02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c 8a c5 cb 14\n",
    "34 da c1 55 77 2e d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24 00 1d 00 21 c9 82 88 76 11 20 95 fe 66\n",
    "76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02 03 04\n",
);

// ANCHOR: example
/// Each field on one line: offset, up to eight of its bytes, indented meaning.
fn view(bytes: &[u8], out: &mut String) {
    let (lines, result) = narrate(bytes);
    for l in lines {
        let shown: Vec<String> =
            bytes[l.at..(l.at + l.len).min(bytes.len())].iter().take(6).map(|b| format!("{b:02x}")).collect();
        let more = if l.len > 6 { " …" } else { "" };
        let indent = "  ".repeat(l.depth);
        out.push_str(&format!(
            "{:4}  {:<20} {indent}{}\n",
            l.at,
            format!("{}{more}", shown.join(" ")),
            l.text
        ));
    }
    match result {
        Ok(records) => out.push_str(&format!("ok: {} bytes in {} record(s)\n", bytes.len(), records.len())),
        Err(e) => out.push_str(&format!("error at offset {}: {}\n", e.offset, e.reason)),
    }
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    let mut cases: Vec<(usize, String)> = Vec::new();
    let mut case = String::new();
    let mut first = 1;
    for (i, line) in input.lines().enumerate() {
        if line.trim() == "---" {
            cases.push((first, std::mem::take(&mut case)));
            first = i + 2;
        } else {
            case.push_str(line.split('#').next().unwrap_or(""));
            case.push('\n');
        }
    }
    cases.push((first, case));
    cases.retain(|(_, text)| !text.trim().is_empty());
    if cases.is_empty() {
        return Err(InputError::new(
            "no bytes: paste a TLS record as hex (the default is RFC 8448's ClientHello)",
        ));
    }
    if cases.len() > 20 {
        return Err(InputError::new("at most 20 cases"));
    }
    let mut out = String::new();
    for (k, (line, text)) in cases.iter().enumerate() {
        let bytes = unhex(text).ok_or_else(|| {
            InputError::at_line(
                *line,
                "not hex: write bytes as pairs of hex digits (spaces and `:` are ignored)",
            )
        })?;
        if bytes.len() > 20_000 {
            return Err(InputError::at_line(*line, "at most 20,000 bytes per case"));
        }
        if k > 0 {
            out.push_str("---\n");
        }
        view(&bytes, &mut out);
    }
    Ok(out)
}

/// The default's first case is exactly RFC 8448's ClientHello.
#[cfg(test)]
mod tests {
    #[test]
    fn default_is_the_rfc_bytes() {
        let first = super::DEFAULT.split("---").next().unwrap();
        let text: String = first.lines().map(|l| l.split('#').next().unwrap()).collect::<Vec<_>>().join("\n");
        assert_eq!(super::unhex(&text), super::unhex(super::super::rfc8448::CLIENT_HELLO_RECORD));
        assert!(super::run("zz").is_err());
        assert!(super::run("").is_err());
    }
}
