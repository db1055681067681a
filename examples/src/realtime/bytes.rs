//! The byte view: WebSocket frames as hex, each field explained at its offset, and the exact
//! offset, rule and close code of the first byte a receiver must refuse. The encoder example
//! writes frames from a one-line description (RFC 6455 §5.7's examples by default).

use super::frame::{BINARY, CONTINUATION, Frame, PING, PONG, Sender, TEXT, encode, narrate};
use crate::byteview;
use crate::dns::wire::parse_hex;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "realtime::bytes",
    title: "WebSocket frames byte by byte: RFC 6455's examples, and the exact errors of broken ones",
    file: file!(),
    default_input: DEFAULT,
    input_help: "hex bytes (`#` starts a comment); `from client` or `from server` (the default) says who sent them; cases separated by lines `---`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

pub const ENCODE: Example = Example {
    id: "realtime::encode",
    title: "Writing frames: text, masked, fragmented, ping/pong, close, and the three length forms",
    file: file!(),
    default_input: ENCODE_DEFAULT,
    input_help: "one frame a line: `text|binary|continuation|ping|pong <payload>` or `close <code> <reason>`; a payload `N bytes` is N zero bytes; options `mask=<8 hex digits>`, `fin=0`",
    runs: Runs::Everywhere,
    run: Run::Text(run_encode),
};

const DEFAULT: &str = "\
# RFC 6455 §5.7: a single unmasked text frame, \"Hello\"
81 05 48 65 6c 6c 6f
---
# the same message from a client: masked with the key 37 fa 21 3d
from client
81 85 37 fa 21 3d 7f 9f 4d 51 58
---
# \"Hel\" + \"lo\" in two fragments, with a ping between them (control frames may interleave)
01 03 48 65 6c   89 00   80 02 6c 6f
---
# the header of a 256-byte binary frame (7-bit length 126, then 16 bits); the payload has not arrived yet
82 7e 01 00
---
# the header of a 64 KiB frame (127, then 64 bits); the payload has not arrived yet
82 7f 00 00 00 00 00 01 00 00
---
# a close frame: code 1000 and the reason \"bye\"
88 05 03 e8 62 79 65
---
# RSV1 set: a compressed frame, but permessage-deflate was never negotiated
c1 05 48 65 6c 6c 6f
---
# a server that masks its frame
81 85 37 fa 21 3d 7f 9f 4d 51 58
---
# a ping with a 126-byte payload
89 7e 00 7e
---
# a fragmented ping
09 05 48 65 6c 6c 6f
---
# text that is not UTF-8: c3 starts a 2-byte character, but 28 is no continuation byte (80..bf)
81 02 c3 28
---
# close code 1006, which only stands for \"dropped without a close frame\"
88 02 03 ee
";

const ENCODE_DEFAULT: &str = "\
# RFC 6455 §5.7, example by example
text Hello
text Hello mask=37fa213d
text Hel fin=0
continuation lo
ping Hello
pong Hello mask=37fa213d
binary 256 bytes
binary 65536 bytes
close 1000 bye
";

// ANCHOR: example
/// Each field on one line: offset, up to eight of its bytes, indented meaning; then the verdict.
fn view(bytes: &[u8], sender: Sender, out: &mut String) {
    let (lines, result) = narrate(bytes, sender);
    for l in lines {
        out.push_str(&byteview::field_row(bytes, l.at, l.len, l.depth, &l.text, 8, 26));
    }
    match result {
        Ok(frames) => out.push_str(&format!("ok: {} bytes, {} frame(s)\n", bytes.len(), frames.len())),
        Err(e) if e.close_code == 1006 => out.push_str(&format!(
            "offset {}: {} (no error yet: the receiver waits; if the connection ends here, no close frame came and its API reports 1006)\n",
            e.offset, e.reason
        )),
        Err(e) => out.push_str(&format!(
            "error at offset {}: {} (the receiver closes with {})\n",
            e.offset, e.reason, e.close_code
        )),
    }
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    let cases = byteview::cases(
        input,
        20,
        "cases",
        "no bytes: write frames as hex (the default is RFC 6455's examples)",
    )?;
    let mut out = String::new();
    for (n, byteview::Case { first, lines }) in cases.iter().enumerate() {
        let mut sender = Sender::Server;
        let mut hex = String::new();
        let mut title = String::new();
        for (number, line) in lines {
            let (code, comment) = line.split_once('#').unwrap_or((line, ""));
            if title.is_empty() && !comment.trim().is_empty() {
                title = comment.trim().to_string();
            }
            match code.trim() {
                "from client" => sender = Sender::Client,
                "from server" => sender = Sender::Server,
                code => {
                    let bytes = parse_hex(code).map_err(|(_, why)| InputError::at_line(*number, why))?;
                    hex.push_str(&bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
                    hex.push('\n');
                }
            }
        }
        let bytes = parse_hex(&hex).map_err(|(_, why)| InputError::at_line(*first, why))?;
        if bytes.len() > 70_000 {
            return Err(InputError::at_line(*first, "at most 70,000 bytes per case"));
        }
        let who = if sender == Sender::Client { "client" } else { "server" };
        out.push_str(&format!(
            "case {} (line {first}, from the {who}){}{title}\n",
            n + 1,
            if title.is_empty() { "" } else { ": " }
        ));
        view(&bytes, sender, &mut out);
    }
    Ok(out)
}

// ANCHOR: encoder
/// Reads one line of the encoder's input into a frame.
fn describe(line: usize, text: &str) -> Result<Frame, InputError> {
    let err = |why: String| InputError::at_line(line, why);
    let mut words: Vec<&str> = text.split_whitespace().collect();
    let mut mask = None;
    let mut fin = true;
    words.retain(|w| {
        if let Some(key) = w.strip_prefix("mask=") {
            mask = Some(key.to_string());
            false
        } else if let Some(f) = w.strip_prefix("fin=") {
            fin = f != "0";
            false
        } else {
            true
        }
    });
    let kind = words.first().copied().unwrap_or("");
    let rest = words.get(1..).unwrap_or(&[]).join(" ");
    let payload = |rest: &str| -> Result<Vec<u8>, InputError> {
        match rest.strip_suffix(" bytes").map(str::parse::<usize>) {
            Some(Ok(n)) if n <= 70_000 => Ok(vec![0; n]),
            Some(Ok(_)) => Err(err("at most 70,000 bytes".into())),
            _ => Ok(rest.as_bytes().to_vec()),
        }
    };
    let mut frame = match kind {
        "text" => Frame::new(TEXT, &payload(&rest)?),
        "binary" => Frame::new(BINARY, &payload(&rest)?),
        "continuation" => Frame::new(CONTINUATION, &payload(&rest)?),
        "ping" => Frame::new(PING, &payload(&rest)?),
        "pong" => Frame::new(PONG, &payload(&rest)?),
        "close" => {
            let (code, reason) = rest.split_once(' ').unwrap_or((&rest, ""));
            let code =
                code.parse::<u16>().map_err(|_| err(format!("`{code}` is not a close code (0 to 65535)")))?;
            Frame::close(code, reason)
        }
        other => {
            return Err(err(format!(
                "`{other}` is not a frame kind: text, binary, continuation, ping, pong or close"
            )));
        }
    };
    frame.fin = fin;
    if let Some(key) = mask {
        let bytes = parse_hex(&key).ok().filter(|b| b.len() == 4);
        let bytes = bytes.ok_or_else(|| err(format!("mask `{key}` is not 4 bytes of hex")))?;
        frame.mask = Some([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    Ok(frame)
}

fn run_encode(input: &str) -> Result<String, InputError> {
    let mut out = String::new();
    let mut count = 0;
    for (i, line) in input.lines().enumerate() {
        let text = line.split('#').next().unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        count += 1;
        if count > 30 {
            return Err(InputError::at_line(i + 1, "at most 30 frames"));
        }
        let frame = describe(i + 1, text)?;
        let bytes = encode(&frame);
        let header = bytes.len() - frame.payload.len();
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ");
        let body = &bytes[header..];
        let shown = if body.len() > 8 {
            format!("{} … ({} bytes)", hex(&body[..8]), body.len())
        } else {
            hex(body)
        };
        out.push_str(&format!("{text}\n  header  {}\n", hex(&bytes[..header])));
        if !body.is_empty() {
            out.push_str(&format!(
                "  payload {shown}{}\n",
                if frame.mask.is_some() { " (masked)" } else { "" }
            ));
        }
        out.push_str(&format!("  {} bytes on the wire\n", bytes.len()));
    }
    if count == 0 {
        return Err(InputError::new("no frames: write one a line, such as `text Hello`"));
    }
    Ok(out)
}
// ANCHOR_END: encoder

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cases_decode_or_fail_as_the_comments_say() {
        let out = run(DEFAULT).unwrap();
        for wanted in [
            "= text message: \"Hello\"",
            "= text message from 2 fragments: \"Hello\"",
            "offset 4: incomplete: the payload needs 256 bytes, 0 here; waiting for 256 more",
            "offset 10: incomplete: the payload needs 65536 bytes, 0 here; waiting for 65536 more",
            "close code 1000: normal closure",
            "error at offset 0: reserved bits RSV=100 set",
            "error at offset 1: a server's frame must not be masked",
            "error at offset 1: a control frame's payload is 126 bytes, over 125",
            "error at offset 0: a control frame must not be fragmented",
            "error at offset 2: the text message is not valid UTF-8 from this byte on (the receiver closes with 1007)",
            "error at offset 2: invalid close code 1006",
        ] {
            assert!(out.contains(wanted), "{wanted}\n{out}");
        }
        assert_eq!(run("81 0g").unwrap_err().line, Some(1));
        assert_eq!(run("# x\n81\n---\nzz").unwrap_err().line, Some(4));
    }

    #[test]
    fn the_encoder_writes_rfc_6455s_bytes() {
        let out = run_encode(ENCODE_DEFAULT).unwrap();
        for wanted in [
            "text Hello\n  header  81 05\n  payload 48 65 6c 6c 6f\n",
            "text Hello mask=37fa213d\n  header  81 85 37 fa 21 3d\n  payload 7f 9f 4d 51 58 (masked)\n",
            "text Hel fin=0\n  header  01 03\n",
            "continuation lo\n  header  80 02\n",
            "ping Hello\n  header  89 05\n",
            "pong Hello mask=37fa213d\n  header  8a 85 37 fa 21 3d\n",
            "binary 256 bytes\n  header  82 7e 01 00\n",
            "binary 65536 bytes\n  header  82 7f 00 00 00 00 00 01 00 00\n",
        ] {
            assert!(out.contains(wanted), "{wanted}\n{out}");
        }
        assert_eq!(run_encode("text a\nsend b").unwrap_err().line, Some(2));
        assert_eq!(run_encode("text a mask=12").unwrap_err().line, Some(1));
    }
}
