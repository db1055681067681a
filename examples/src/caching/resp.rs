//! RESP2, the Redis serialization protocol, as the book's own encoder and decoder.
//!
//! A client sends every command as an array of bulk strings; the server answers with one of
//! five types, each introduced by one byte and ended by CRLF:
//!
//! | byte | type | example |
//! | --- | --- | --- |
//! | `+` | simple string | `+OK\r\n` |
//! | `-` | error | `-OOM command not allowed …\r\n` |
//! | `:` | integer | `:1000\r\n` |
//! | `$` | bulk string (length, bytes), `$-1` is nil | `$5\r\nhello\r\n` |
//! | `*` | array (count, elements), `*-1` is nil | `*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n` |
//!
//! This is all `ioredis` and `node-redis` do on the wire for RESP2 (RESP3, asked for with
//! `HELLO 3`, adds maps, sets, doubles and pushes; these examples never ask for it). The decoder
//! works on a byte buffer that may hold half a reply: it returns `Ok(None)` until the whole
//! reply is there, so the client can read from the socket and try again.

use std::fmt;

/// One reply (or, in a command, one element).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Simple(String),
    Error(String),
    Integer(i64),
    /// A bulk string; `None` is the nil reply (`$-1`), what `GET` answers for a missing key.
    Bulk(Option<Vec<u8>>),
    /// An array; `None` is the nil array (`*-1`).
    Array(Option<Vec<Value>>),
}

impl Value {
    /// The reply as the book prints it, close to `redis-cli`: `OK`, `(nil)`, `(integer) 3`,
    /// `"hello"`, `(error) ERR …`, arrays as `[a, b]`.
    pub fn show(&self) -> String {
        match self {
            Value::Simple(s) => s.clone(),
            Value::Error(e) => format!("(error) {e}"),
            Value::Integer(n) => format!("(integer) {n}"),
            Value::Bulk(None) | Value::Array(None) => "(nil)".to_string(),
            Value::Bulk(Some(bytes)) => format!("\"{}\"", String::from_utf8_lossy(bytes).escape_debug()),
            Value::Array(Some(items)) => {
                format!("[{}]", items.iter().map(Value::show).collect::<Vec<_>>().join(", "))
            }
        }
    }

    /// The integer of an integer reply.
    pub fn integer(&self) -> Option<i64> {
        match self {
            Value::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// The text of a bulk or simple string reply (`None` for nil and other types).
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Bulk(Some(bytes)) => Some(String::from_utf8_lossy(bytes).into_owned()),
            Value::Simple(s) => Some(s.clone()),
            _ => None,
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Bulk(None) | Value::Array(None))
    }
}

/// What makes a reply unreadable, with the offset where the decoder stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RespError {
    pub offset: usize,
    pub reason: String,
}

impl fmt::Display for RespError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for RespError {}

/// The longest bulk string the decoder accepts (Redis's own default `proto-max-bulk-len` is
/// 512 MB; a cache client has no business with more than this).
pub const MAX_BULK: usize = 64 << 20;
/// The deepest nesting of arrays the decoder follows; deeper input is refused, not recursed.
pub const MAX_DEPTH: usize = 32;

// ANCHOR: encode
/// A command as RESP: an array of bulk strings, each prefixed by its length, so any bytes
/// (spaces, CRLF, binary) travel safely in an argument.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}
// ANCHOR_END: encode

// ANCHOR: decode
/// Decodes one reply from the start of `buf`: `Ok(Some((value, bytes used)))`, `Ok(None)` when
/// `buf` ends before the reply does (read more and call again), or an error at an offset.
pub fn decode(buf: &[u8]) -> Result<Option<(Value, usize)>, RespError> {
    decode_at(buf, 0, 0)
}

fn decode_at(buf: &[u8], at: usize, depth: usize) -> Result<Option<(Value, usize)>, RespError> {
    let error = |offset: usize, reason: &str| RespError { offset, reason: reason.to_string() };
    if depth > MAX_DEPTH {
        return Err(error(at, "arrays nested too deep"));
    }
    let Some(&kind) = buf.get(at) else { return Ok(None) };
    // The header line: everything up to the first CRLF after the type byte.
    let Some(line_len) = buf[at + 1..].windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let line = &buf[at + 1..at + 1 + line_len];
    let after = at + 1 + line_len + 2;
    let text = std::str::from_utf8(line).map_err(|_| error(at + 1, "header is not UTF-8"))?;
    if text.contains('\r') || text.contains('\n') {
        return Err(error(at + 1, "a bare CR or LF inside a header line"));
    }
    let number = || -> Result<i64, RespError> {
        let well_formed =
            !text.is_empty() && text.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit());
        match text.parse::<i64>() {
            Ok(n) if well_formed => Ok(n),
            _ => Err(error(at + 1, &format!("`{text}` is not a number"))),
        }
    };
    match kind {
        b'+' => Ok(Some((Value::Simple(text.to_string()), after))),
        b'-' => Ok(Some((Value::Error(text.to_string()), after))),
        b':' => Ok(Some((Value::Integer(number()?), after))),
        b'$' => match number()? {
            -1 => Ok(Some((Value::Bulk(None), after))),
            n if n < 0 => Err(error(at + 1, "negative length")),
            n if n as u64 > MAX_BULK as u64 => Err(error(at + 1, "bulk string too long")),
            n => {
                let end = after + n as usize;
                if buf.len() < end + 2 {
                    return Ok(None);
                }
                if &buf[end..end + 2] != b"\r\n" {
                    return Err(error(end, "bulk string not followed by CRLF"));
                }
                Ok(Some((Value::Bulk(Some(buf[after..end].to_vec())), end + 2)))
            }
        },
        b'*' => match number()? {
            -1 => Ok(Some((Value::Array(None), after))),
            n if n < 0 => Err(error(at + 1, "negative count")),
            n => {
                let mut items = Vec::new();
                let mut next = after;
                for _ in 0..n {
                    // Nothing is allocated for the count itself: a count far beyond the
                    // buffer ends at the first incomplete element.
                    match decode_at(buf, next, depth + 1)? {
                        Some((item, end)) => {
                            items.push(item);
                            next = end;
                        }
                        None => return Ok(None),
                    }
                }
                Ok(Some((Value::Array(Some(items)), next)))
            }
        },
        other => Err(error(at, &format!("unknown type byte 0x{other:02x}"))),
    }
}
// ANCHOR_END: decode

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> Value {
        let (value, used) = decode(bytes).unwrap().expect("complete");
        assert_eq!(used, bytes.len(), "{bytes:?}");
        value
    }

    /// The examples of the protocol specification (redis.io, "Redis serialization protocol
    /// specification"), RESP2 types.
    #[test]
    fn decodes_the_specifications_examples() {
        assert_eq!(one(b"+OK\r\n"), Value::Simple("OK".into()));
        assert_eq!(
            one(b"-ERR unknown command 'asdf'\r\n"),
            Value::Error("ERR unknown command 'asdf'".into())
        );
        assert_eq!(
            one(b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            Value::Error("WRONGTYPE Operation against a key holding the wrong kind of value".into())
        );
        assert_eq!(one(b":0\r\n"), Value::Integer(0));
        assert_eq!(one(b":1000\r\n"), Value::Integer(1000));
        assert_eq!(one(b":-1\r\n"), Value::Integer(-1));
        assert_eq!(one(b"$5\r\nhello\r\n"), Value::Bulk(Some(b"hello".to_vec())));
        assert_eq!(one(b"$0\r\n\r\n"), Value::Bulk(Some(Vec::new())));
        assert_eq!(one(b"$-1\r\n"), Value::Bulk(None));
        assert_eq!(one(b"*0\r\n"), Value::Array(Some(vec![])));
        assert_eq!(one(b"*-1\r\n"), Value::Array(None));
        assert_eq!(
            one(b"*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n"),
            Value::Array(Some(vec![
                Value::Bulk(Some(b"hello".to_vec())),
                Value::Bulk(Some(b"world".to_vec()))
            ]))
        );
        assert_eq!(
            one(b"*3\r\n:1\r\n:2\r\n:3\r\n"),
            Value::Array(Some(vec![Value::Integer(1), Value::Integer(2), Value::Integer(3)]))
        );
        // Nested arrays, and a nil element inside an array.
        assert_eq!(
            one(b"*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n"),
            Value::Array(Some(vec![
                Value::Array(Some(vec![Value::Integer(1), Value::Integer(2), Value::Integer(3)])),
                Value::Array(Some(vec![Value::Simple("Hello".into()), Value::Error("World".into())])),
            ]))
        );
        assert_eq!(
            one(b"*3\r\n$5\r\nhello\r\n$-1\r\n$5\r\nworld\r\n"),
            Value::Array(Some(vec![
                Value::Bulk(Some(b"hello".to_vec())),
                Value::Bulk(None),
                Value::Bulk(Some(b"world".to_vec()))
            ]))
        );
    }

    #[test]
    fn encodes_commands_as_arrays_of_bulk_strings() {
        // The specification's example: LLEN mylist.
        assert_eq!(encode(&[b"LLEN", b"mylist"]), b"*2\r\n$4\r\nLLEN\r\n$6\r\nmylist\r\n");
        assert_eq!(
            encode(&[b"SET", b"lock:42", b"tok", b"NX", b"PX", b"5000"]),
            b"*6\r\n$3\r\nSET\r\n$7\r\nlock:42\r\n$3\r\ntok\r\n$2\r\nNX\r\n$2\r\nPX\r\n$4\r\n5000\r\n"
        );
        // Binary-safe: CRLF inside an argument is just bytes with a length.
        let encoded = encode(&[b"SET", b"k", b"a\r\nb"]);
        assert_eq!(encoded, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n");
        // A command decodes as the array it is.
        assert_eq!(
            one(&encoded),
            Value::Array(Some(vec![
                Value::Bulk(Some(b"SET".to_vec())),
                Value::Bulk(Some(b"k".to_vec())),
                Value::Bulk(Some(b"a\r\nb".to_vec()))
            ]))
        );
        assert_eq!(encode(&[]), b"*0\r\n");
    }

    #[test]
    fn a_partial_reply_asks_for_more_and_pipelined_replies_decode_in_order() {
        let full = b"*2\r\n$5\r\nhello\r\n:7\r\n";
        for cut in 0..full.len() {
            assert_eq!(decode(&full[..cut]).unwrap(), None, "cut at {cut}");
        }
        let pipelined = b"+OK\r\n$-1\r\n:3\r\n";
        let mut at = 0;
        let mut seen = Vec::new();
        while let Some((value, used)) = decode(&pipelined[at..]).unwrap() {
            seen.push(value.show());
            at += used;
        }
        assert_eq!(seen, ["OK", "(nil)", "(integer) 3"]);
    }

    #[test]
    fn malformed_replies_are_errors_at_their_offset() {
        let err = |bytes: &[u8]| decode(bytes).unwrap_err();
        assert_eq!(err(b"!oops\r\n").offset, 0);
        assert!(err(b"!oops\r\n").reason.contains("0x21"));
        assert_eq!(err(b":12x\r\n").reason, "`12x` is not a number");
        assert_eq!(err(b":+5\r\n").reason, "`+5` is not a number");
        assert_eq!(err(b"$-2\r\n").reason, "negative length");
        assert_eq!(err(b"$3\r\nabcd\r\n").offset, 7);
        assert_eq!(err(b"*-5\r\n").reason, "negative count");
        assert_eq!(err(b"*1\r\n:x\r\n").offset, 5);
        assert_eq!(err(b"$99999999999\r\n").reason, "bulk string too long");
        let deep = "*1\r\n".repeat(MAX_DEPTH + 2);
        assert_eq!(err(deep.as_bytes()).reason, "arrays nested too deep");
    }

    #[test]
    fn show_prints_like_redis_cli() {
        assert_eq!(Value::Bulk(Some(b"v\"1".to_vec())).show(), "\"v\\\"1\"");
        assert_eq!(Value::Error("OOM x".into()).show(), "(error) OOM x");
        assert_eq!(
            Value::Array(Some(vec![Value::Integer(1), Value::Bulk(None)])).show(),
            "[(integer) 1, (nil)]"
        );
    }
}
