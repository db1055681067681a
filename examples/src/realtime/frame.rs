//! WebSocket frames (RFC 6455 §5): the book's own encoder and a decoder that checks every rule
//! of §5 and §7.4 a receiver must enforce, names the offset and the reason of the first byte it
//! refuses, and can narrate every field it reads (the page's byte view).
//!
//! A frame (RFC 6455 §5.2): one byte of FIN, three reserved bits and a 4-bit opcode; one byte of
//! MASK and a 7-bit length (126 and 127 announce a 16-bit or 64-bit length after it); the
//! 4-byte masking key when MASK is set; the payload.

use std::fmt;

pub const CONTINUATION: u8 = 0x0;
pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

/// The longest payload a control frame may carry (§5.5): it must fit the 7-bit length.
pub const MAX_CONTROL: usize = 125;

pub fn opcode_name(op: u8) -> &'static str {
    match op {
        CONTINUATION => "continuation",
        TEXT => "text",
        BINARY => "binary",
        CLOSE => "close",
        PING => "ping",
        PONG => "pong",
        0x3..=0x7 => "reserved data opcode",
        _ => "reserved control opcode",
    }
}

/// Who wrote the bytes: a client must mask every frame, a server must mask none (§5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Client,
    Server,
}

/// One frame, its payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    /// RSV1..RSV3 as the three low bits (RSV1 = 0b100); non-zero only with an extension.
    pub rsv: u8,
    pub opcode: u8,
    pub mask: Option<[u8; 4]>,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn new(opcode: u8, payload: &[u8]) -> Frame {
        Frame { fin: true, rsv: 0, opcode, mask: None, payload: payload.to_vec() }
    }

    pub fn masked(mut self, key: [u8; 4]) -> Frame {
        self.mask = Some(key);
        self
    }

    pub fn fragment(mut self) -> Frame {
        self.fin = false;
        self
    }

    /// A close frame: a 2-byte status code and a UTF-8 reason (§5.5.1).
    pub fn close(code: u16, reason: &str) -> Frame {
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(reason.as_bytes());
        Frame::new(CLOSE, &payload)
    }
}

// ANCHOR: encode
/// The frame's bytes. The payload length takes the shortest of its three forms (§5.2: 7 bits
/// up to 125, then 126 + 16 bits, then 127 + 64 bits); a mask XORs byte i with key[i % 4].
pub fn encode(f: &Frame) -> Vec<u8> {
    let mut out = vec![(u8::from(f.fin) << 7) | ((f.rsv & 0b111) << 4) | (f.opcode & 0xF)];
    let mask_bit = if f.mask.is_some() { 0x80 } else { 0 };
    let n = f.payload.len();
    if n <= 125 {
        out.push(mask_bit | n as u8);
    } else if n <= 0xFFFF {
        out.push(mask_bit | 126);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(mask_bit | 127);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
    match f.mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(f.payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(&f.payload),
    }
    out
}
// ANCHOR_END: encode

/// The first byte the decoder refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    pub offset: usize,
    pub reason: String,
    /// The close code a receiver answers with before it drops the connection (§7.4.1):
    /// 1002 protocol error, 1007 invalid data, 1009 too big. 1006 marks input that is only
    /// incomplete: a receiver sends no close and waits for more bytes; if the connection ends
    /// there, no close frame came and the API reports 1006 (§7.1.5).
    pub close_code: u16,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "offset {}: {}", self.offset, self.reason)
    }
}

/// One decoded field: where it starts, how many bytes, what they mean, how deep to indent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub at: usize,
    pub len: usize,
    pub text: String,
    pub depth: usize,
}

/// What a close code means, or why a receiver must refuse it (§7.4.1, §7.4.2 and the IANA
/// registry, which added 1012 to 1014).
pub fn close_code(code: u16) -> Result<&'static str, &'static str> {
    match code {
        1000 => Ok("normal closure"),
        1001 => Ok("going away (server shutting down, page navigated away)"),
        1002 => Ok("protocol error"),
        1003 => Ok("unsupported data (binary to a text-only endpoint)"),
        1007 => Ok("invalid payload data (bad UTF-8 in a text message)"),
        1008 => Ok("policy violation"),
        1009 => Ok("message too big"),
        1010 => Ok("mandatory extension missing (client)"),
        1011 => Ok("internal error (server)"),
        1012 => Ok("service restart"),
        1013 => Ok("try again later"),
        1014 => Ok("bad gateway"),
        1004 => Err("1004 is reserved"),
        1005 => Err("1005 (no status) must never be sent: it stands for a close frame without a code"),
        1006 => Err(
            "1006 (abnormal) must never be sent: it stands for a connection dropped without a close frame",
        ),
        1015 => Err("1015 (TLS failure) must never be sent"),
        3000..=3999 => Ok("registered with IANA (libraries, frameworks)"),
        4000..=4999 => Ok("private use (the application's own)"),
        0..=999 => Err("codes below 1000 are not used"),
        _ => Err("not a defined or registered code"),
    }
}

/// The decoder's limit on one frame's payload (a 64-bit length is taken at its word only up to
/// this). It borrows the number of `ws`'s default `maxPayload`, 100 MiB, but `ws` applies that
/// to a whole message, fragments added up; this decoder applies it per frame.
pub const MAX_PAYLOAD: u64 = 100 << 20;

/// A fragmented message so far: its opcode, its payload, and where each fragment's payload
/// starts (index in the message, offset in the stream).
type Partial = (u8, Vec<u8>, Vec<(usize, usize)>);

struct Decoder<'a> {
    bytes: &'a [u8],
    sender: Sender,
    lines: Vec<Line>,
    /// The message being reassembled from fragments: its opcode, payload so far, and the
    /// stream offset of each fragment's payload (to place a UTF-8 error exactly).
    partial: Option<Partial>,
}

// ANCHOR: decode
impl Decoder<'_> {
    fn fail(&self, offset: usize, close_code: u16, reason: impl Into<String>) -> FrameError {
        FrameError { offset, reason: reason.into(), close_code }
    }

    fn line(&mut self, at: usize, len: usize, depth: usize, text: String) {
        self.lines.push(Line { at, len, text, depth });
    }

    fn need(&self, at: usize, n: usize, what: &str) -> Result<(), FrameError> {
        let left = self.bytes.len().saturating_sub(at);
        if left < n {
            return Err(self.fail(
                at,
                1006,
                format!("incomplete: {what} needs {n} bytes, {left} here; waiting for {} more", n - left),
            ));
        }
        Ok(())
    }

    /// One frame at `at`; returns it and the offset after it.
    fn frame(&mut self, at: usize) -> Result<(Frame, usize), FrameError> {
        self.need(at, 2, "a frame header")?;
        let (b0, b1) = (self.bytes[at], self.bytes[at + 1]);
        let (fin, rsv, opcode) = (b0 & 0x80 != 0, (b0 >> 4) & 0b111, b0 & 0x0F);
        self.line(
            at,
            1,
            0,
            format!("FIN={} RSV={rsv:03b} opcode=0x{opcode:x} {}", u8::from(fin), opcode_name(opcode)),
        );
        if rsv != 0 {
            return Err(self.fail(at, 1002, format!(
                "reserved bits RSV={rsv:03b} set, but no extension was negotiated (permessage-deflate would own RSV1)"
            )));
        }
        if matches!(opcode, 0x3..=0x7 | 0xB..=0xF) {
            return Err(self.fail(at, 1002, format!("opcode 0x{opcode:x} is reserved")));
        }
        let control = opcode >= 0x8;
        if control && !fin {
            return Err(self.fail(at, 1002, "a control frame must not be fragmented (FIN=0)"));
        }
        let masked = b1 & 0x80 != 0;
        let len7 = b1 & 0x7F;
        let size = match len7 {
            126 => "126: 16-bit length follows".to_string(),
            127 => "127: 64-bit length follows".to_string(),
            n => format!("{n}"),
        };
        self.line(at + 1, 1, 0, format!("MASK={} payload length {size}", u8::from(masked)));
        match (self.sender, masked) {
            (Sender::Client, false) => {
                return Err(self.fail(at + 1, 1002, "a client's frame must be masked (MASK=0)"));
            }
            (Sender::Server, true) => {
                return Err(self.fail(at + 1, 1002, "a server's frame must not be masked (MASK=1)"));
            }
            _ => {}
        }
        let mut next = at + 2;
        let len: u64 = match len7 {
            126 => {
                self.need(next, 2, "the 16-bit length")?;
                let n = u16::from_be_bytes([self.bytes[next], self.bytes[next + 1]]);
                self.line(next, 2, 1, format!("extended length {n}"));
                if n < 126 {
                    return Err(self.fail(
                        next,
                        1002,
                        format!("length {n} fits in 7 bits: the shortest form is required"),
                    ));
                }
                next += 2;
                u64::from(n)
            }
            127 => {
                self.need(next, 8, "the 64-bit length")?;
                let n = u64::from_be_bytes(self.bytes[next..next + 8].try_into().expect("8 bytes"));
                self.line(next, 8, 1, format!("extended length {n}"));
                if n >> 63 != 0 {
                    return Err(self.fail(next, 1002, "the 64-bit length has its most significant bit set"));
                }
                if n <= 0xFFFF {
                    return Err(self.fail(
                        next,
                        1002,
                        format!("length {n} fits in 16 bits: the shortest form is required"),
                    ));
                }
                if n > MAX_PAYLOAD {
                    return Err(self.fail(
                        next,
                        1009,
                        format!("length {n} is over this receiver's limit of {MAX_PAYLOAD}"),
                    ));
                }
                next += 8;
                n
            }
            n => u64::from(n),
        };
        if control && len > MAX_CONTROL as u64 {
            return Err(self.fail(
                at + 1,
                1002,
                format!("a control frame's payload is {len} bytes, over 125"),
            ));
        }
        let mask = if masked {
            self.need(next, 4, "the masking key")?;
            let key: [u8; 4] = self.bytes[next..next + 4].try_into().expect("4 bytes");
            self.line(next, 4, 1, "masking key".to_string());
            next += 4;
            Some(key)
        } else {
            None
        };
        let len = len as usize;
        self.need(next, len, "the payload")?;
        let raw = &self.bytes[next..next + len];
        let payload: Vec<u8> = match mask {
            Some(key) => raw.iter().enumerate().map(|(i, b)| b ^ key[i % 4]).collect(),
            None => raw.to_vec(),
        };
        let frame = Frame { fin, rsv, opcode, mask, payload };
        self.payload(&frame, next)?;
        Ok((frame, next + len))
    }

    /// The payload's line, and the rules on its content and on the sequence of frames.
    fn payload(&mut self, f: &Frame, at: usize) -> Result<(), FrameError> {
        let n = f.payload.len();
        let unmasked = if f.mask.is_some() { ", unmasked:" } else { ":" };
        let shown = preview(&f.payload);
        match f.opcode {
            CLOSE => {
                if n == 1 {
                    return Err(self.fail(at, 1002, "a close payload of 1 byte: the code needs 2"));
                }
                if n == 0 {
                    self.line(at, 0, 1, "no payload: a close without a code (seen as 1005)".into());
                    return Ok(());
                }
                let code = u16::from_be_bytes([f.payload[0], f.payload[1]]);
                match close_code(code) {
                    Ok(meaning) => self.line(at, 2, 1, format!("close code {code}: {meaning}")),
                    Err(why) => return Err(self.fail(at, 1002, format!("invalid close code {code}: {why}"))),
                }
                if let Err(e) = std::str::from_utf8(&f.payload[2..]) {
                    return Err(self.fail(
                        at + 2 + e.valid_up_to(),
                        1007,
                        "the close reason is not valid UTF-8",
                    ));
                }
                if n > 2 {
                    self.line(
                        at + 2,
                        n - 2,
                        1,
                        format!("reason{unmasked} {shown}", shown = preview(&f.payload[2..])),
                    );
                }
            }
            PING | PONG => self.line(at, n, 1, format!("payload {n} bytes{unmasked} {shown}")),
            TEXT | BINARY => {
                if self.partial.is_some() {
                    return Err(self.fail(
                        self.frame_start(),
                        1002,
                        "a new data frame while a fragmented message is unfinished (expected a continuation)",
                    ));
                }
                self.line(at, n, 1, format!("payload {n} bytes{unmasked} {shown}"));
                self.partial = Some((f.opcode, Vec::new(), Vec::new()));
                self.data(f, at)?;
            }
            _ => {
                if self.partial.is_none() {
                    return Err(self.fail(
                        self.frame_start(),
                        1002,
                        "a continuation frame with no message to continue",
                    ));
                }
                self.line(at, n, 1, format!("payload {n} bytes{unmasked} {shown}"));
                self.data(f, at)?;
            }
        }
        Ok(())
    }

    /// Offset of the frame whose header lines were pushed last.
    fn frame_start(&self) -> usize {
        self.lines.iter().rev().find(|l| l.depth == 0 && l.text.starts_with("FIN=")).map_or(0, |l| l.at)
    }

    /// Appends a data frame's payload to the message; a text message must be UTF-8 so far
    /// (a sequence may only be cut at a fragment's end), and whole when FIN=1.
    fn data(&mut self, f: &Frame, at: usize) -> Result<(), FrameError> {
        let (opcode, mut body, mut places) = self.partial.take().expect("a message in progress");
        places.push((body.len(), at));
        body.extend_from_slice(&f.payload);
        if opcode == TEXT
            && let Err(e) = std::str::from_utf8(&body)
            && (e.error_len().is_some() || f.fin)
        {
            let index = e.valid_up_to();
            let (start, offset) = places.iter().rev().find(|(s, _)| *s <= index).copied().unwrap_or((0, at));
            return Err(self.fail(
                offset + index - start,
                1007,
                "the text message is not valid UTF-8 from this byte on",
            ));
        }
        if f.fin {
            let text = match opcode {
                TEXT => format!("{:?}", String::from_utf8_lossy(&body)),
                _ => format!("{} bytes", body.len()),
            };
            let fragments =
                if places.len() > 1 { format!(" from {} fragments", places.len()) } else { String::new() };
            self.line(
                at + f.payload.len(),
                0,
                0,
                format!("= {} message{fragments}: {}", opcode_name(opcode), clip(&text)),
            );
        } else {
            self.partial = Some((opcode, body, places));
        }
        Ok(())
    }
}
// ANCHOR_END: decode

fn clip(text: &str) -> String {
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text.to_string()
    }
}

/// A payload as the byte view shows it: text when it is printable UTF-8, else a count.
fn preview(p: &[u8]) -> String {
    match std::str::from_utf8(p) {
        Ok(s) if !s.chars().any(char::is_control) => format!("{:?}", clip(s)),
        _ => {
            let hex: Vec<String> = p.iter().take(8).map(|b| format!("{b:02x}")).collect();
            format!("[{}{}]", hex.join(" "), if p.len() > 8 { " …" } else { "" })
        }
    }
}

/// Decodes every frame of `bytes`, sent by `sender`, narrating each field; stops at the first
/// error. A message still unfinished at the end is reported as incomplete (close code 1006).
pub fn narrate(bytes: &[u8], sender: Sender) -> (Vec<Line>, Result<Vec<Frame>, FrameError>) {
    let mut d = Decoder { bytes, sender, lines: Vec::new(), partial: None };
    let mut frames = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match d.frame(at) {
            Ok((frame, next)) => {
                frames.push(frame);
                at = next;
            }
            Err(e) => return (d.lines, Err(e)),
        }
    }
    if d.partial.is_some() {
        let e = d.fail(at, 1006, "incomplete: the fragmented message has not had its FIN=1 frame yet");
        return (d.lines, Err(e));
    }
    (d.lines, Ok(frames))
}

/// Decodes every frame of `bytes`.
pub fn decode(bytes: &[u8], sender: Sender) -> Result<Vec<Frame>, FrameError> {
    narrate(bytes, sender).1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
    }

    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// RFC 6455 §5.7, every example.
    #[test]
    fn rfc6455_section_5_7_examples() {
        // A single-frame unmasked text message.
        let hello = Frame::new(TEXT, b"Hello");
        assert_eq!(hex(&encode(&hello)), "81 05 48 65 6c 6c 6f");
        // A single-frame masked text message.
        let masked = hello.clone().masked(KEY);
        assert_eq!(hex(&encode(&masked)), "81 85 37 fa 21 3d 7f 9f 4d 51 58");
        assert_eq!(decode(&encode(&masked), Sender::Client).unwrap(), vec![masked]);
        // A fragmented unmasked text message: "Hel" then "lo".
        let first = Frame::new(TEXT, b"Hel").fragment();
        let second = Frame::new(CONTINUATION, b"lo");
        assert_eq!(hex(&encode(&first)), "01 03 48 65 6c");
        assert_eq!(hex(&encode(&second)), "80 02 6c 6f");
        // Unmasked ping, and the masked pong that answers it, both with "Hello".
        assert_eq!(hex(&encode(&Frame::new(PING, b"Hello"))), "89 05 48 65 6c 6c 6f");
        assert_eq!(hex(&encode(&Frame::new(PONG, b"Hello").masked(KEY))), "8a 85 37 fa 21 3d 7f 9f 4d 51 58");
        // 256 bytes of binary data in a single unmasked frame: 7e then 16 bits.
        let b256 = encode(&Frame::new(BINARY, &[0u8; 256]));
        assert_eq!(hex(&b256[..4]), "82 7e 01 00");
        assert_eq!(b256.len(), 4 + 256);
        // 64 KiB in a single unmasked frame: 7f then 64 bits.
        let b64k = encode(&Frame::new(BINARY, &vec![0u8; 65536]));
        assert_eq!(hex(&b64k[..10]), "82 7f 00 00 00 00 00 01 00 00");
        assert_eq!(b64k.len(), 10 + 65536);
        for bytes in [b256, b64k] {
            assert_eq!(decode(&bytes, Sender::Server).unwrap().len(), 1);
        }
        let mut stream = encode(&first);
        stream.extend(encode(&Frame::new(PING, b"")));
        stream.extend(encode(&second));
        let (lines, frames) = narrate(&stream, Sender::Server);
        assert_eq!(frames.unwrap().len(), 3);
        assert!(lines.iter().any(|l| l.text == "= text message from 2 fragments: \"Hello\""), "{lines:?}");
    }

    fn error(bytes: &[u8], sender: Sender) -> (usize, String, u16) {
        let e = decode(bytes, sender).unwrap_err();
        (e.offset, e.reason, e.close_code)
    }

    #[test]
    fn each_rule_fails_at_its_byte() {
        let s = Sender::Server;
        assert_eq!(error(&[0xC1, 0x00], s).0, 0); // RSV1
        assert!(error(&[0xC1, 0x00], s).1.contains("RSV=100"));
        assert!(error(&[0x83, 0x00], s).1.contains("0x3 is reserved"));
        assert_eq!(error(&[0x81, 0x85, 1, 2, 3, 4, 0, 0, 0, 0, 0], s).0, 1);
        assert_eq!(
            error(&[0x81, 0x05, b'H'], s),
            (2, "incomplete: the payload needs 5 bytes, 1 here; waiting for 4 more".into(), 1006)
        );
        assert_eq!(error(&[0x81, 0x00], Sender::Client).0, 1);
        assert_eq!(error(&[0x09, 0x00], s).1, "a control frame must not be fragmented (FIN=0)");
        let mut big_ping = vec![0x89, 0x7e, 0x00, 0x7e];
        big_ping.extend([0u8; 126]);
        assert_eq!(error(&big_ping, s).0, 1);
        assert!(error(&[0x82, 0x7e, 0x00, 0x05, 1, 2, 3, 4, 5], s).1.contains("shortest form"));
        assert_eq!(
            error(&[0x81, 0x02, 0xc3, 0x28], s),
            (2, "the text message is not valid UTF-8 from this byte on".into(), 1007)
        );
        // A 2-byte character cut between two fragments is fine; an invalid one is placed exactly.
        assert!(decode(&[0x01, 0x01, 0xc3, 0x80, 0x01, 0xa9], s).is_ok());
        assert_eq!(error(&[0x01, 0x01, 0xc3, 0x80, 0x01, 0x28], s).0, 2);
        assert_eq!(error(&[0x01, 0x01, 0x41, 0x80, 0x01, 0xff], s).0, 5);
        assert!(error(&[0x88, 0x02, 0x03, 0xee], s).1.starts_with("invalid close code 1006"));
        assert!(error(&[0x88, 0x01, 0x03], s).1.contains("1 byte"));
        assert_eq!(error(&[0x88, 0x03, 0x03, 0xe8, 0xff], s).0, 4);
        assert!(error(&[0x80, 0x00], s).1.contains("no message to continue"));
        assert!(error(&[0x01, 0x00, 0x81, 0x00], s).1.contains("unfinished"));
        assert!(error(&[0x01, 0x00], s).1.contains("has not had its FIN=1"));
        assert_eq!(error(&[0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0], s).0, 2);
        assert_eq!(error(&[0x82, 0x7f, 0, 0, 0, 0, 0x10, 0, 0, 0], s).2, 1009);
        assert_eq!(close_code(1000), Ok("normal closure"));
        assert!(close_code(2999).is_err() && close_code(4999).is_ok() && close_code(5000).is_err());
    }

    /// Whatever the bytes, the decoder returns (never panics), and what it accepts re-encodes
    /// to the same bytes. Half the inputs are random bytes; half are frames built with random
    /// lengths (all three length forms, up to 70,000 bytes) and then perhaps damaged.
    #[test]
    fn any_bytes_decode_or_fail_cleanly() {
        let mut rng = crate::rng::Rng::new(6455);
        let mut long = 0;
        for i in 0..3000 {
            let bytes: Vec<u8> = if i % 2 == 0 {
                let n = rng.range(0, 24) as usize;
                (0..n).map(|_| rng.range(0, 255) as u8).collect()
            } else {
                let len = match rng.range(0, 2) {
                    0 => rng.range(0, 125),
                    1 => rng.range(126, 65535),
                    _ => rng.range(65536, 70_000),
                } as usize;
                let opcode = [TEXT, BINARY, PING][rng.range(0, 2) as usize];
                let mut f = Frame::new(opcode, &vec![b'a'; len]);
                if rng.range(0, 1) == 1 {
                    f.mask = Some([1, 2, 3, 4].map(|_| rng.range(0, 255) as u8));
                }
                let mut b = encode(&f);
                if rng.range(0, 3) == 0 {
                    let at = rng.range(0, b.len().min(14) as u64 - 1) as usize;
                    b[at] ^= 1 << rng.range(0, 7);
                }
                b
            };
            for sender in [Sender::Client, Sender::Server] {
                if let Ok(frames) = decode(&bytes, sender) {
                    let again: Vec<u8> = frames.iter().flat_map(encode).collect();
                    assert_eq!(again, bytes);
                    long += frames.iter().filter(|f| f.payload.len() > 125).count();
                }
            }
        }
        assert!(long > 300, "only {long} frames with 16- or 64-bit lengths round-tripped");
    }
}
