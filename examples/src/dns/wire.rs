//! The DNS message format of RFC 1035 §4.1: the book's own encoder (with name compression,
//! §4.1.4) and decoder (which follows compression pointers and names the offset and the reason
//! of the first byte it cannot accept). The decoder can also narrate every field it reads: that
//! is the byte view of the page.

use std::collections::HashMap;
use std::fmt;

pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_MX: u16 = 15;
pub const TYPE_TXT: u16 = 16;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_SRV: u16 = 33;
pub const TYPE_OPT: u16 = 41;
pub const CLASS_IN: u16 = 1;

pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_FORMERR: u8 = 1;
pub const RCODE_NXDOMAIN: u8 = 3;
pub const RCODE_REFUSED: u8 = 5;

/// The longest label (RFC 1035 §2.3.4): its length byte has two high bits 00, so ≤ 63.
pub const MAX_LABEL: usize = 63;
/// The longest name in wire form, length bytes and the final zero included (§2.3.4).
pub const MAX_NAME: usize = 255;

/// The name of a type number, or `TYPE1234` (RFC 3597's spelling) for the others.
pub fn type_name(t: u16) -> String {
    match t {
        TYPE_A => "A".into(),
        TYPE_NS => "NS".into(),
        TYPE_CNAME => "CNAME".into(),
        TYPE_SOA => "SOA".into(),
        TYPE_PTR => "PTR".into(),
        TYPE_MX => "MX".into(),
        TYPE_TXT => "TXT".into(),
        TYPE_AAAA => "AAAA".into(),
        TYPE_SRV => "SRV".into(),
        TYPE_OPT => "OPT".into(),
        other => format!("TYPE{other}"),
    }
}

/// The type number of a name (`A`, `aaaa`, `TYPE65`).
pub fn type_number(name: &str) -> Option<u16> {
    let upper = name.to_ascii_uppercase();
    (1..=255u16)
        .chain([TYPE_OPT])
        .find(|&t| type_name(t) == upper)
        .or_else(|| upper.strip_prefix("TYPE")?.parse().ok())
}

pub fn rcode_name(rcode: u8) -> &'static str {
    match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => "other",
    }
}

/// The 12-byte header (§4.1.1). The 16 flag bits are, from the most significant:
/// QR(1) OPCODE(4) AA(1) TC(1) RD(1) RA(1) Z(1) AD(1) CD(1) RCODE(4). RFC 1035 had three Z
/// bits; DNSSEC took two of them for AD and CD (RFC 4035 §3.2, RFC 6840 §5.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    pub id: u16,
    pub qr: bool,
    pub opcode: u8,
    pub aa: bool,
    pub tc: bool,
    pub rd: bool,
    pub ra: bool,
    /// Authentic Data: a validating resolver vouches that the answer checked out.
    pub ad: bool,
    /// Checking Disabled: the client asks the resolver not to validate.
    pub cd: bool,
    pub rcode: u8,
}

impl Header {
    pub fn flags(&self) -> u16 {
        (u16::from(self.qr) << 15)
            | (u16::from(self.opcode & 0xF) << 11)
            | (u16::from(self.aa) << 10)
            | (u16::from(self.tc) << 9)
            | (u16::from(self.rd) << 8)
            | (u16::from(self.ra) << 7)
            | (u16::from(self.ad) << 5)
            | (u16::from(self.cd) << 4)
            | u16::from(self.rcode & 0xF)
    }

    pub fn from_flags(id: u16, f: u16) -> Header {
        Header {
            id,
            qr: f & 0x8000 != 0,
            opcode: ((f >> 11) & 0xF) as u8,
            aa: f & 0x0400 != 0,
            tc: f & 0x0200 != 0,
            rd: f & 0x0100 != 0,
            ra: f & 0x0080 != 0,
            ad: f & 0x0020 != 0,
            cd: f & 0x0010 != 0,
            rcode: (f & 0xF) as u8,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
}

/// Record data, decoded for the types this chapter serves; the rest stays bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rdata {
    A([u8; 4]),
    Aaaa([u8; 16]),
    /// CNAME, NS and PTR: one name (compressible, RFC 1035 §3.3).
    Name(String),
    Mx {
        preference: u16,
        exchange: String,
    },
    Txt(Vec<Vec<u8>>),
    /// RFC 2782: the target is never compressed.
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: String,
    },
    Soa {
        mname: String,
        rname: String,
        serial: u32,
        refresh: u32,
        retry: u32,
        expire: u32,
        minimum: u32,
    },
    Other(Vec<u8>),
}

impl fmt::Display for Rdata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rdata::A(a) => write!(f, "{}", std::net::Ipv4Addr::from(*a)),
            Rdata::Aaaa(a) => write!(f, "{}", std::net::Ipv6Addr::from(*a)),
            Rdata::Name(n) => write!(f, "{n}"),
            Rdata::Mx { preference, exchange } => write!(f, "{preference} {exchange}"),
            Rdata::Txt(strings) => {
                let parts: Vec<String> =
                    strings.iter().map(|s| format!("{:?}", String::from_utf8_lossy(s))).collect();
                write!(f, "{}", parts.join(" "))
            }
            Rdata::Srv { priority, weight, port, target } => write!(f, "{priority} {weight} {port} {target}"),
            Rdata::Soa { mname, rname, serial, refresh, retry, expire, minimum } => {
                write!(f, "{mname} {rname} {serial} {refresh} {retry} {expire} {minimum}")
            }
            Rdata::Other(bytes) => write!(f, "{} bytes", bytes.len()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub rtype: u16,
    /// For OPT (RFC 6891 §6.1.2) this field is the sender's UDP payload size.
    pub class: u16,
    pub ttl: u32,
    pub data: Rdata,
}

impl Record {
    pub fn new(name: &str, rtype: u16, ttl: u32, data: Rdata) -> Record {
        Record { name: name.to_string(), rtype, class: CLASS_IN, ttl, data }
    }

    /// The EDNS(0) pseudo-record: root name, type 41, class = UDP payload size, no options.
    pub fn opt(udp_size: u16) -> Record {
        Record { name: ".".into(), rtype: TYPE_OPT, class: udp_size, ttl: 0, data: Rdata::Other(Vec::new()) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    pub header: Header,
    pub questions: Vec<Question>,
    pub answers: Vec<Record>,
    pub authority: Vec<Record>,
    pub additional: Vec<Record>,
}

impl Message {
    pub fn query(id: u16, name: &str, qtype: u16, edns: Option<u16>) -> Message {
        Message {
            header: Header { id, rd: true, ..Header::default() },
            questions: vec![Question { name: name.to_string(), qtype, qclass: CLASS_IN }],
            additional: edns.map(Record::opt).into_iter().collect(),
            ..Message::default()
        }
    }

    /// The UDP payload size the sender's OPT record advertises, if it sent one.
    pub fn edns_size(&self) -> Option<u16> {
        self.additional.iter().find(|r| r.rtype == TYPE_OPT).map(|r| r.class)
    }
}

/// Why a message cannot be encoded or decoded, and where (a byte offset into the message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub offset: usize,
    pub reason: String,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at offset {}: {}", self.offset, self.reason)
    }
}

fn err<T>(offset: usize, reason: impl Into<String>) -> Result<T, WireError> {
    Err(WireError { offset, reason: reason.into() })
}

/// The labels of a name in presentation form (`www.example.com.`; `.` is the root).
fn labels(name: &str) -> Vec<&str> {
    name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()).collect()
}

// ANCHOR: encode
/// Encodes `m` (RFC 1035 §4.1). Every name, and the names inside CNAME, NS, PTR, MX and SOA
/// data, is compressed: a suffix already written is replaced by a two-byte pointer
/// `11xxxxxx xxxxxxxx` to its offset (§4.1.4).
pub fn encode(m: &Message) -> Result<Vec<u8>, WireError> {
    let mut e = Encoder { out: Vec::with_capacity(512), seen: HashMap::new() };
    e.u16(m.header.id);
    e.u16(m.header.flags());
    for count in [m.questions.len(), m.answers.len(), m.authority.len(), m.additional.len()] {
        let count = u16::try_from(count).or_else(|_| err(4, "more than 65535 entries in a section"))?;
        e.u16(count);
    }
    for q in &m.questions {
        e.name(&q.name, true)?;
        e.u16(q.qtype);
        e.u16(q.qclass);
    }
    for r in m.answers.iter().chain(&m.authority).chain(&m.additional) {
        e.name(&r.name, true)?;
        e.u16(r.rtype);
        e.u16(r.class);
        e.out.extend_from_slice(&r.ttl.to_be_bytes());
        let length_at = e.out.len();
        e.u16(0); // RDLENGTH, filled in below
        match &r.data {
            Rdata::A(a) => e.out.extend_from_slice(a),
            Rdata::Aaaa(a) => e.out.extend_from_slice(a),
            Rdata::Name(n) => e.name(n, true)?,
            Rdata::Mx { preference, exchange } => {
                e.u16(*preference);
                e.name(exchange, true)?;
            }
            Rdata::Txt(strings) => {
                for s in strings {
                    let len = u8::try_from(s.len())
                        .or_else(|_| err(e.out.len(), "a TXT string is over 255 bytes"))?;
                    e.out.push(len);
                    e.out.extend_from_slice(s);
                }
            }
            Rdata::Srv { priority, weight, port, target } => {
                e.u16(*priority);
                e.u16(*weight);
                e.u16(*port);
                e.name(target, false)?;
            }
            Rdata::Soa { mname, rname, serial, refresh, retry, expire, minimum } => {
                e.name(mname, true)?;
                e.name(rname, true)?;
                for v in [serial, refresh, retry, expire, minimum] {
                    e.out.extend_from_slice(&v.to_be_bytes());
                }
            }
            Rdata::Other(bytes) => e.out.extend_from_slice(bytes),
        }
        let rdlength = e.out.len() - length_at - 2;
        let rdlength = u16::try_from(rdlength).or_else(|_| err(length_at, "RDATA over 65535 bytes"))?;
        e.out[length_at..length_at + 2].copy_from_slice(&rdlength.to_be_bytes());
    }
    Ok(e.out)
}

struct Encoder {
    out: Vec<u8>,
    /// Lower-cased suffix (`f.isi.arpa`) → the offset where it was written.
    seen: HashMap<String, u16>,
}

impl Encoder {
    fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    fn name(&mut self, name: &str, compress: bool) -> Result<(), WireError> {
        let labels = labels(name);
        let wire_len: usize = labels.iter().map(|l| l.len() + 1).sum::<usize>() + 1;
        if wire_len > MAX_NAME {
            return err(self.out.len(), format!("name is {wire_len} bytes in wire form, over {MAX_NAME}"));
        }
        for (i, label) in labels.iter().enumerate() {
            let suffix = labels[i..].join(".").to_ascii_lowercase();
            if compress && let Some(&at) = self.seen.get(&suffix) {
                self.u16(0xC000 | at); // a pointer ends the name
                return Ok(());
            }
            if label.len() > MAX_LABEL {
                return err(
                    self.out.len(),
                    format!("label `{label}` is {} bytes, over {MAX_LABEL}", label.len()),
                );
            }
            // Only offsets that fit in 14 bits can be pointed at.
            if self.out.len() < 0x4000 {
                self.seen.entry(suffix).or_insert(self.out.len() as u16);
            }
            self.out.push(label.len() as u8);
            self.out.extend_from_slice(label.as_bytes());
        }
        self.out.push(0);
        Ok(())
    }
}
// ANCHOR_END: encode

/// Decodes a whole message.
pub fn decode(bytes: &[u8]) -> Result<Message, WireError> {
    Decoder { bytes, trace: None }.message()
}

/// One narrated field: its offset, its length in bytes, and what it means.
pub type Field = (usize, usize, String);

/// Decodes a message and narrates every field: `(offset, length, text)` lines, in byte order
/// for the fields read in place. On an error the lines read so far come back with it.
pub fn narrate(bytes: &[u8]) -> (Vec<Field>, Result<Message, WireError>) {
    let mut d = Decoder { bytes, trace: Some(Vec::new()) };
    let result = d.message();
    (d.trace.unwrap_or_default(), result)
}

struct Decoder<'a> {
    bytes: &'a [u8],
    trace: Option<Vec<Field>>,
}

// ANCHOR: decode_name
impl Decoder<'_> {
    /// Reads the name at `start`; returns it and the offset just after it in place (after the
    /// first pointer, if any). Follows pointers, refusing any offset it has visited (a loop) and,
    /// as RFC 1035 §4.1.4 says a pointer refers to a *prior* occurrence, any pointer that does not
    /// go strictly backwards from where the current run of labels began (BIND's rule).
    fn name(&mut self, start: usize) -> Result<(String, usize, String), WireError> {
        let mut labels: Vec<String> = Vec::new();
        let mut pos = start;
        let mut end = None; // where the name ends in place: after its first pointer
        let mut visited = Vec::new();
        let mut limit = start; // a pointer must point before this
        let mut how = String::new();
        let mut wire_len = 1;
        loop {
            let Some(&len) = self.bytes.get(pos) else {
                return err(pos, "truncated: the message ends inside a name");
            };
            match len >> 6 {
                0b00 if len == 0 => {
                    pos += 1;
                    break;
                }
                0b00 => {
                    let len = len as usize;
                    let Some(label) = self.bytes.get(pos + 1..pos + 1 + len) else {
                        return err(pos, format!("truncated: a label of {len} bytes runs past the end"));
                    };
                    wire_len += len + 1;
                    if wire_len > MAX_NAME {
                        return err(pos, format!("name is over {MAX_NAME} bytes in wire form"));
                    }
                    labels.push(String::from_utf8_lossy(label).into_owned());
                    pos += 1 + len;
                }
                0b11 => {
                    let Some(&low) = self.bytes.get(pos + 1) else {
                        return err(pos, "truncated: a pointer needs two bytes");
                    };
                    let target = usize::from(len & 0x3F) << 8 | usize::from(low);
                    if visited.contains(&target) || target == pos {
                        return err(
                            pos,
                            format!("pointer loop: offset {pos} points to {target}, already followed"),
                        );
                    }
                    if target >= limit {
                        return err(
                            pos,
                            format!("forward pointer: offset {pos} points to {target}, not before {limit}"),
                        );
                    }
                    visited.push(target);
                    limit = target;
                    how.push_str(&format!(", pointer at {pos} → {target}"));
                    end.get_or_insert(pos + 2);
                    pos = target;
                }
                _ => {
                    return err(
                        pos,
                        format!(
                            "label length byte 0x{len:02x}: types 01 and 10 are reserved (a label is at most {MAX_LABEL} bytes)"
                        ),
                    );
                }
            }
        }
        let name = if labels.is_empty() { ".".to_string() } else { format!("{}.", labels.join(".")) };
        Ok((name, end.unwrap_or(pos), how))
    }
}
// ANCHOR_END: decode_name

impl Decoder<'_> {
    fn note(&mut self, at: usize, len: usize, text: String) {
        if let Some(trace) = &mut self.trace {
            trace.push((at, len, text));
        }
    }

    fn take(&self, at: usize, n: usize, what: &str) -> Result<&[u8], WireError> {
        self.bytes.get(at..at + n).ok_or_else(|| WireError {
            offset: at.min(self.bytes.len()),
            reason: format!(
                "truncated: {what} needs {n} bytes, {} left",
                self.bytes.len().saturating_sub(at)
            ),
        })
    }

    fn u16_at(&self, at: usize, what: &str) -> Result<u16, WireError> {
        let b = self.take(at, 2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32_at(&self, at: usize, what: &str) -> Result<u32, WireError> {
        let b = self.take(at, 4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn named(&mut self, at: usize, what: &str) -> Result<(String, usize), WireError> {
        let (name, end, how) = self.name(at)?;
        self.note(at, end - at, format!("{what} {name}{how}"));
        Ok((name, end))
    }

    fn message(&mut self) -> Result<Message, WireError> {
        let id = self.u16_at(0, "the header's ID")?;
        self.note(0, 2, format!("ID = 0x{id:04x} ({id})"));
        let flags = self.u16_at(2, "the header's flags")?;
        let h = Header::from_flags(id, flags);
        let z = (flags >> 6) & 0x1;
        self.note(
            2,
            2,
            format!(
                "flags {flags:016b}: QR={} ({}) OPCODE={} AA={} TC={} RD={} RA={} Z={z} AD={} CD={} RCODE={} ({})",
                u8::from(h.qr),
                if h.qr { "response" } else { "query" },
                h.opcode,
                u8::from(h.aa),
                u8::from(h.tc),
                u8::from(h.rd),
                u8::from(h.ra),
                u8::from(h.ad),
                u8::from(h.cd),
                h.rcode,
                rcode_name(h.rcode)
            ),
        );
        let mut counts = [0u16; 4];
        for (i, what) in ["QDCOUNT", "ANCOUNT", "NSCOUNT", "ARCOUNT"].iter().enumerate() {
            counts[i] = self.u16_at(4 + 2 * i, what)?;
            self.note(4 + 2 * i, 2, format!("{what} = {}", counts[i]));
        }
        let mut m = Message { header: h, ..Message::default() };
        let mut pos = 12;
        for _ in 0..counts[0] {
            let (name, at) = self.named(pos, "question: name")?;
            let qtype = self.u16_at(at, "QTYPE")?;
            let qclass = self.u16_at(at + 2, "QCLASS")?;
            self.note(at, 4, format!("QTYPE = {} ({qtype}), QCLASS = {qclass}", type_name(qtype)));
            m.questions.push(Question { name, qtype, qclass });
            pos = at + 4;
        }
        for (section, count) in ["answer", "authority", "additional"].iter().zip(&counts[1..]) {
            for _ in 0..*count {
                let (record, next) = self.record(pos, section)?;
                pos = next;
                match *section {
                    "answer" => m.answers.push(record),
                    "authority" => m.authority.push(record),
                    _ => m.additional.push(record),
                }
            }
        }
        if pos < self.bytes.len() {
            return err(pos, format!("{} bytes after the last record", self.bytes.len() - pos));
        }
        Ok(m)
    }

    fn record(&mut self, pos: usize, section: &str) -> Result<(Record, usize), WireError> {
        let (name, at) = self.named(pos, &format!("{section}: name"))?;
        let rtype = self.u16_at(at, "TYPE")?;
        let class = self.u16_at(at + 2, "CLASS")?;
        let ttl = self.u32_at(at + 4, "TTL")?;
        let rdlength = usize::from(self.u16_at(at + 8, "RDLENGTH")?);
        if rtype == TYPE_OPT {
            self.note(
                at,
                10,
                format!("TYPE = OPT (41): EDNS(0), UDP payload size = {class}, extended flags = 0x{ttl:08x}, RDLENGTH = {rdlength}"),
            );
        } else {
            self.note(
                at,
                10,
                format!(
                    "TYPE = {} ({rtype}), CLASS = {class}, TTL = {ttl} s, RDLENGTH = {rdlength}",
                    type_name(rtype)
                ),
            );
        }
        let start = at + 10;
        let raw = self.take(start, rdlength, "RDATA")?.to_vec();
        let end = start + rdlength;
        // A name inside RDATA must end exactly where RDLENGTH says the RDATA ends.
        let bounded = |name_end: usize| -> Result<(), WireError> {
            if name_end != end {
                err(
                    start,
                    format!(
                        "RDATA is {} bytes, RDLENGTH says {rdlength}",
                        name_end as isize - start as isize
                    ),
                )
            } else {
                Ok(())
            }
        };
        let fixed = |n: usize| -> Result<(), WireError> {
            if rdlength != n {
                err(start, format!("{} RDATA must be {n} bytes, RDLENGTH says {rdlength}", type_name(rtype)))
            } else {
                Ok(())
            }
        };
        let data = match rtype {
            TYPE_A => {
                fixed(4)?;
                Rdata::A(raw[..4].try_into().expect("4 bytes"))
            }
            TYPE_AAAA => {
                fixed(16)?;
                Rdata::Aaaa(raw[..16].try_into().expect("16 bytes"))
            }
            TYPE_CNAME | TYPE_NS | TYPE_PTR => {
                let (n, e, how) = self.name(start)?;
                bounded(e)?;
                self.note(start, rdlength, format!("RDATA: {n}{how}"));
                Rdata::Name(n)
            }
            TYPE_MX => {
                let preference = self.u16_at(start, "MX preference")?;
                let (exchange, e, how) = self.name(start + 2)?;
                bounded(e)?;
                self.note(
                    start,
                    rdlength,
                    format!("RDATA: preference {preference}, exchange {exchange}{how}"),
                );
                Rdata::Mx { preference, exchange }
            }
            TYPE_SRV => {
                let (priority, weight, port) = (
                    self.u16_at(start, "SRV")?,
                    self.u16_at(start + 2, "SRV")?,
                    self.u16_at(start + 4, "SRV")?,
                );
                let (target, e, how) = self.name(start + 6)?;
                bounded(e)?;
                self.note(
                    start,
                    rdlength,
                    format!("RDATA: priority {priority}, weight {weight}, port {port}, target {target}{how}"),
                );
                Rdata::Srv { priority, weight, port, target }
            }
            TYPE_SOA => {
                let (mname, a, _) = self.name(start)?;
                let (rname, b, _) = self.name(a)?;
                let v: Vec<u32> =
                    (0..5).map(|i| self.u32_at(b + 4 * i, "SOA numbers")).collect::<Result<_, _>>()?;
                bounded(b + 20)?;
                let data = Rdata::Soa {
                    mname,
                    rname,
                    serial: v[0],
                    refresh: v[1],
                    retry: v[2],
                    expire: v[3],
                    minimum: v[4],
                };
                self.note(start, rdlength, format!("RDATA: {data} (the last is the negative-caching TTL)"));
                data
            }
            TYPE_TXT => {
                let mut strings = Vec::new();
                let mut i = 0;
                while i < raw.len() {
                    let len = usize::from(raw[i]);
                    let Some(s) = raw.get(i + 1..i + 1 + len) else {
                        return err(
                            start + i,
                            format!("truncated: a TXT string of {len} bytes runs past its RDATA"),
                        );
                    };
                    strings.push(s.to_vec());
                    i += 1 + len;
                }
                let data = Rdata::Txt(strings);
                self.note(start, rdlength, format!("RDATA: {data}"));
                data
            }
            _ => {
                if rdlength > 0 {
                    self.note(start, rdlength, format!("RDATA: {rdlength} bytes, not decoded"));
                }
                Rdata::Other(raw)
            }
        };
        if matches!(data, Rdata::A(_) | Rdata::Aaaa(_)) {
            self.note(start, rdlength, format!("RDATA: {data}"));
        }
        Ok((Record { name, rtype, class, ttl, data }, end))
    }
}

/// Hex text (`0a 1b`, `0A1B`, `#` comments to the end of a line) to bytes; an error names the line.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let digits: String =
            line.split('#').next().unwrap_or("").chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(bad) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err((i + 1, format!("`{bad}` is not a hex digit")));
        }
        if digits.len() % 2 == 1 {
            return Err((i + 1, "an odd number of hex digits".into()));
        }
        for pair in digits.as_bytes().chunks(2) {
            out.push(u8::from_str_radix(std::str::from_utf8(pair).expect("ascii"), 16).expect("hex"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1035 §4.1.4's example. If F.ISI.ARPA starts at offset 20, it is
    /// 20: 1 'F' 3 'I' 'S' 'I' 4 'A' 'R' 'P' 'A' 0  (12 bytes, offsets 20..32);
    /// FOO.F.ISI.ARPA at 40 is 3 'F' 'O' 'O' then a pointer to 20: C0 14 (0xC000 | 20);
    /// ARPA is a pointer to offset 26 (20 + 2 for "1 F" + 4 for "3 I S I"): C0 1A;
    /// the root is a single 0.
    #[test]
    fn rfc1035_section_4_1_4_compression_offsets() {
        let mut e = Encoder { out: vec![0; 20], seen: HashMap::new() };
        e.name("F.ISI.ARPA", true).unwrap();
        assert_eq!(&e.out[20..], &[1, b'F', 3, b'I', b'S', b'I', 4, b'A', b'R', b'P', b'A', 0]);
        e.out.resize(40, 0);
        e.name("FOO.F.ISI.ARPA", true).unwrap();
        assert_eq!(&e.out[40..], &[3, b'F', b'O', b'O', 0xC0, 20]);
        let at = e.out.len();
        e.name("ARPA", true).unwrap();
        assert_eq!(&e.out[at..], &[0xC0, 26]);
        let at = e.out.len();
        e.name(".", true).unwrap();
        assert_eq!(&e.out[at..], &[0]);
        // And the decoder follows them back.
        let mut d = Decoder { bytes: &e.out, trace: None };
        assert_eq!(d.name(40).unwrap().0, "FOO.F.ISI.ARPA.");
        assert_eq!(d.name(46).unwrap().0, "ARPA.");
        assert_eq!(d.name(46).unwrap().1, 48, "a name ends after its pointer");
    }

    /// §4.1.1 with RFC 4035's bits: a response (QR=1) with opcode 0, AA=1, TC=1, RD=1, RA=0,
    /// Z=0, AD=0, CD=1, RCODE=3 is 1 0000 1 1 1 0 0 0 1 0011 = 1000 0111 0001 0011 = 0x8713.
    #[test]
    fn header_bit_layout() {
        let h = Header {
            id: 7,
            qr: true,
            opcode: 0,
            aa: true,
            tc: true,
            rd: true,
            ra: false,
            ad: false,
            cd: true,
            rcode: 3,
        };
        assert_eq!(h.flags(), 0x8713);
        assert_eq!(Header::from_flags(7, 0x8713), h);
        assert!(Header::from_flags(7, 0x0020).ad);
        // A plain recursive query: only RD (bit 8) = 0x0100.
        assert_eq!(Header { rd: true, ..Header::default() }.flags(), 0x0100);
    }

    #[test]
    fn label_and_name_limits() {
        let ok = format!("{}.com", "a".repeat(63));
        assert!(encode(&Message::query(1, &ok, TYPE_A, None)).is_ok());
        let long = format!("{}.com", "a".repeat(64));
        let e = encode(&Message::query(1, &long, TYPE_A, None)).unwrap_err();
        assert_eq!(e.offset, 12);
        assert!(e.reason.contains("is 64 bytes, over 63"), "{e}");
        // Four 63-byte labels: 4 × 64 + 1 = 257 bytes > 255.
        let huge = [(); 4].map(|_| "b".repeat(63)).join(".");
        let e = encode(&Message::query(1, &huge, TYPE_A, None)).unwrap_err();
        assert!(e.reason.contains("257 bytes"), "{e}");
    }

    #[test]
    fn decoder_errors_name_offset_and_reason() {
        let mut q = encode(&Message::query(1, "a.b", TYPE_A, None)).unwrap();
        // Truncated: drop QCLASS's last byte.
        let short = &q[..q.len() - 1];
        let e = decode(short).unwrap_err();
        assert_eq!((e.offset, e.reason.contains("truncated")), (19, true), "{e}"); // 12 header + 5 name + 2 QTYPE
        // A pointer to itself at offset 12: C0 0C.
        q[12] = 0xC0;
        q[13] = 0x0C;
        let e = decode(&q).unwrap_err();
        assert_eq!(e.offset, 12);
        assert!(e.reason.starts_with("pointer loop"), "{e}");
        // A length byte 0x40 (reserved label type).
        q[12] = 0x40;
        assert!(decode(&q).unwrap_err().reason.contains("reserved"));
    }

    /// A CNAME's name must fill its RDATA exactly: RDLENGTH 5 around a 7-byte name is an error
    /// at the RDATA's first byte, not a name read on past the record.
    #[test]
    fn name_in_rdata_must_match_rdlength() {
        let mut m = Message::query(1, "a.", TYPE_CNAME, None);
        m.header.qr = true;
        m.answers.push(Record::new("a.", TYPE_CNAME, 60, Rdata::Name("bbbbb.".into())));
        let mut bytes = encode(&m).unwrap();
        // 12 header + 7 question (1a0 + 4); answer: pointer (2) + 8, RDLENGTH at 29..31, RDATA at 31.
        assert_eq!(&bytes[29..31], &[0, 7], "{bytes:02x?}");
        assert!(decode(&bytes).is_ok());
        bytes[30] = 5;
        let e = decode(&bytes).unwrap_err();
        assert_eq!(e.offset, 31, "{e}");
        assert_eq!(e.reason, "RDATA is 7 bytes, RDLENGTH says 5");
    }

    /// A name built from pointers can exceed 255 bytes even if each piece is short: four
    /// 63-byte labels are 4 × 64 = 256 bytes before the final zero. The decoder counts
    /// 1 (root) + 64 + 64 + 64 = 193, then 257 at the fourth label, which starts at offset
    /// 12 + 3 × 64 = 204.
    #[test]
    fn decoder_refuses_names_over_255_bytes() {
        let mut bytes = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        for _ in 0..4 {
            bytes.push(63);
            bytes.extend([b'a'; 63]);
        }
        bytes.extend([0, 0, 1, 0, 1]);
        let e = decode(&bytes).unwrap_err();
        assert_eq!(e.offset, 204, "{e}");
        assert!(e.reason.contains("over 255"), "{e}");
    }

    #[test]
    fn every_type_round_trips() {
        let soa = Rdata::Soa {
            mname: "ns1.example.com.".into(),
            rname: "hostmaster.example.com.".into(),
            serial: 1,
            refresh: 2,
            retry: 3,
            expire: 4,
            minimum: 5,
        };
        let mut m = Message::query(9, "example.com.", TYPE_A, Some(1232));
        m.header.qr = true;
        m.answers = vec![
            Record::new("example.com.", TYPE_A, 60, Rdata::A([192, 0, 2, 1])),
            Record::new(
                "example.com.",
                TYPE_AAAA,
                60,
                Rdata::Aaaa([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            ),
            Record::new("www.example.com.", TYPE_CNAME, 60, Rdata::Name("example.com.".into())),
            Record::new(
                "example.com.",
                TYPE_MX,
                60,
                Rdata::Mx { preference: 10, exchange: "mail.example.com.".into() },
            ),
            Record::new("example.com.", TYPE_TXT, 60, Rdata::Txt(vec![b"v=spf1 -all".to_vec()])),
            Record::new(
                "_x._tcp.example.com.",
                TYPE_SRV,
                60,
                Rdata::Srv { priority: 1, weight: 2, port: 3, target: "mail.example.com.".into() },
            ),
        ];
        m.authority = vec![Record::new("example.com.", TYPE_SOA, 60, soa)];
        let bytes = encode(&m).unwrap();
        assert_eq!(decode(&bytes).unwrap(), m);
    }
}
