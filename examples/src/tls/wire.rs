//! The book's own decoder of TLS records and of the two hello messages (RFC 8446 §4.1.2,
//! §4.1.3, §5.1; TLS 1.2's framing is the same, RFC 5246 §6.2 and §7.4). It narrates: every
//! field becomes a line with its offset, length and meaning, and the first byte that breaks the
//! format stops it with that offset and the rule it broke. Other handshake messages are named
//! with their length; encrypted records are opaque to anyone without the keys, this decoder too.

/// Where a decoding stopped, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub offset: usize,
    pub reason: String,
}

/// One narrated field: its offset, its length, how deep it sits, and what it means.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub at: usize,
    pub len: usize,
    pub depth: usize,
    pub text: String,
}

/// What a hello said, for callers that want facts rather than lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hello {
    pub client: bool,
    pub cipher_suites: Vec<u16>,
    pub extensions: Vec<u16>,
    pub server_name: Option<String>,
    pub alpn: Vec<String>,
    pub versions: Vec<u16>,
    pub key_share_groups: Vec<u16>,
    pub session_id_len: usize,
}

/// One record: its content type and, for handshake records, its messages (type, hello).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub content_type: u8,
    pub len: usize,
    pub messages: Vec<(u8, Option<Hello>)>,
}

pub fn content_type_name(t: u8) -> &'static str {
    match t {
        20 => "change_cipher_spec",
        21 => "alert",
        22 => "handshake",
        23 => "application_data",
        _ => "unknown",
    }
}

pub fn handshake_name(t: u8) -> &'static str {
    match t {
        1 => "ClientHello",
        2 => "ServerHello",
        4 => "NewSessionTicket",
        5 => "EndOfEarlyData",
        8 => "EncryptedExtensions",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        20 => "Finished",
        24 => "KeyUpdate",
        _ => "unknown handshake type",
    }
}

pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        v if is_grease(v) => "GREASE".into(),
        v => format!("unknown version 0x{v:04x}"),
    }
}

/// RFC 8701's reserved values 0x0a0a, 0x1a1a, ... 0xfafa, which clients send to keep servers
/// tolerant of values they do not know.
fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

pub fn suite_name(s: u16) -> String {
    let name = match s {
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x000a => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        s if is_grease(s) => "GREASE",
        _ => return format!("unknown suite 0x{s:04x}"),
    };
    name.into()
}

pub fn group_name(g: u16) -> String {
    let name = match g {
        0x0017 => "secp256r1",
        0x0018 => "secp384r1",
        0x0019 => "secp521r1",
        0x001d => "x25519",
        0x001e => "x448",
        0x0100 => "ffdhe2048",
        0x0101 => "ffdhe3072",
        0x0102 => "ffdhe4096",
        0x0103 => "ffdhe6144",
        0x0104 => "ffdhe8192",
        0x11ec => "X25519MLKEM768",
        g if is_grease(g) => "GREASE",
        _ => return format!("unknown group 0x{g:04x}"),
    };
    name.into()
}

fn sigalg_name(s: u16) -> String {
    let name = match s {
        0x0401 => "rsa_pkcs1_sha256",
        0x0501 => "rsa_pkcs1_sha384",
        0x0601 => "rsa_pkcs1_sha512",
        0x0201 => "rsa_pkcs1_sha1 (legacy)",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0203 => "ecdsa_sha1 (legacy)",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        0x0402 | 0x0502 | 0x0602 | 0x0202 => "dsa (TLS 1.2 only, obsolete)",
        _ => return format!("unknown 0x{s:04x}"),
    };
    name.into()
}

pub fn extension_name(e: u16) -> String {
    let name = match e {
        0 => "server_name (SNI, RFC 6066)",
        5 => "status_request (OCSP stapling)",
        10 => "supported_groups",
        11 => "ec_point_formats",
        13 => "signature_algorithms",
        16 => "application_layer_protocol_negotiation (ALPN, RFC 7301)",
        18 => "signed_certificate_timestamp",
        21 => "padding",
        23 => "extended_master_secret",
        28 => "record_size_limit",
        35 => "session_ticket",
        41 => "pre_shared_key",
        42 => "early_data",
        43 => "supported_versions",
        44 => "cookie",
        45 => "psk_key_exchange_modes",
        51 => "key_share",
        0xfe0d => "encrypted_client_hello (ECH)",
        0xff01 => "renegotiation_info",
        e if is_grease(e) => "GREASE",
        _ => return format!("unknown extension {e}"),
    };
    name.into()
}

/// The SHA-256 of "HelloRetryRequest": a ServerHello with this random is a retry request.
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2,
    0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// A cursor over `buf[pos..end]` that narrates what it reads.
struct Cur<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Cur<'a> {
    fn need(&self, n: usize, what: &str) -> Result<(), ParseError> {
        if self.end - self.pos < n {
            let left = self.end - self.pos;
            Err(ParseError {
                offset: self.pos,
                reason: format!("{what} needs {n} byte(s) but only {left} remain in its enclosing field"),
            })
        } else {
            Ok(())
        }
    }
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ParseError> {
        self.need(n, what)?;
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self, what: &str) -> Result<u8, ParseError> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16, ParseError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u24(&mut self, what: &str) -> Result<usize, ParseError> {
        let b = self.take(3, what)?;
        Ok((b[0] as usize) << 16 | (b[1] as usize) << 8 | b[2] as usize)
    }
    /// A sub-cursor over the next `n` bytes, which this one skips.
    fn sub(&mut self, n: usize, what: &str) -> Result<Cur<'a>, ParseError> {
        self.need(n, what)?;
        let c = Cur { buf: self.buf, pos: self.pos, end: self.pos + n };
        self.pos += n;
        Ok(c)
    }
    fn left(&self) -> usize {
        self.end - self.pos
    }
}

struct Narrator {
    lines: Vec<Line>,
}

impl Narrator {
    fn say(&mut self, at: usize, len: usize, depth: usize, text: impl Into<String>) {
        self.lines.push(Line { at, len, depth, text: text.into() });
    }
}

/// Decodes a run of records, narrating every field; stops at the first error.
pub fn narrate(bytes: &[u8]) -> (Vec<Line>, Result<Vec<Record>, ParseError>) {
    let mut n = Narrator { lines: Vec::new() };
    let result = records(bytes, &mut n);
    (n.lines, result)
}

fn records(bytes: &[u8], n: &mut Narrator) -> Result<Vec<Record>, ParseError> {
    let mut c = Cur { buf: bytes, pos: 0, end: bytes.len() };
    let mut out = Vec::new();
    if bytes.is_empty() {
        return Err(ParseError { offset: 0, reason: "no bytes".into() });
    }
    // After a change_cipher_spec a TLS 1.2 sender's records are encrypted, whatever their type
    // says (TLS 1.2's Finished is an encrypted handshake record). In TLS 1.3 the CCS is a no-op,
    // and a second, plaintext ClientHello may follow it (after a HelloRetryRequest), so a CCS
    // counts only while no hello in the stream offered or chose TLS 1.3.
    let mut after_ccs = false;
    let mut saw_13 = false;
    while c.left() > 0 {
        let start = c.pos;
        let t = c.u8("record content type")?;
        if !(20..=23).contains(&t) {
            return Err(ParseError {
                offset: start,
                reason: format!(
                    "content type {t} (0x{t:02x}) is not a TLS record type (20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data)"
                ),
            });
        }
        n.say(start, 1, 0, format!("record: content type {t} = {}", content_type_name(t)));
        let v = c.u16("record legacy_record_version")?;
        n.say(
            start + 1,
            2,
            1,
            format!("legacy_record_version 0x{v:04x} ({}); ignored in TLS 1.3", version_name(v)),
        );
        let len = c.u16("record length")? as usize;
        let protected = t == 23 || after_ccs;
        if protected && len > (1 << 14) + 256 {
            return Err(ParseError {
                offset: start + 3,
                reason: format!(
                    "record length {len} exceeds 2^14 + 256 = 16640, the most a protected record may carry (RFC 8446 §5.2)"
                ),
            });
        }
        if !protected && len > 1 << 14 {
            return Err(ParseError {
                offset: start + 3,
                reason: format!(
                    "record length {len} exceeds 2^14 = 16384, the most a plaintext record may carry (RFC 8446 §5.1)"
                ),
            });
        }
        n.say(start + 3, 2, 1, format!("length {len}: the record's payload follows"));
        let mut body = c.sub(len, &format!("the record's payload of {len} bytes"))?;
        let mut record = Record { content_type: t, len, messages: Vec::new() };
        match t {
            22 if after_ccs => {
                n.say(body.pos, len, 1, format!("{len} encrypted bytes: a handshake message sent after change_cipher_spec (TLS 1.2's Finished)"));
                body.take(len, "encrypted handshake")?;
            }
            22 => {
                while body.left() > 0 {
                    let m = handshake(&mut body, n)?;
                    if m.1.as_ref().is_some_and(|h| h.versions.contains(&0x0304)) {
                        saw_13 = true;
                    }
                    record.messages.push(m);
                }
            }
            20 => {
                let at = body.pos;
                let b = body.take(len, "change_cipher_spec")?;
                n.say(
                    at,
                    len,
                    1,
                    format!("change_cipher_spec {b:02x?}; in TLS 1.3 only a middlebox-compatibility no-op"),
                );
                after_ccs = !saw_13;
            }
            21 if len == 2 => {
                let at = body.pos;
                let b = body.take(2, "alert")?;
                n.say(at, 2, 1, format!("alert level {} description {} (plaintext alert)", b[0], b[1]));
            }
            _ => n.say(
                body.pos,
                len,
                1,
                format!("{len} encrypted bytes (AEAD ciphertext + 16-byte tag): opaque without the keys"),
            ),
        }
        out.push(record);
    }
    Ok(out)
}

fn handshake(c: &mut Cur, n: &mut Narrator) -> Result<(u8, Option<Hello>), ParseError> {
    let start = c.pos;
    let t = c.u8("handshake type")?;
    n.say(start, 1, 1, format!("handshake type {t} = {}", handshake_name(t)));
    let len = c.u24("handshake length")?;
    n.say(start + 1, 3, 2, format!("length {len}"));
    let mut body = c.sub(len, &format!("the {} body of {len} bytes", handshake_name(t)))?;
    let hello = match t {
        1 | 2 => Some(hello(&mut body, t == 1, n)?),
        _ => {
            n.say(
                body.pos,
                len,
                2,
                format!("{len} bytes of {} (not decoded further here)", handshake_name(t)),
            );
            None
        }
    };
    Ok((t, hello))
}

fn hello(c: &mut Cur, client: bool, n: &mut Narrator) -> Result<Hello, ParseError> {
    let mut h = Hello { client, ..Hello::default() };
    let at = c.pos;
    let v = c.u16("legacy_version")?;
    n.say(
        at,
        2,
        2,
        format!(
            "legacy_version 0x{v:04x} ({}); TLS 1.3 says 1.2 here, the real version is in supported_versions",
            version_name(v)
        ),
    );
    let at = c.pos;
    let random = c.take(32, "random")?;
    if !client && random == HRR_RANDOM {
        n.say(
            at,
            32,
            2,
            "random = SHA-256(\"HelloRetryRequest\"): this is a HelloRetryRequest, not a ServerHello",
        );
    } else if !client && (random.ends_with(b"DOWNGRD\x01") || random.ends_with(b"DOWNGRD\x00")) {
        n.say(
            at,
            32,
            2,
            format!(
                "random: 24 random bytes, then \"DOWNGRD\" and 0x{:02x}: a TLS 1.3 server negotiating {} (RFC 8446 §4.1.3); a 1.3 client that sees this aborts, which defeats downgrade attacks",
                random[31],
                if random[31] == 1 { "TLS 1.2" } else { "TLS 1.1 or below" }
            ),
        );
    } else {
        n.say(at, 32, 2, "random: 32 bytes from the sender's CSPRNG (fresh per handshake)");
    }
    let at = c.pos;
    let sid_len = c.u8("legacy_session_id length")? as usize;
    if sid_len > 32 {
        return Err(ParseError {
            offset: at,
            reason: format!("legacy_session_id length {sid_len} is over 32"),
        });
    }
    c.take(sid_len, "legacy_session_id")?;
    h.session_id_len = sid_len;
    n.say(
        at,
        1 + sid_len,
        2,
        format!("legacy_session_id: {sid_len} bytes (TLS 1.2 resumption id; 1.3 echoes it for middleboxes)"),
    );
    if client {
        let at = c.pos;
        let len = c.u16("cipher_suites length")? as usize;
        if len == 0 || !len.is_multiple_of(2) {
            return Err(ParseError {
                offset: at,
                reason: format!("cipher_suites length {len} must be even and non-zero (2 bytes per suite)"),
            });
        }
        n.say(at, 2, 2, format!("cipher_suites: {len} bytes = {} suites", len / 2));
        let mut s = c.sub(len, "cipher_suites")?;
        while s.left() > 0 {
            let at = s.pos;
            let suite = s.u16("cipher suite")?;
            h.cipher_suites.push(suite);
            n.say(at, 2, 3, format!("0x{suite:04x} {}", suite_name(suite)));
        }
        let at = c.pos;
        let len = c.u8("legacy_compression_methods length")? as usize;
        let methods = c.take(len, "legacy_compression_methods")?;
        if !methods.contains(&0) {
            return Err(ParseError {
                offset: at,
                reason: "legacy_compression_methods must include 0 (null)".into(),
            });
        }
        n.say(
            at,
            1 + len,
            2,
            format!(
                "legacy_compression_methods {methods:02x?}: only null; compression was dropped after CRIME"
            ),
        );
    } else {
        let at = c.pos;
        let suite = c.u16("cipher_suite")?;
        h.cipher_suites.push(suite);
        n.say(at, 2, 2, format!("cipher_suite 0x{suite:04x} {}: the server's choice", suite_name(suite)));
        let at = c.pos;
        let m = c.u8("legacy_compression_method")?;
        if m != 0 {
            return Err(ParseError {
                offset: at,
                reason: format!("legacy_compression_method {m} must be 0"),
            });
        }
        n.say(at, 1, 2, "legacy_compression_method 0 (null)");
    }
    if c.left() == 0 {
        n.say(c.pos, 0, 2, "no extensions: a TLS 1.2-or-older hello");
        return Ok(h);
    }
    let at = c.pos;
    let len = c.u16("extensions length")? as usize;
    n.say(at, 2, 2, format!("extensions: {len} bytes"));
    let mut exts = c.sub(len, "extensions")?;
    while exts.left() > 0 {
        let at = exts.pos;
        let t = exts.u16("extension type")?;
        if h.extensions.contains(&t) && !is_grease(t) {
            return Err(ParseError {
                offset: at,
                reason: format!("extension {} appears twice (RFC 8446 §4.2 forbids it)", extension_name(t)),
            });
        }
        h.extensions.push(t);
        let elen = exts.u16("extension length")? as usize;
        n.say(at, 4, 3, format!("extension 0x{t:04x} {}, {elen} bytes", extension_name(t)));
        let mut e = exts.sub(elen, &format!("extension {}'s {elen} bytes", extension_name(t)))?;
        extension(t, &mut e, client, &mut h, n)?;
        if e.left() > 0 {
            return Err(ParseError {
                offset: e.pos,
                reason: format!("{} byte(s) left over inside extension {}", e.left(), extension_name(t)),
            });
        }
    }
    if c.left() > 0 {
        return Err(ParseError {
            offset: c.pos,
            reason: format!("{} byte(s) after the extensions, inside the hello", c.left()),
        });
    }
    Ok(h)
}

/// A u16-length-prefixed list of u16 values, each narrated with `name`.
fn u16_list(
    e: &mut Cur,
    what: &str,
    name: fn(u16) -> String,
    n: &mut Narrator,
) -> Result<Vec<u16>, ParseError> {
    let at = e.pos;
    let len = e.u16(&format!("{what} length"))? as usize;
    if !len.is_multiple_of(2) {
        return Err(ParseError {
            offset: at,
            reason: format!("{what} length {len} is odd; entries are 2 bytes"),
        });
    }
    n.say(at, 2, 4, format!("{what}: {} entries", len / 2));
    let mut l = e.sub(len, what)?;
    let mut out = Vec::new();
    while l.left() > 0 {
        let at = l.pos;
        let v = l.u16(what)?;
        n.say(at, 2, 5, format!("0x{v:04x} {}", name(v)));
        out.push(v);
    }
    Ok(out)
}

fn extension(t: u16, e: &mut Cur, client: bool, h: &mut Hello, n: &mut Narrator) -> Result<(), ParseError> {
    match t {
        0 if e.left() > 0 => {
            let at = e.pos;
            let len = e.u16("server_name_list length")? as usize;
            n.say(at, 2, 4, format!("server_name_list: {len} bytes"));
            let mut l = e.sub(len, "server_name_list")?;
            while l.left() > 0 {
                let at = l.pos;
                let kind = l.u8("name_type")?;
                let nlen = l.u16("host_name length")? as usize;
                let name = l.take(nlen, "host_name")?;
                let name = String::from_utf8_lossy(name).into_owned();
                if kind != 0 {
                    return Err(ParseError {
                        offset: at,
                        reason: format!("name_type {kind}: only 0 (host_name) is defined"),
                    });
                }
                n.say(
                    at,
                    3 + nlen,
                    5,
                    format!(
                        "host_name \"{name}\": sent in clear, so on-path observers see it (ECH hides it)"
                    ),
                );
                h.server_name = Some(name);
            }
        }
        10 => {
            u16_list(e, "named groups", group_name, n)?;
        }
        13 => {
            u16_list(e, "signature schemes", sigalg_name, n)?;
        }
        16 => {
            let at = e.pos;
            let len = e.u16("protocol_name_list length")? as usize;
            n.say(at, 2, 4, format!("protocol_name_list: {len} bytes"));
            let mut l = e.sub(len, "protocol_name_list")?;
            while l.left() > 0 {
                let at = l.pos;
                let plen = l.u8("protocol name length")? as usize;
                if plen == 0 {
                    return Err(ParseError {
                        offset: at,
                        reason: "an ALPN protocol name may not be empty".into(),
                    });
                }
                let p = String::from_utf8_lossy(l.take(plen, "protocol name")?).into_owned();
                n.say(at, 1 + plen, 5, format!("\"{p}\""));
                h.alpn.push(p);
            }
        }
        43 if client => {
            let at = e.pos;
            let len = e.u8("supported_versions length")? as usize;
            if !len.is_multiple_of(2) {
                return Err(ParseError {
                    offset: at,
                    reason: format!("supported_versions length {len} is odd"),
                });
            }
            n.say(at, 1, 4, format!("versions: {} offered, most preferred first", len / 2));
            let mut l = e.sub(len, "supported_versions")?;
            while l.left() > 0 {
                let at = l.pos;
                let v = l.u16("version")?;
                n.say(at, 2, 5, format!("0x{v:04x} {}", version_name(v)));
                h.versions.push(v);
            }
        }
        43 => {
            let at = e.pos;
            let v = e.u16("selected_version")?;
            n.say(
                at,
                2,
                4,
                format!("selected_version 0x{v:04x} {}: the version really spoken", version_name(v)),
            );
            h.versions.push(v);
        }
        51 if client => {
            let at = e.pos;
            let len = e.u16("client_shares length")? as usize;
            n.say(at, 2, 4, format!("client_shares: {len} bytes"));
            let mut l = e.sub(len, "client_shares")?;
            while l.left() > 0 {
                key_share_entry(&mut l, h, n)?;
            }
        }
        51 if e.left() == 2 => {
            let at = e.pos;
            let g = e.u16("selected_group")?;
            n.say(
                at,
                2,
                4,
                format!("selected_group 0x{g:04x} {}: send a share for this one, please", group_name(g)),
            );
        }
        51 => key_share_entry(e, h, n)?,
        45 => {
            let at = e.pos;
            let len = e.u8("ke_modes length")? as usize;
            let modes = e.take(len, "ke_modes")?;
            let names: Vec<&str> = modes
                .iter()
                .map(|m| match m {
                    0 => "psk_ke",
                    1 => "psk_dhe_ke",
                    _ => "unknown",
                })
                .collect();
            n.say(
                at,
                1 + len,
                4,
                format!(
                    "modes {}: resume with a ticket, {}",
                    names.join(", "),
                    if modes.contains(&1) {
                        "plus a fresh (EC)DHE for forward secrecy"
                    } else {
                        "without (EC)DHE"
                    }
                ),
            );
        }
        28 => {
            let at = e.pos;
            let v = e.u16("record_size_limit")?;
            n.say(at, 2, 4, format!("record_size_limit {v} bytes"));
        }
        0xff01 => {
            let at = e.pos;
            let len = e.u8("renegotiated_connection length")? as usize;
            e.take(len, "renegotiated_connection")?;
            n.say(
                at,
                1 + len,
                4,
                format!("renegotiated_connection: {len} bytes (empty on a first handshake; RFC 5746)"),
            );
        }
        _ => {
            let at = e.pos;
            let len = e.left();
            e.take(len, "extension data")?;
            if len > 0 {
                n.say(at, len, 4, format!("{len} bytes (not decoded here)"));
            } else {
                n.say(at, 0, 4, "empty: its presence is the message");
            }
        }
    }
    Ok(())
}

fn key_share_entry(l: &mut Cur, h: &mut Hello, n: &mut Narrator) -> Result<(), ParseError> {
    let at = l.pos;
    let g = l.u16("key share group")?;
    let klen = l.u16("key_exchange length")? as usize;
    l.take(klen, "key_exchange")?;
    let expect = match g {
        0x001d => Some(32),
        0x001e => Some(56),
        0x0017 => Some(65),
        0x0018 => Some(97),
        0x0019 => Some(133),
        _ => None,
    };
    if let Some(want) = expect.filter(|w| *w != klen) {
        return Err(ParseError {
            offset: at + 2,
            reason: format!("a {} key share is {want} bytes, this one says {klen}", group_name(g)),
        });
    }
    n.say(
        at,
        4 + klen,
        5,
        format!("{} public key, {klen} bytes (ephemeral: a new one every handshake)", group_name(g)),
    );
    h.key_share_groups.push(g);
    Ok(())
}

// ANCHOR: encoder
/// A u16-length-prefixed vector (TLS's `opaque x<0..2^16-1>`).
pub fn vec16(body: &[u8]) -> Vec<u8> {
    let mut v = (body.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(body);
    v
}

/// A u8-length-prefixed vector (`opaque x<0..255>`).
pub fn vec8(body: &[u8]) -> Vec<u8> {
    let mut v = vec![body.len() as u8];
    v.extend_from_slice(body);
    v
}

/// A list of u16 values (suites, groups, signature schemes) as big-endian bytes.
pub fn u16s(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// A ClientHello record built from its fields: the inverse of the decoder above. Each extension
/// is its type and its already-encoded payload, in the order given.
pub fn encode_client_hello(
    random: &[u8; 32],
    session_id: &[u8],
    suites: &[u16],
    extensions: &[(u16, Vec<u8>)],
) -> Vec<u8> {
    let mut body = 0x0303u16.to_be_bytes().to_vec(); // legacy_version: "TLS 1.2"
    body.extend_from_slice(random);
    body.extend(vec8(session_id));
    body.extend(vec16(&u16s(suites)));
    body.extend(vec8(&[0])); // legacy_compression_methods: null only
    let exts: Vec<u8> = extensions
        .iter()
        .flat_map(|(t, payload)| [t.to_be_bytes().to_vec(), vec16(payload)].concat())
        .collect();
    body.extend(vec16(&exts));
    let mut message = vec![1]; // handshake type ClientHello
    message.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]); // 3-byte length
    message.extend(body);
    let mut record = vec![22, 0x03, 0x01]; // handshake record, legacy_record_version "TLS 1.0"
    record.extend(vec16(&message));
    record
}
// ANCHOR_END: encoder

#[cfg(test)]
mod tests {
    use super::super::crypto::unhex;
    use super::super::rfc8448;
    use super::*;

    /// Every field of RFC 8448's ClientHello, as §3 of the RFC lists it.
    #[test]
    fn decodes_rfc_8448_client_hello() {
        let bytes = unhex(rfc8448::CLIENT_HELLO_RECORD).unwrap();
        assert_eq!(bytes.len(), 201);
        let (lines, result) = narrate(&bytes);
        let records = result.unwrap();
        assert_eq!(records.len(), 1);
        let (t, hello) = &records[0].messages[0];
        assert_eq!(*t, 1);
        let h = hello.as_ref().unwrap();
        assert_eq!(h.cipher_suites, vec![0x1301, 0x1303, 0x1302]);
        assert_eq!(h.server_name.as_deref(), Some("server"));
        assert_eq!(h.versions, vec![0x0304]);
        assert_eq!(h.key_share_groups, vec![0x001d]);
        assert_eq!(h.session_id_len, 0);
        assert_eq!(h.extensions, vec![0, 0xff01, 10, 35, 51, 43, 13, 45, 28]);
        assert!(h.alpn.is_empty());
        // The key share's public key sits at offset 5 + 4 + 2 + 32 + 1 + 8 + 2 + 2 + ... : find its line.
        let ks = lines.iter().find(|l| l.text.starts_with("x25519 public key")).unwrap();
        assert_eq!(&bytes[ks.at + 4..ks.at + 8], &[0x99, 0x38, 0x1d, 0xe5]);
        assert!(lines.iter().any(|l| l.text == "0x0403 ecdsa_secp256r1_sha256"));
        assert!(lines.iter().any(|l| l.text == "record_size_limit 16385 bytes"));
    }

    #[test]
    fn decodes_rfc_8448_server_hello() {
        let bytes = unhex(rfc8448::SERVER_HELLO_RECORD).unwrap();
        let (_, result) = narrate(&bytes);
        let h = result.unwrap()[0].messages[0].1.clone().unwrap();
        assert!(!h.client);
        assert_eq!(h.cipher_suites, vec![0x1301]);
        assert_eq!(h.versions, vec![0x0304]);
        assert_eq!(h.key_share_groups, vec![0x001d]);
    }

    #[test]
    fn exact_errors_name_the_offset() {
        let good = unhex(rfc8448::CLIENT_HELLO_RECORD).unwrap();
        // Cut short: the record promises 196 bytes.
        let (_, r) = narrate(&good[..100]);
        let e = r.unwrap_err();
        assert_eq!(e.offset, 5);
        // Not a record type.
        let mut bad = good.clone();
        bad[0] = 0x47; // "G", as in an HTTP "GET" sent to a TLS port
        assert_eq!(narrate(&bad).1.unwrap_err().offset, 0);
        // An odd cipher_suites length.
        let mut bad = good.clone();
        bad[5 + 4 + 2 + 32 + 1 + 1] = 5;
        let e = narrate(&bad).1.unwrap_err();
        assert_eq!(e.offset, 44);
        assert!(e.reason.contains("even"), "{}", e.reason);
        // A key share whose length does not fit x25519.
        let ks = good.windows(4).position(|w| w == [0x00, 0x1d, 0x00, 0x20]).unwrap();
        let mut bad = good.clone();
        bad[ks + 3] = 0x1f;
        assert!(narrate(&bad).1.is_err());
    }

    /// The encoder rebuilds RFC 8448's ClientHello byte for byte from its fields.
    #[test]
    fn encoder_rebuilds_rfc_8448_client_hello() {
        let random: [u8; 32] = unhex("cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7")
            .unwrap()
            .try_into()
            .unwrap();
        let key = unhex("99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c").unwrap();
        let server_name = vec16(&[vec![0], vec16(b"server")].concat()); // host_name "server"
        let groups = vec16(&u16s(&[0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104]));
        let key_share = vec16(&[u16s(&[0x1d]), vec16(&key)].concat()); // one x25519 share
        let schemes = vec16(&u16s(&[
            0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0402,
            0x0502, 0x0602, 0x0202,
        ]));
        let record = encode_client_hello(
            &random,
            &[],
            &[0x1301, 0x1303, 0x1302],
            &[
                (0, server_name),
                (0xff01, vec8(&[])), // renegotiation_info, empty
                (10, groups),
                (35, vec![]), // session_ticket, empty
                (51, key_share),
                (43, vec8(&u16s(&[0x0304]))), // supported_versions: TLS 1.3
                (13, schemes),
                (45, vec8(&[1])),      // psk_key_exchange_modes: psk_dhe_ke
                (28, u16s(&[0x4001])), // record_size_limit 16385
            ],
        );
        assert_eq!(record.len() - 5, 196);
        assert_eq!(record, unhex(rfc8448::CLIENT_HELLO_RECORD).unwrap());
    }

    /// Plaintext records stop at 2^14 bytes, protected ones at 2^14 + 256.
    #[test]
    fn record_size_limits_depend_on_protection() {
        let e = narrate(&unhex("16 03 03 40 01").unwrap()).1.unwrap_err();
        assert!(e.reason.contains("5.1"), "{}", e.reason);
        let e = narrate(&unhex("17 03 03 40 01").unwrap()).1.unwrap_err();
        assert!(!e.reason.contains("exceeds"), "{}", e.reason); // 16385 is fine when protected
        let e = narrate(&unhex("17 03 03 41 01").unwrap()).1.unwrap_err();
        assert!(e.reason.contains("5.2"), "{}", e.reason);
    }

    /// A CCS makes the next handshake record opaque in TLS 1.2, but not after a 1.3 hello (the
    /// second ClientHello after a HelloRetryRequest is plaintext).
    #[test]
    fn change_cipher_spec_means_encrypted_only_in_tls_1_2() {
        let ccs = unhex("14 03 03 00 01 01").unwrap();
        let tls12 = [
            unhex("16 03 03 00 04 10 00 00 00").unwrap(),
            ccs.clone(),
            unhex("16 03 03 00 04 aa bb cc dd").unwrap(),
        ]
        .concat();
        let r = narrate(&tls12).1.unwrap();
        assert!(r[2].messages.is_empty());
        let hello = unhex(rfc8448::CLIENT_HELLO_RECORD).unwrap();
        let retry = [hello.clone(), ccs, hello].concat();
        let r = narrate(&retry).1.unwrap();
        assert_eq!(r[2].messages[0].0, 1);
    }

    /// The page's "things to try": drop the 15-byte SNI extension, lower the three lengths by 15.
    #[test]
    fn client_hello_without_sni_still_decodes() {
        let good = unhex(rfc8448::CLIENT_HELLO_RECORD).unwrap();
        let sni = unhex("0000000b0009000006736572766572").unwrap();
        let at = good.windows(sni.len()).position(|w| w == sni).unwrap();
        let mut b = [&good[..at], &good[at + 15..]].concat();
        b[4] -= 15; // record length 0x00c4
        b[8] -= 15; // handshake length 0x0000c0
        b[5 + 4 + 2 + 32 + 1 + 2 + 6 + 2 + 1] -= 15; // extensions length 0x0091
        let records = narrate(&b).1.unwrap();
        let h = records[0].messages[0].1.clone().unwrap();
        assert_eq!(h.server_name, None);
        assert_eq!(h.extensions.len(), 8);
    }

    /// Every single-byte change and every cut of the ClientHello decodes or fails cleanly.
    #[test]
    fn mutations_never_panic() {
        let good = unhex(rfc8448::CLIENT_HELLO_RECORD).unwrap();
        for i in 0..good.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut b = good.clone();
                b[i] = v;
                let _ = narrate(&b);
            }
            let _ = narrate(&good[..i]);
        }
    }
}
