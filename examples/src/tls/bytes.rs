//! The byte view: TLS records as hex, every field of a ClientHello or ServerHello explained
//! with its offset, and the exact offset and rule of the first byte that is wrong.

use super::crypto::unhex;
use super::wire::narrate;
use crate::byteview;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "tls::bytes",
    title: "ClientHello and ServerHello byte by byte: TLS 1.3 (RFC 8448) and TLS 1.2 (captured), and exact errors",
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
    "# TLS 1.2: the ClientHello the `tls::live` example's 1.2-only rustls client sent, captured once\n",
    "# and committed. The 32-byte random is fresh on every connection; no supported_versions for 1.3.\n",
    "16 03 01 00 af 01 00 00 ab 03 03 c3 1d a3 3b 49 bb f4 7b bc a7 ca b4 f4 47 73 63 30 07 87 67 28 d7 74 d2\n",
    "e4 98 74 95 02 b6 01 af 00 00 14 13 02 13 01 13 03 c0 2c c0 2b cc a9 c0 30 c0 2f cc a8 00 ff 01 00 00 6e\n",
    "00 2b 00 03 02 03 03 00 0a 00 08 00 06 00 1d 00 17 00 18 00 05 00 05 01 00 00 00 00 00 23 00 00 00 17 00\n",
    "00 00 10 00 0e 00 0c 02 68 32 08 68 74 74 70 2f 31 2e 31 00 0d 00 14 00 12 05 03 04 03 08 07 08 06 08 05\n",
    "08 04 06 01 05 01 04 01 00 0b 00 02 01 00 00 00 00 16 00 14 00 00 11 61 70 69 2e 69 6e 74 65 72 6e 61 6c\n",
    "2e 74 65 73 74\n",
    "---\n",
    "# TLS 1.2: the server's answer from the same capture. Its first record also carried Certificate,\n",
    "# ServerKeyExchange and ServerHelloDone in clear; only the ServerHello is kept, the record length\n",
    "# set to its 104 bytes. The random and the 32-byte session id are random per connection, except\n",
    "# the random's last 8 bytes: see the decoder's line for them.\n",
    "16 03 03 00 68 02 00 00 64 03 03 96 44 e2 a8 73 3f 75 1c f9 d5 75 69 76 14 98 7c c6 46 62 84 86 e7 85 fa\n",
    "44 4f 57 4e 47 52 44 01 20 89 33 93 1d 65 47 51 4f 36 70 04 fa 10 48 16 98 15 e7 5a ae 3c 99 92 9b d1 f2\n",
    "38 c7 41 c9 01 64 c0 2c 00 00 1c 00 00 00 00 ff 01 00 01 00 00 10 00 0b 00 09 08 68 74 74 70 2f 31 2e 31\n",
    "00 17 00 00\n",
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
        out.push_str(&byteview::field_row(bytes, l.at, l.len, l.depth, &l.text, 6, 20));
    }
    match result {
        Ok(records) => out.push_str(&format!("ok: {} bytes in {} record(s)\n", bytes.len(), records.len())),
        Err(e) => out.push_str(&format!("error at offset {}: {}\n", e.offset, e.reason)),
    }
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    let cases = byteview::cases(
        input,
        20,
        "cases",
        "no bytes: paste a TLS record as hex (the default is RFC 8448's ClientHello)",
    )?;
    let mut out = String::new();
    for (k, case) in cases.iter().enumerate() {
        let line = &case.first;
        let text: String =
            case.lines.iter().map(|(_, l)| format!("{}\n", l.split('#').next().unwrap_or(""))).collect();
        let bytes = unhex(&text).ok_or_else(|| {
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
