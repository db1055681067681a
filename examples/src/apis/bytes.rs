//! The byte view: protobuf messages (and gRPC's length-prefixed frames) as hex, every field
//! explained with its offset, and the exact offset and reason of the first byte that is wrong.

use super::protobuf::{Line, decode, decode_grpc};
use crate::byteview;
use crate::dns::wire::parse_hex;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "apis::protobuf_bytes",
    title: "Protobuf byte by byte: the spec's examples, a Book, a gRPC frame, and exact errors",
    file: file!(),
    default_input: DEFAULT,
    input_help: "hex bytes of protobuf messages (`#` starts a comment), cases separated by `---`; a case \
                 whose first line is `grpc` is read as gRPC length-prefixed messages",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT: &str = "\
# protobuf.dev's first example: message Test1 { int32 a = 1; } with a = 150
08 96 01
---
# its second: message Test2 { string b = 2; } with b = \"testing\"
12 07 74 65 73 74 69 6e 67
---
# a Book, as our encoder and prost both write it
# Book { id: 7, title: \"Dune\", author: \"Frank Herbert\", year: 1965, tags: [\"sf\"] }
08 07 12 04 44 75 6e 65 1a 0d 46 72 61 6e 6b 20 48 65 72 62 65 72 74 20 ad 0f 2a 02 73 66
---
grpc
# a gRPC request body: GetBookRequest { id: 1 } behind its 5-byte prefix, as tonic sent it
00 00 00 00 02 08 01
---
# a nested message: ListBooksResponse { books: [Book { id: 7 }], next_page_token: \"7\" }
0a 02 08 07 12 01 37
---
# packed repeated (protobuf.dev): repeated int32 f = 6 holding [3, 270, 86942]
32 06 03 8e 02 9e a7 05
---
# a Book { id: 7 } with a field 9 this schema does not know: a decoder skips it by its wire type
08 07 48 2a
---
# the first example cut short: the varint's continuation bit promises a byte that never comes
08 96
---
# eleven bytes of varint: 64 bits fit in ten
08 ff ff ff ff ff ff ff ff ff ff 01
---
# wire type 6: tag 0x0e is field 1, wire type 6, which does not exist
0e 01
---
# field number 0
00 01
---
# a length past the end: \"testing\" announced as 9 bytes
12 09 74 65 73 74 69 6e 67
---
# a proto2 group (wire type 3) around field 2
0b 10 01 0c
";

// ANCHOR: example
/// Each field on one line: offset, up to six of its bytes, its meaning indented by depth.
fn view(bytes: &[u8], grpc: bool, out: &mut String) {
    let mut lines: Vec<Line> = Vec::new();
    let result = if grpc {
        decode_grpc(bytes, &mut lines).map(|n| format!("{n} gRPC message(s)"))
    } else {
        decode(bytes, 0, 0, &mut lines).map(|fields| format!("{} field(s) at the top level", fields.len()))
    };
    for l in lines {
        out.push_str(&byteview::field_row(bytes, l.at, l.len, l.depth, &l.text, 6, 20));
    }
    match result {
        Ok(what) => out.push_str(&format!("ok: {} bytes, {what}\n", bytes.len())),
        Err(e) => out.push_str(&format!("error at offset {}: {}\n", e.offset, e.reason)),
    }
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    let cases =
        byteview::cases(input, 20, "cases", "no bytes: write a protobuf message as hex, such as 08 96 01")?;
    let mut out = String::new();
    for (n, case) in cases.iter().enumerate() {
        let (first, text) = (&case.first, &case.text());
        // `grpc` on the case's first meaningful line: the bytes are length-prefixed messages.
        let mut grpc = false;
        let mut hex = String::new();
        let mut seen_bytes = false;
        for line in text.lines() {
            let content = line.split('#').next().unwrap_or("").trim();
            if !seen_bytes && content.eq_ignore_ascii_case("grpc") {
                grpc = true;
                hex.push('\n');
                continue;
            }
            seen_bytes |= !content.is_empty();
            hex.push_str(line);
            hex.push('\n');
        }
        let bytes = parse_hex(&hex).map_err(|(line, why)| InputError::at_line(first + line - 1, why))?;
        if bytes.len() > 4096 {
            return Err(InputError::at_line(*first, "at most 4096 bytes per case"));
        }
        let title = text.lines().find_map(|l| l.split_once('#')).map_or("", |(_, c)| c.trim());
        out.push_str(&format!(
            "case {} (line {first}){}{title}\n",
            n + 1,
            if title.is_empty() { "" } else { ": " }
        ));
        view(&bytes, grpc, &mut out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::protobuf::{Book, grpc_frame};
    use super::*;

    /// The default's Book and gRPC frame are what the encoder writes (so the page's bytes are
    /// not typed by hand), and every broken case fails where the hand count says.
    #[test]
    fn default_bytes_are_the_encoders_and_errors_are_exact() {
        let cases: Vec<&str> = DEFAULT.split("---").collect();
        let book = Book {
            id: 7,
            title: "Dune".into(),
            author: "Frank Herbert".into(),
            year: 1965,
            tags: vec!["sf".into()],
        };
        assert_eq!(parse_hex(cases[2]).unwrap(), book.encode());
        assert_eq!(parse_hex(&cases[3].replace("grpc", "")).unwrap(), grpc_frame(&[0x08, 0x01]));
        let out = run(DEFAULT).unwrap();
        for expected in [
            "   0  08 96 01             field 1, VARINT: 150 (sint zigzag: 75)",
            "   0  12 07                field 2, LEN, 7 bytes: string \"testing\"",
            "field 4, VARINT: 1965",
            "   0  00 00 00 00 02       gRPC prefix: not compressed, message of 2 bytes",
            "   5  08 01                  field 1, VARINT: 1 (sint zigzag: -1)",
            "field 6, LEN, 6 bytes: packed varints [3, 270, 86942] (or bytes)",
            "   2  48 2a                field 9, VARINT: 42",
            "error at offset 1: truncated varint: 1 byte(s) read",
            "error at offset 1: varint over 10 bytes",
            "error at offset 0: wire type 6 does not exist",
            "error at offset 0: field number 0",
            "error at offset 1: length 9 runs past the end: 7 byte(s) left",
            "error at offset 0: wire type 3 (SGROUP)",
        ] {
            assert!(out.contains(expected), "{expected:?} not in\n{out}");
        }
        assert_eq!(run("08 96\nzz").unwrap_err().line, Some(2));
        assert!(run("# nothing").is_err());
    }
}
