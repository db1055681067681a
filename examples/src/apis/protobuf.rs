//! The protobuf wire format, by hand: an encoder for the chapter's messages and a decoder that
//! narrates every byte and stops at the first one that breaks the format, with its offset and
//! the rule it broke. Followed: the "Encoding" page of protobuf.dev (varints, the tag as
//! `field_number << 3 | wire_type`, the six wire types, of which 3 and 4 are the deprecated
//! groups and 6 and 7 do not exist) and gRPC's PROTOCOL-HTTP2.md for the 5-byte message prefix.
//! The tests check every byte against prost, the library tonic uses.

/// The six wire types (protobuf.dev, "Message Structure"). 3 and 4 open and close the groups
/// of proto2, deprecated; 6 and 7 are unassigned, so a tag carrying them is an error.
pub const VARINT: u8 = 0;
pub const I64: u8 = 1;
pub const LEN: u8 = 2;
pub const SGROUP: u8 = 3;
pub const EGROUP: u8 = 4;
pub const I32: u8 = 5;

/// The largest field number: tags are 32-bit varints with 3 bits of wire type, so 2^29 − 1.
pub const MAX_FIELD: u64 = (1 << 29) - 1;

pub fn wire_type_name(wire_type: u8) -> &'static str {
    match wire_type {
        VARINT => "VARINT",
        I64 => "I64",
        LEN => "LEN",
        SGROUP => "SGROUP",
        EGROUP => "EGROUP",
        I32 => "I32",
        _ => "invalid",
    }
}

// ANCHOR: encode
/// Appends `value` as a varint: seven bits per byte, least significant group first, the high
/// bit of each byte set when another byte follows. 150 = 0b1_0010110 → `96 01`.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The tag that starts every field: `(field << 3) | wire_type`, itself a varint.
pub fn put_tag(out: &mut Vec<u8>, field: u32, wire_type: u8) {
    put_varint(out, (u64::from(field) << 3) | u64::from(wire_type));
}

/// A `LEN` field: tag, length as a varint, the bytes (a string, bytes or a nested message).
pub fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_tag(out, field, LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A `VARINT` field. proto3 does not write a scalar that holds its default (0, "", false):
/// an absent field and a zero read the same, which is why the encoders below skip them.
pub fn put_uint(out: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        put_tag(out, field, VARINT);
        put_varint(out, value);
    }
}

/// A packed repeated scalar field (the default for numeric `repeated` fields in proto3): one
/// LEN field whose body is the values' varints back to back, instead of a tag per value.
/// protobuf.dev's `repeated int32 f = 6` holding [3, 270, 86942] is `32 06 03 8e 02 9e a7 05`.
pub fn put_packed(out: &mut Vec<u8>, field: u32, values: &[u64]) {
    if values.is_empty() {
        return;
    }
    let mut body = Vec::new();
    for &v in values {
        put_varint(&mut body, v);
    }
    put_bytes(out, field, &body);
}

/// ZigZag, for `sint32`/`sint64`: 0 → 0, −1 → 1, 1 → 2, −2 → 3, so small negatives stay short
/// (an `int64` −1 is ten bytes of varint).
pub fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

pub fn unzigzag(n: u64) -> i64 {
    (n >> 1) as i64 ^ -((n & 1) as i64)
}

/// The chapter's message, as its `.proto` would declare it:
///
/// ```proto
/// message Book {
///   uint64 id = 1;
///   string title = 2;
///   string author = 3;
///   uint32 year = 4;
///   repeated string tags = 5;
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Book {
    pub id: u64,
    pub title: String,
    pub author: String,
    pub year: u32,
    pub tags: Vec<String>,
}

impl Book {
    /// Fields in number order, defaults left out, each tag of a repeated field written again.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_uint(&mut out, 1, self.id);
        if !self.title.is_empty() {
            put_bytes(&mut out, 2, self.title.as_bytes());
        }
        if !self.author.is_empty() {
            put_bytes(&mut out, 3, self.author.as_bytes());
        }
        put_uint(&mut out, 4, u64::from(self.year));
        for tag in &self.tags {
            put_bytes(&mut out, 5, tag.as_bytes());
        }
        out
    }
}
// ANCHOR_END: encode

/// gRPC's length-prefixed message (PROTOCOL-HTTP2.md, "Length-Prefixed-Message"): a
/// compressed-flag byte, the message length as 4 big-endian bytes, the message.
pub fn grpc_frame(message: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// Where a decoding stopped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub offset: usize,
    pub reason: String,
}

/// One narrated field: offset, length, nesting depth, meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub at: usize,
    pub len: usize,
    pub depth: usize,
    pub text: String,
}

/// A decoded field, schema-less: what the wire says, nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Varint(u64),
    I64(u64),
    I32(u32),
    Len(Vec<u8>),
}

// ANCHOR: decode
/// Reads a varint at `at`: its value and its length. The errors are the three ways a varint
/// can be wrong: it runs off the end, it goes on past 10 bytes (64 bits need at most
/// ⌈64 / 7⌉ = 10), or its 10th byte carries more than the one bit that is left.
pub fn read_varint(bytes: &[u8], at: usize) -> Result<(u64, usize), DecodeError> {
    let mut value = 0u64;
    for i in 0..10 {
        let Some(&byte) = bytes.get(at + i) else {
            return Err(DecodeError {
                offset: at,
                reason: format!(
                    "truncated varint: {i} byte(s) read, each with the continuation bit set, then the end"
                ),
            });
        };
        if i == 9 && byte > 1 {
            let reason = if byte & 0x80 != 0 {
                "varint over 10 bytes: the 10th byte still has its continuation bit set".to_string()
            } else {
                format!("varint overflows 64 bits: its 10th byte is 0x{byte:02x}, only 0x00 or 0x01 fit")
            };
            return Err(DecodeError { offset: at, reason });
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    unreachable!("the 10th byte returns or fails")
}

/// Decodes a whole message, narrating each field into `lines` at `depth`; `base` is the
/// message's offset in the bytes the reader sees, so nested messages report real offsets.
pub fn decode(
    bytes: &[u8],
    base: usize,
    depth: usize,
    lines: &mut Vec<Line>,
) -> Result<Vec<(u32, Value)>, DecodeError> {
    let mut fields = Vec::new();
    let mut at = 0;
    let err = |offset: usize, reason: String| DecodeError { offset: base + offset, reason };
    while at < bytes.len() {
        let start = at;
        let (tag, tag_len) = read_varint(bytes, at).map_err(|e| err(e.offset, e.reason))?;
        let wire_type = (tag & 7) as u8;
        let field = tag >> 3;
        if field == 0 {
            return Err(err(start, format!("field number 0 (tag 0x{tag:02x}): numbers start at 1")));
        }
        if field > MAX_FIELD {
            return Err(err(
                start,
                format!("field number {field} is over the maximum 2^29 − 1 = {MAX_FIELD}"),
            ));
        }
        let field = field as u32;
        at += tag_len;
        let head = format!("field {field}, {}", wire_type_name(wire_type));
        match wire_type {
            VARINT => {
                let (v, n) = read_varint(bytes, at).map_err(|e| err(e.offset, e.reason))?;
                let signed =
                    if v > i64::MAX as u64 { format!(", as int64 {}", v as i64) } else { String::new() };
                lines.push(Line {
                    at: base + start,
                    len: at + n - start,
                    depth,
                    text: format!("{head}: {v} (sint zigzag: {}{signed})", unzigzag(v)),
                });
                at += n;
                fields.push((field, Value::Varint(v)));
            }
            I64 | I32 => {
                let width = if wire_type == I64 { 8 } else { 4 };
                if at + width > bytes.len() {
                    return Err(err(
                        at,
                        format!(
                            "truncated {}: needs {width} bytes, {} left",
                            wire_type_name(wire_type),
                            bytes.len() - at
                        ),
                    ));
                }
                let mut le = [0u8; 8];
                le[..width].copy_from_slice(&bytes[at..at + width]);
                let raw = u64::from_le_bytes(le);
                let (text, value) = if width == 8 {
                    (format!("{head}: fixed64 {raw}, as double {}", f64::from_bits(raw)), Value::I64(raw))
                } else {
                    let raw = raw as u32;
                    (format!("{head}: fixed32 {raw}, as float {}", f32::from_bits(raw)), Value::I32(raw))
                };
                lines.push(Line { at: base + start, len: tag_len + width, depth, text });
                at += width;
                fields.push((field, value));
            }
            LEN => {
                let (len, n) = read_varint(bytes, at).map_err(|e| err(e.offset, e.reason))?;
                let left = bytes.len() - at - n;
                if len > left as u64 {
                    return Err(err(at, format!("length {len} runs past the end: {left} byte(s) left")));
                }
                let body = &bytes[at + n..at + n + len as usize];
                let body_at = base + at + n;
                let mut nested = Vec::new();
                let as_message = decode(body, body_at, depth + 1, &mut nested);
                let text = match std::str::from_utf8(body) {
                    Ok(s) if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
                        format!("{head}, {len} bytes: string {s:?}")
                    }
                    _ if !body.is_empty() && as_message.is_ok() => {
                        format!("{head}, {len} bytes: an embedded message (or bytes that parse as one)")
                    }
                    _ => match packed_varints(body) {
                        Some(v) => format!("{head}, {len} bytes: packed varints {v:?} (or bytes)"),
                        None => format!("{head}, {len} bytes: bytes (not text, not a message)"),
                    },
                };
                let is_message = text.contains("embedded message");
                lines.push(Line { at: base + start, len: tag_len + n, depth, text });
                if is_message {
                    lines.extend(nested);
                }
                at += n + len as usize;
                fields.push((field, Value::Len(body.to_vec())));
            }
            SGROUP | EGROUP => {
                return Err(err(
                    start,
                    format!(
                        "wire type {wire_type} ({}): proto2's groups, deprecated but valid (prost and protoc skip them); not supported by this decoder",
                        wire_type_name(wire_type)
                    ),
                ));
            }
            _ => {
                return Err(err(
                    start,
                    format!("wire type {wire_type} does not exist (tag 0x{tag:x}): only 0 to 5 are defined"),
                ));
            }
        }
    }
    Ok(fields)
}

/// The body of a LEN field read as varints back to back, when it is exactly that.
fn packed_varints(body: &[u8]) -> Option<Vec<u64>> {
    let (mut at, mut values) = (0, Vec::new());
    while at < body.len() {
        let (v, n) = read_varint(body, at).ok()?;
        values.push(v);
        at += n;
    }
    (!values.is_empty()).then_some(values)
}

/// Decodes gRPC length-prefixed messages one after the other (a request or response body).
pub fn decode_grpc(bytes: &[u8], lines: &mut Vec<Line>) -> Result<usize, DecodeError> {
    let mut at = 0;
    let mut count = 0;
    while at < bytes.len() {
        if bytes.len() - at < 5 {
            return Err(DecodeError {
                offset: at,
                reason: format!("truncated gRPC prefix: 5 bytes needed, {} left", bytes.len() - at),
            });
        }
        let flag = bytes[at];
        if flag > 1 {
            return Err(DecodeError {
                offset: at,
                reason: format!("compressed flag 0x{flag:02x}: only 0 or 1"),
            });
        }
        let len = u32::from_be_bytes([bytes[at + 1], bytes[at + 2], bytes[at + 3], bytes[at + 4]]) as usize;
        let state = if flag == 1 { "compressed (grpc-encoding names how)" } else { "not compressed" };
        lines.push(Line {
            at,
            len: 5,
            depth: 0,
            text: format!("gRPC prefix: {state}, message of {len} bytes"),
        });
        if flag == 1 {
            return Err(DecodeError {
                offset: at + 5,
                reason: "a compressed message: this view does not inflate it".into(),
            });
        }
        if len > bytes.len() - at - 5 {
            return Err(DecodeError {
                offset: at + 1,
                reason: format!(
                    "message length {len} runs past the end: {} byte(s) left",
                    bytes.len() - at - 5
                ),
            });
        }
        decode(&bytes[at + 5..at + 5 + len], at + 5, 1, lines)?;
        at += 5 + len;
        count += 1;
    }
    Ok(count)
}
// ANCHOR_END: decode

/// A `Book` back from its fields, as a generated decoder would: unknown fields skipped (a
/// proto3 runtime since 3.5 would keep them and write them back out), the last value winning
/// when a singular field appears more than once, strings checked to be UTF-8.
pub fn decode_book(bytes: &[u8]) -> Result<Book, DecodeError> {
    let mut book = Book::default();
    let text = |v: Vec<u8>| {
        String::from_utf8(v)
            .map_err(|_| DecodeError { offset: 0, reason: "a string that is not UTF-8".into() })
    };
    for (field, value) in decode(bytes, 0, 0, &mut Vec::new())? {
        match (field, value) {
            (1, Value::Varint(v)) => book.id = v,
            (2, Value::Len(v)) => book.title = text(v)?,
            (3, Value::Len(v)) => book.author = text(v)?,
            (4, Value::Varint(v)) => book.year = v as u32,
            (5, Value::Len(v)) => book.tags.push(text(v)?),
            _ => {}
        }
    }
    Ok(book)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two examples of protobuf.dev's Encoding page: `Test1 { a = 150 }` and
    /// `Test2 { b = "testing" }`.
    #[test]
    fn the_encoding_pages_examples() {
        let mut out = Vec::new();
        put_uint(&mut out, 1, 150);
        assert_eq!(out, [0x08, 0x96, 0x01]);
        let mut out = Vec::new();
        put_bytes(&mut out, 2, b"testing");
        assert_eq!(out, [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
        assert_eq!(read_varint(&[0x96, 0x01], 0).unwrap(), (150, 2));
        assert_eq!([zigzag(0), zigzag(-1), zigzag(1), zigzag(-2), zigzag(i64::MIN)], [0, 1, 2, 3, u64::MAX]);
        for n in [0, 1, -1, 63, -64, i64::MAX, i64::MIN] {
            assert_eq!(unzigzag(zigzag(n)), n);
        }
    }

    #[test]
    fn every_error_names_its_offset() {
        let fails = |bytes: &[u8]| decode(bytes, 0, 0, &mut Vec::new()).unwrap_err();
        assert_eq!(fails(&[0x08, 0x96]).offset, 1);
        assert!(fails(&[0x08, 0x96]).reason.starts_with("truncated varint: 1 byte"));
        let long = [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert!(fails(&long).reason.starts_with("varint over 10 bytes"));
        let over = [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(fails(&over).reason.starts_with("varint overflows 64 bits"));
        let max = [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(decode(&max, 0, 0, &mut Vec::new()).unwrap(), [(1, Value::Varint(u64::MAX))]);
        assert!(fails(&[0x0e, 0x01]).reason.starts_with("wire type 6 does not exist"));
        assert!(fails(&[0x0f]).reason.starts_with("wire type 7 does not exist"));
        assert!(fails(&[0x00, 0x01]).reason.starts_with("field number 0"));
        assert!(fails(&[0x0b, 0x0c]).reason.contains("groups, deprecated"));
        let past = fails(&[0x12, 0x09, 0x74, 0x65]);
        assert_eq!((past.offset, past.reason.as_str()), (1, "length 9 runs past the end: 2 byte(s) left"));
        assert!(fails(&[0x0d, 1, 2]).reason.starts_with("truncated I32: needs 4 bytes, 2 left"));
        // A body that does not parse as a message is bytes; one that does is narrated nested,
        // at the outer message's offsets.
        let mut lines = Vec::new();
        decode(&[0x0a, 0x03, 0x08, 0x96, 0x96], 0, 0, &mut lines).unwrap();
        assert!(lines[0].text.ends_with("bytes (not text, not a message)"), "{lines:?}");
        let mut lines = Vec::new();
        decode(&[0x0a, 0x03, 0x08, 0x96, 0x01], 0, 0, &mut lines).unwrap();
        assert_eq!(
            (lines[1].at, lines[1].depth, lines[1].text.as_str()),
            (2, 1, "field 1, VARINT: 150 (sint zigzag: 75)")
        );
        let mut grpc = Vec::new();
        assert_eq!(decode_grpc(&grpc_frame(&[0x08, 0x07]), &mut grpc), Ok(1));
        assert_eq!(decode_grpc(&[0, 0, 0, 0, 9, 8], &mut Vec::new()).unwrap_err().offset, 1);
        assert_eq!(decode_grpc(&[2, 0, 0, 0, 0], &mut Vec::new()).unwrap_err().offset, 0);
    }

    /// prost, the library tonic uses, writes and reads the same bytes.
    #[derive(Clone, PartialEq, prost::Message)]
    struct ProstBook {
        #[prost(uint64, tag = "1")]
        id: u64,
        #[prost(string, tag = "2")]
        title: String,
        #[prost(string, tag = "3")]
        author: String,
        #[prost(uint32, tag = "4")]
        year: u32,
        #[prost(string, repeated, tag = "5")]
        tags: Vec<String>,
    }

    #[test]
    fn our_bytes_are_prosts() {
        use prost::Message as _;
        let books = [
            Book::default(),
            Book { id: 7, title: "Dune".into(), author: "Frank Herbert".into(), year: 1965, tags: vec![] },
            Book {
                id: u64::MAX,
                title: "é".repeat(200),
                author: String::new(),
                year: u32::MAX,
                tags: vec!["a".into(), String::new(), "sf".into()],
            },
        ];
        for book in books {
            let ours = book.encode();
            let theirs = ProstBook {
                id: book.id,
                title: book.title.clone(),
                author: book.author.clone(),
                year: book.year,
                tags: book.tags.clone(),
            };
            assert_eq!(ours, theirs.encode_to_vec());
            assert_eq!(ProstBook::decode(ours.as_slice()).unwrap(), theirs);
            assert_eq!(decode_book(&ours).unwrap(), book);
        }
        for n in [0u64, 1, 127, 128, 150, 16_383, 16_384, u64::from(u32::MAX), u64::MAX] {
            let mut ours = Vec::new();
            put_varint(&mut ours, n);
            let mut theirs = Vec::new();
            prost::encoding::encode_varint(n, &mut theirs);
            assert_eq!(ours, theirs);
            assert_eq!(read_varint(&ours, 0).unwrap(), (n, ours.len()));
        }
        // An unknown field 9 (a newer writer's field): prost and decode_book both skip it.
        let book = Book { id: 7, title: "Dune".into(), ..Book::default() };
        let mut newer = book.encode();
        put_uint(&mut newer, 9, 42);
        assert_eq!(ProstBook::decode(newer.as_slice()).unwrap().title, "Dune");
        assert_eq!(decode_book(&newer).unwrap(), book);
        // Packed repeated: protobuf.dev's example, written by prost's packed encoder too.
        #[derive(Clone, PartialEq, prost::Message)]
        struct Test5 {
            #[prost(int32, repeated, tag = "6")]
            f: Vec<i32>,
        }
        let mut ours = Vec::new();
        put_packed(&mut ours, 6, &[3, 270, 86_942]);
        assert_eq!(ours, [0x32, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05]);
        assert_eq!(Test5 { f: vec![3, 270, 86_942] }.encode_to_vec(), ours);
        assert_eq!(packed_varints(&ours[2..]), Some(vec![3, 270, 86_942]));
        // What prost refuses, we refuse.
        for bad in [
            &[0x08, 0x96][..],
            &[0x0e, 0x01],
            &[0x00, 0x01],
            &[0x12, 0x09, 0x74],
            &[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
        ] {
            assert!(ProstBook::decode(bad).is_err(), "{bad:02x?}");
            assert!(decode(bad, 0, 0, &mut Vec::new()).is_err(), "{bad:02x?}");
        }
    }
}
