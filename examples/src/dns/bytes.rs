//! The byte view: a DNS message as hex, each field decoded with its offset, compression
//! pointers followed, and the exact offset and reason of the first byte that is wrong.

use super::wire::{narrate, parse_hex};
use crate::byteview;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "dns::bytes",
    title: "A DNS message byte by byte, and the exact errors of broken ones",
    file: file!(),
    default_input: DEFAULT,
    input_help: "hex bytes of DNS messages (`#` starts a comment), messages separated by lines `---`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT: &str = "\
be ef 85 00 00 01 00 02 00 00 00 00  # a response: www.example.com is a CNAME to web
03 77 77 77 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00  # www.example.com. at offset 12
00 01 00 01                          # QTYPE A, QCLASS IN
c0 0c 00 05 00 01 00 00 01 2c 00 06  # answer 1: pointer to 12, CNAME, TTL 300, 6 bytes of data
03 77 65 62 c0 10                    # web + pointer to 16 (example.com.)
c0 2d 00 01 00 01 00 00 00 3c 00 04  # answer 2: pointer to 45 (web.example.com.), A, TTL 60
c0 00 02 0a                          # 192.0.2.10
---
be ef 01 00 00 01 00 00 00 00 00 00  # a name of two pointers at each other; the first points forward
c0 0e c0 0c 00 01 00 01
---
be ef 01 00 00 01 00 00 00 00 00 00  # a label length byte of 0x40 (64)
40 61 61 61 61 00 00 01 00 01
---
be ef 85 00 00 01 00 02 00 00 00 00  # the first message, cut 2 bytes short
03 77 77 77 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01
c0 0c 00 05 00 01 00 00 01 2c 00 06 03 77 65 62 c0 10
c0 2d 00 01 00 01 00 00 00 3c 00 04 c0 00
";

// ANCHOR: example
/// Each field on one line: its offset, its bytes (the first eight), and what they mean.
fn view(bytes: &[u8], out: &mut String) {
    let (lines, result) = narrate(bytes);
    for (at, len, text) in lines {
        out.push_str(&byteview::field_row(bytes, at, len, 0, &text, 8, 26));
    }
    match result {
        Ok(m) => out.push_str(&format!(
            "ok: {} bytes, {} question(s), {} answer(s), {} authority, {} additional\n",
            bytes.len(),
            m.questions.len(),
            m.answers.len(),
            m.authority.len(),
            m.additional.len()
        )),
        Err(e) => out.push_str(&format!("error at offset {}: {}\n", e.offset, e.reason)),
    }
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    let cases = byteview::cases(input, 10, "messages", "no bytes: write a message as hex")?;
    let mut out = String::new();
    for (n, case) in cases.iter().enumerate() {
        let (first, text) = (&case.first, &case.text());
        let bytes = parse_hex(text).map_err(|(line, why)| InputError::at_line(first + line - 1, why))?;
        if bytes.len() > 4096 {
            return Err(InputError::at_line(*first, "at most 4096 bytes per message"));
        }
        let title = text.lines().next().and_then(|l| l.split_once('#')).map_or("", |(_, c)| c.trim());
        out.push_str(&format!(
            "message {} (line {first}){}{title}\n",
            n + 1,
            if title.is_empty() { "" } else { ": " }
        ));
        view(&bytes, &mut out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::wire::*;

    /// The first default message is exactly what our encoder writes for that answer (so the
    /// page's bytes are the encoder's, not typed by hand), and each broken one fails where the
    /// hand count says: forward pointer at 12, reserved length byte at 12, A data at 63 with 2 of 4 bytes.
    #[test]
    fn default_bytes_are_the_encoders_and_errors_are_exact() {
        let mut m = Message::query(0xbeef, "www.example.com.", TYPE_A, None);
        m.header.qr = true;
        m.header.aa = true;
        m.answers = vec![
            Record::new("www.example.com.", TYPE_CNAME, 300, Rdata::Name("web.example.com.".into())),
            Record::new("web.example.com.", TYPE_A, 60, Rdata::A([192, 0, 2, 10])),
        ];
        let first = DEFAULT.split("---").next().unwrap();
        assert_eq!(parse_hex(first).unwrap(), encode(&m).unwrap());
        let out = run(DEFAULT).unwrap();
        assert!(out.contains("ok: 67 bytes"), "{out}");
        assert!(out.contains("web.example.com., pointer at 51 → 45, pointer at 49 → 16"), "{out}");
        assert!(
            out.contains("error at offset 12: forward pointer: offset 12 points to 14, not before 12"),
            "{out}"
        );
        assert!(out.contains("error at offset 12: label length byte 0x40"), "{out}");
        assert!(out.contains("error at offset 63: truncated: RDATA needs 4 bytes, 2 left"), "{out}");
        assert_eq!(run("be ef\nzz").unwrap_err().line, Some(2));
    }
}
