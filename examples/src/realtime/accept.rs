//! The opening handshake of RFC 6455 §4: an HTTP/1.1 `GET` with `Upgrade: websocket`, and the
//! server's `101 Switching Protocols` whose `Sec-WebSocket-Accept` proves it read the key. The
//! accept value is base64(SHA-1(key + GUID)): the book's own SHA-1 (FIPS 180-4) and base64
//! (RFC 4648), so the browser runs the same code the loopback server uses.

use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "realtime::handshake",
    title: "The upgrade handshake: check a request, compute Sec-WebSocket-Accept, answer 101 or 400",
    file: file!(),
    default_input: DEFAULT,
    input_help: "an HTTP request (request line and header lines); requests separated by lines `---`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT: &str = "\
GET /chat HTTP/1.1
Host: server.example.com
Upgrade: websocket
Connection: Upgrade
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
Origin: http://example.com
Sec-WebSocket-Protocol: chat, superchat
Sec-WebSocket-Version: 13
---
GET /chat HTTP/1.1
Host: server.example.com
Upgrade: websocket
Connection: keep-alive, Upgrade
Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==
Sec-WebSocket-Version: 8
---
GET /chat HTTP/1.1
Host: server.example.com
Upgrade: websocket
Connection: Upgrade
Sec-WebSocket-Key: hello
Sec-WebSocket-Version: 13
";

/// RFC 6455 §1.3: the GUID every server appends to the client's key.
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// ANCHOR: sha1
/// SHA-1 (FIPS 180-4 §6.1). Broken for signatures since 2017, and irrelevant here: the accept
/// value is not a secret or a MAC, only proof that the server understood the handshake (a
/// plain HTTP server or a cache would never echo it).
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    // Padding: a 1 bit, zeros to 56 mod 64 bytes, then the length in bits as a big-endian u64.
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, &wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}
// ANCHOR_END: sha1

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 with padding (RFC 4648 §4): three bytes become four characters.
pub fn base64(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The bytes of a padded base64 string, or `None` when it is not one.
pub fn unbase64(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::new();
    for (i, quad) in bytes.chunks(4).enumerate() {
        let last = i + 1 == bytes.len() / 4;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = (n << 6) | ALPHABET.iter().position(|&a| a == c)? as u32;
        }
        n <<= 6 * pad as u32;
        let got = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&got[..3 - pad]);
    }
    Some(out)
}

// ANCHOR: accept
/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key` (RFC 6455 §4.2.2, step 5.4): the
/// key as the client sent it (base64 text, not decoded), the GUID appended, SHA-1, base64.
pub fn accept_key(key: &str) -> String {
    base64(&sha1(format!("{key}{GUID}").as_bytes()))
}
// ANCHOR_END: accept

/// A parsed request: its request line and its header fields in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub line: String,
    pub fields: Vec<(String, String)>,
}

impl Request {
    pub fn parse(text: &str) -> Result<Request, String> {
        Request::parse_lines(text).map_err(|(_, why)| why)
    }

    /// As `parse`, but an error also gives the index of the line at fault (0 for the first).
    pub fn parse_lines(text: &str) -> Result<Request, (usize, String)> {
        let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
        let line = lines.next().unwrap_or("").to_string();
        let mut fields = Vec::new();
        for (i, l) in lines.take_while(|l| !l.is_empty()).enumerate() {
            let (name, value) = l.split_once(':').ok_or((i + 1, format!("`{l}` is not a header field")))?;
            fields.push((name.trim().to_string(), value.trim().to_string()));
        }
        Ok(Request { line, fields })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether a comma-separated field holds `token` (case-insensitive), as
    /// `Connection: keep-alive, Upgrade` does.
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.get(name).is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    }
}

// ANCHOR: respond
/// What a server answers to an opening handshake (RFC 6455 §4.2.1 and §4.2.2): `101` with the
/// accept value, or a `400`/`426` naming the first rule the request breaks.
pub fn respond(request: &Request) -> Result<String, String> {
    let mut words = request.line.split_whitespace();
    if words.next() != Some("GET") {
        return Err("400: the handshake must be a GET".into());
    }
    let _target = words.next().ok_or("400: no request target")?;
    if words.next() != Some("HTTP/1.1") {
        return Err("400: the handshake needs HTTP/1.1 (RFC 8441 does it over HTTP/2 with CONNECT)".into());
    }
    if request.get("Host").is_none() {
        return Err("400: no Host field".into());
    }
    if !request.has_token("Upgrade", "websocket") {
        return Err("400: no `Upgrade: websocket`".into());
    }
    if !request.has_token("Connection", "Upgrade") {
        return Err("400: `Connection` does not list `Upgrade`".into());
    }
    if request.get("Sec-WebSocket-Version") != Some("13") {
        // §4.4: say which versions this server speaks, so the client can retry with one.
        return Err(
            "426 Upgrade Required, with `Sec-WebSocket-Version: 13`: only version 13 is spoken".into()
        );
    }
    let key = request.get("Sec-WebSocket-Key").ok_or("400: no Sec-WebSocket-Key")?;
    match unbase64(key) {
        Some(nonce) if nonce.len() == 16 => {}
        Some(nonce) => return Err(format!("400: the key decodes to {} bytes, not 16", nonce.len())),
        None => return Err(format!("400: the key `{key}` is not base64")),
    }
    let mut response = String::from("HTTP/1.1 101 Switching Protocols\r\n");
    response.push_str("Upgrade: websocket\r\nConnection: Upgrade\r\n");
    response.push_str(&format!("Sec-WebSocket-Accept: {}\r\n", accept_key(key)));
    // A subprotocol is chosen from the client's list, or none is named at all.
    if let Some(offered) = request.get("Sec-WebSocket-Protocol")
        && let Some(first) = offered.split(',').map(str::trim).find(|p| *p == "chat")
    {
        response.push_str(&format!("Sec-WebSocket-Protocol: {first}\r\n"));
    }
    response.push_str("\r\n");
    Ok(response)
}
// ANCHOR_END: respond

fn run(input: &str) -> Result<String, InputError> {
    let mut out = String::new();
    let mut start = 1;
    let mut cases = Vec::new();
    let mut case = String::new();
    for (i, line) in input.lines().enumerate() {
        if line.trim() == "---" {
            cases.push((start, std::mem::take(&mut case)));
            start = i + 2;
        } else {
            case.push_str(line);
            case.push('\n');
        }
    }
    cases.push((start, case));
    cases.retain(|(_, c)| !c.trim().is_empty());
    if cases.is_empty() {
        return Err(InputError::new("no request: write a GET with its header lines"));
    }
    if cases.len() > 10 {
        return Err(InputError::at_line(cases[10].0, "at most 10 requests"));
    }
    for (n, (line, text)) in cases.iter().enumerate() {
        let skipped = text[..text.len() - text.trim_start().len()].matches('\n').count();
        let request = Request::parse_lines(text.trim_start())
            .map_err(|(at, e)| InputError::at_line(line + skipped + at, e))?;
        if n > 0 {
            out.push_str("---\n");
        }
        out.push_str(&format!("request {} (line {line}): {}\n", n + 1, request.line));
        if let Some(key) = request.get("Sec-WebSocket-Key") {
            out.push_str(&format!("  key + GUID      = {key}{GUID}\n"));
            let digest = sha1(format!("{key}{GUID}").as_bytes());
            let hex: Vec<String> = digest.iter().map(|b| format!("{b:02x}")).collect();
            out.push_str(&format!("  SHA-1           = {}\n", hex.join(" ")));
            out.push_str(&format!("  base64          = {}\n", base64(&digest)));
        }
        match respond(&request) {
            Ok(response) => {
                out.push_str("answer:\n");
                for l in response.lines() {
                    out.push_str(&format!("  {l}\n"));
                }
            }
            Err(why) => out.push_str(&format!("refused: {why}\n")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// FIPS 180-2 appendix A's examples (and RFC 3174's test 1 to 3).
    #[test]
    fn sha1_matches_the_standard_examples() {
        assert_eq!(hex(&sha1(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(hex(&sha1(&vec![b'a'; 1_000_000])), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    }

    /// RFC 4648 §10's test vectors, both ways.
    #[test]
    fn base64_matches_rfc_4648() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
            assert_eq!(unbase64(coded).unwrap(), plain.as_bytes());
        }
        assert_eq!(unbase64("Zm9=v"), None);
        assert_eq!(unbase64("Zg=a"), None);
    }

    /// RFC 6455 §1.3: key dGhlIHNhbXBsZSBub25jZQ== gives s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
    #[test]
    fn rfc6455_accept_key_example() {
        assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(
            hex(&sha1(format!("dGhlIHNhbXBsZSBub25jZQ=={GUID}").as_bytes())),
            "b37a4f2cc0624f1690f64606cf385945b2bec4ea"
        );
        let out = run(DEFAULT).unwrap();
        assert!(out.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{out}");
        assert!(out.contains("refused: 426"), "{out}");
        assert!(out.contains("refused: 400: the key `hello` is not base64"), "{out}");
    }

    #[test]
    fn input_errors_name_their_line() {
        assert!(run("").is_err());
        assert_eq!(run("GET / HTTP/1.1\nHost x\n").unwrap_err().line, Some(2));
        assert_eq!(
            run("GET / HTTP/1.1\nHost: x\n---\n\nGET / HTTP/1.1\nHost: x\nUpgrade\n").unwrap_err().line,
            Some(7)
        );
    }
}
