//! The book's codec against a real implementation. A raw TCP server answers tungstenite's
//! handshake with the book's `accept::respond`, records every byte the tungstenite client sends
//! and decodes them with the book's decoder. Then it sends the client broken frames and prints
//! what tungstenite says about each.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::accept::{Request, respond};
use super::frame::{CLOSE, Frame, PING, PONG, Sender, TEXT, decode, encode, opcode_name};
use crate::input::no_input;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "realtime::capture",
    title: "What tungstenite really sends, decoded by the book's decoder, and what it says about broken frames",
    file: file!(),
    default_input: "",
    input_help: "no input: the frames are fixed",
    runs: Runs::NativeOnly {
        reason: "a web page cannot listen on a TCP port",
        simulation: Some("realtime::bytes"),
    },
    run: Run::Text(run),
};

const LIMIT: Duration = Duration::from_secs(10);

/// Accepts one connection, reads the request head, answers with the book's handshake code.
async fn handshake(listener: &TcpListener) -> Result<(TcpStream, String), String> {
    let (mut stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.map_err(|e| e.to_string())?;
        head.push(byte[0]);
    }
    let request = Request::parse(&String::from_utf8_lossy(&head))?;
    let response = respond(&request)?;
    stream.write_all(response.as_bytes()).await.map_err(|e| e.to_string())?;
    Ok((stream, request.line))
}

// ANCHOR: capture
async fn capture(out: &mut String) -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let url = format!("ws://{}/capture", listener.local_addr().map_err(|e| e.to_string())?);
    let client = tokio::spawn(async move {
        let (mut ws, response) = connect_async(url).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        ws.send(Message::text("Hello")).await.map_err(|e| e.to_string())?;
        ws.send(Message::binary(vec![7u8; 300])).await.map_err(|e| e.to_string())?;
        // Reading the server's ping makes tungstenite queue the pong; it reaches the wire only
        // after the close frame (the output shows the order).
        let ping = ws.next().await.ok_or("closed")?.map_err(|e| e.to_string())?;
        let close = CloseFrame { code: CloseCode::Normal, reason: "bye".into() };
        ws.close(Some(close)).await.map_err(|e| e.to_string())?;
        let mut after = Vec::new();
        while let Some(Ok(m)) = ws.next().await {
            after.push(format!("{m:?}"));
        }
        Ok::<_, String>((status, format!("{ping:?}"), after))
    });
    let (mut stream, line) =
        tokio::time::timeout(LIMIT, handshake(&listener)).await.map_err(|_| "no client")??;
    out.push_str(&format!("tungstenite's request: {line}; the book's respond() answered 101\n"));
    let ping = encode(&Frame::new(PING, b"are you there?"));
    stream.write_all(&ping).await.map_err(|e| e.to_string())?;
    // Read until the bytes decode into frames that include the close and the pong owed.
    let mut seen = Vec::new();
    let frames = loop {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(LIMIT, stream.read(&mut chunk))
            .await
            .map_err(|_| format!("no close from the client: {:?}", decode(&seen, Sender::Client)))?;
        let n = n.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the client closed without a close frame".into());
        }
        seen.extend_from_slice(&chunk[..n]);
        if let Ok(frames) = decode(&seen, Sender::Client)
            && frames.iter().any(|f| f.opcode == CLOSE)
            && frames.iter().any(|f| f.opcode == PONG)
        {
            break frames;
        }
    };
    stream.write_all(&encode(&Frame::close(1000, ""))).await.map_err(|e| e.to_string())?;
    drop(stream);
    let (status, ping_seen, after) = tokio::time::timeout(LIMIT, client)
        .await
        .map_err(|_| "client hung")?
        .map_err(|e| e.to_string())??;
    out.push_str(&format!("the client accepted the book's Sec-WebSocket-Accept: status {status}\n"));
    out.push_str(&format!("the client read the book's ping as {ping_seen}\n"));
    out.push_str(&format!("{} bytes from the client, decoded by the book:\n", seen.len()));
    let mut keys = Vec::new();
    for f in &frames {
        let n = f.payload.len();
        let form = match n {
            0..=125 => "7-bit length",
            126..=65535 => "126 + 16-bit length",
            _ => "127 + 64-bit length",
        };
        let header = 2 + if n > 125 { 2 } else { 0 } + if f.mask.is_some() { 4 } else { 0 };
        let content = match f.opcode {
            CLOSE => format!(
                "code {} reason {:?}",
                u16::from_be_bytes([f.payload[0], f.payload[1]]),
                String::from_utf8_lossy(&f.payload[2..])
            ),
            TEXT | PING | PONG => format!("{:?}", String::from_utf8_lossy(&f.payload)),
            _ => format!("{n} bytes"),
        };
        out.push_str(&format!(
            "  {:<6} FIN={} masked={} {n} bytes ({form}, {header}-byte header): {content}\n",
            opcode_name(f.opcode),
            u8::from(f.fin),
            f.mask.is_some()
        ));
        keys.extend(f.mask);
    }
    keys.sort();
    keys.dedup();
    out.push_str(&format!(
        "  a fresh masking key per frame: {} keys for {} frames\n",
        keys.len(),
        frames.len()
    ));
    out.push_str(&format!(
        "after the close handshake the client read: {}\n",
        if after.is_empty() { "nothing more".to_string() } else { after.join(", ") }
    ));
    Ok(())
}
// ANCHOR_END: capture

/// Broken frames a server might send, and what tungstenite's client says about each.
const BROKEN: &[(&str, &[u8])] = &[
    ("a masked server frame", &[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]),
    ("RSV1 set, no extension", &[0xc1, 0x05, b'H', b'e', b'l', b'l', b'o']),
    ("text that is not UTF-8", &[0x81, 0x02, 0xc3, 0x28]),
    ("a fragmented ping", &[0x09, 0x00]),
    ("close code 1006", &[0x88, 0x02, 0x03, 0xee]),
    ("a continuation with nothing to continue", &[0x80, 0x02, b'l', b'o']),
    (
        "\"Hello\" with a 16-bit length of 5 (not the shortest form)",
        &[0x81, 0x7e, 0x00, 0x05, b'H', b'e', b'l', b'l', b'o'],
    ),
    ("a 64-bit length with its top bit set", &[0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0x05, 1, 2, 3, 4, 5]),
];

async fn broken(out: &mut String) -> Result<(), String> {
    for (what, bytes) in BROKEN {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
        let url = format!("ws://{}/broken", listener.local_addr().map_err(|e| e.to_string())?);
        let client = tokio::spawn(async move {
            let (mut ws, _) = connect_async(url).await.map_err(|e| e.to_string())?;
            Ok::<_, String>(match ws.next().await {
                Some(Ok(m)) => format!("no error; next() returned {m:?}"),
                Some(Err(e)) => format!("error: {e}"),
                None => "saw the connection end".into(),
            })
        });
        let (mut stream, _) =
            tokio::time::timeout(LIMIT, handshake(&listener)).await.map_err(|_| "no client")??;
        stream.write_all(bytes).await.map_err(|e| e.to_string())?;
        let book = decode(bytes, Sender::Server).err().map_or("accepts".to_string(), |e| e.to_string());
        let said = tokio::time::timeout(LIMIT, client)
            .await
            .map_err(|_| "client hung")?
            .map_err(|e| e.to_string())??;
        out.push_str(&format!("{what}:\n  the book's decoder: {book}\n  tungstenite: {said}\n"));
    }
    Ok(())
}

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| InputError::new(e.to_string()))?;
    let mut out = String::new();
    rt.block_on(capture(&mut out)).map_err(|e| InputError::new(format!("capture: {e}")))?;
    out.push_str("\nbroken frames from a server\n");
    rt.block_on(broken(&mut out)).map_err(|e| InputError::new(format!("broken frames: {e}")))?;
    Ok(out)
}
