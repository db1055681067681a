//! The chat server of `chat` on 127.0.0.1 with real tungstenite clients: rooms and broadcast,
//! a slow client that stops reading, and the heartbeat finding a peer that vanished. The output
//! is what the clients received and what the server decided, never times or ports.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use super::chat::{Config, Server, start};
use super::frame::{Sender, decode, opcode_name};
use crate::input::no_input;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "realtime::live",
    title: "A chat server with rooms on 127.0.0.1: real clients, a slow client, and a dead peer found by ping/pong",
    file: file!(),
    default_input: "",
    input_help: "no input: the clients and what they send are fixed",
    runs: Runs::NativeOnly {
        reason: "a web page cannot listen on a TCP port",
        simulation: Some("realtime::rooms"),
    },
    run: Run::Text(run),
};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub async fn client(server: &Server, name: &str) -> Result<Ws, String> {
    let (ws, _) =
        connect_async(format!("ws://{}/{name}", server.addr)).await.map_err(|e| format!("{name}: {e}"))?;
    Ok(ws)
}

pub async fn send(ws: &mut Ws, text: &str) -> Result<(), String> {
    ws.send(Message::text(text)).await.map_err(|e| e.to_string())
}

/// The next text message (pings are answered by tungstenite while it reads), within 10 s.
pub async fn next_text(ws: &mut Ws) -> Result<String, String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return Ok(t.to_string()),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => return Err(e.to_string()),
            Ok(None) => return Err("closed".into()),
            Err(_) => return Err("no message within 10 s".into()),
        }
    }
}

/// `name` sends `text` and waits for the server's answer.
pub async fn ask(ws: &mut Ws, text: &str) -> Result<String, String> {
    send(ws, text).await?;
    next_text(ws).await
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())
}

// ANCHOR: rooms
async fn rooms(out: &mut String) -> Result<(), String> {
    let mut config = Config::new("A");
    config.ping_every = Duration::from_secs(3600); // the heartbeat has its own part below
    let server = start(config).await?;
    let (mut alice, mut bob, mut carol) =
        (client(&server, "alice").await?, client(&server, "bob").await?, client(&server, "carol").await?);
    for (name, ws, room) in
        [("alice", &mut alice, "lobby"), ("bob", &mut bob, "lobby"), ("carol", &mut carol, "ops")]
    {
        out.push_str(&format!("{name}: join {room} -> {}\n", ask(ws, &format!("join {room}")).await?));
    }
    out.push_str(&format!("alice: say lobby hello -> {}\n", ask(&mut alice, "say lobby hello").await?));
    out.push_str(&format!("bob receives: {}\n", next_text(&mut bob).await?));
    out.push_str(&format!("bob: leave lobby -> {}\n", ask(&mut bob, "leave lobby").await?));
    ask(&mut alice, "say lobby anyone left?").await?;
    out.push_str(&format!("carol: join lobby -> {}\n", ask(&mut carol, "join lobby").await?));
    out.push_str(&format!("bob: join ops -> {}\n", ask(&mut bob, "join ops").await?));
    ask(&mut carol, "say ops ping me").await?;
    ask(&mut alice, "say lobby welcome carol").await?;
    // What each one reads next shows what it did not get: bob left before "anyone left?",
    // carol joined after it.
    out.push_str(&format!("bob's next message: {}\n", next_text(&mut bob).await?));
    out.push_str(&format!("carol's next message: {}\n", next_text(&mut carol).await?));
    // The closing handshake: alice closes with 1000; the server must answer with a close
    // frame before the TCP connection ends, or her side reports 1006 (no close frame).
    let bye = CloseFrame { code: CloseCode::Normal, reason: "bye".into() };
    alice.close(Some(bye)).await.map_err(|e| e.to_string())?;
    let answer = match tokio::time::timeout(Duration::from_secs(10), alice.next()).await {
        Ok(Some(Ok(Message::Close(Some(f))))) => format!("a close frame, code {}", u16::from(f.code)),
        Ok(Some(Ok(Message::Close(None)))) => "a close frame without a code".into(),
        Ok(Some(Ok(m))) => format!("{m:?}"),
        Ok(Some(Err(e))) => format!("an error: {e}"),
        Ok(None) => "the socket closed without a close frame (1006)".into(),
        Err(_) => "nothing within 10 s".into(),
    };
    let ended = matches!(tokio::time::timeout(Duration::from_secs(10), alice.next()).await, Ok(None));
    out.push_str(&format!(
        "alice: close 1000 -> the server answered {answer}; then the socket ended: {ended}\n"
    ));
    Ok(())
}
// ANCHOR_END: rooms

// ANCHOR: slow
/// A client that joins and never reads. Messages of 64 KiB go to its room, one at a time, each
/// read by a fast member before the next is sent. The slow one's frames pile up: first in the
/// kernel's socket buffers, then in its queue of 16, and the server disconnects it.
async fn slow(out: &mut String) -> Result<(), String> {
    let mut config = Config::new("A");
    config.ping_every = Duration::from_secs(3600);
    let mut server = start(config).await?;
    let (mut alice, mut carol, mut slowpoke) = (
        client(&server, "alice").await?,
        client(&server, "carol").await?,
        client(&server, "slowpoke").await?,
    );
    for ws in [&mut alice, &mut carol, &mut slowpoke] {
        ask(ws, "join lobby").await?;
    }
    let big = "x".repeat(64 * 1024);
    let mut sent = 0;
    let mut received = 0;
    let mut dropped = None;
    while sent < 5000 && dropped.is_none() {
        ask(&mut alice, &format!("say lobby {sent} {big}")).await?;
        sent += 1;
        if next_text(&mut carol).await?.starts_with(&format!("lobby alice: {} ", sent - 1)) {
            received += 1;
        }
        while let Ok(event) = server.events.try_recv() {
            if event.contains("slowpoke disconnected") {
                dropped = Some(event);
            }
        }
    }
    let event = dropped.ok_or("the slow client was never disconnected")?;
    out.push_str(&format!("server: {event}\n"));
    out.push_str(&format!(
        "it happened after {} messages of 64 KiB (the queue holds 16; the rest sat in socket buffers)\n",
        if sent > 16 { "more than 16" } else { "16 or fewer" }
    ));
    out.push_str(&format!("carol, reading as they came, received all of them: {}\n", received == sent));
    ask(&mut alice, "say lobby after").await?;
    out.push_str(&format!("carol receives: {}\n", next_text(&mut carol).await?));
    Ok(())
}
// ANCHOR_END: slow

// ANCHOR: heartbeat
/// dave is a tungstenite client that keeps reading, so it answers every ping by itself.
/// zombie does the handshake by hand (with the book's key) and then never reads again, as a
/// process that froze or a peer whose network vanished would.
async fn heartbeat(out: &mut String) -> Result<(), String> {
    let mut config = Config::new("A");
    config.ping_every = Duration::from_millis(100);
    config.missed_pongs = 2;
    let mut server = start(config).await?;
    let mut dave = client(&server, "dave").await?;
    let reader = tokio::spawn(async move { while let Some(Ok(_)) = dave.next().await {} });

    let mut zombie = TcpStream::connect(server.addr).await.map_err(|e| e.to_string())?;
    let request = "GET /zombie HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    zombie.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        zombie.read_exact(&mut byte).await.map_err(|e| e.to_string())?;
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    out.push_str(&format!("zombie's handshake by hand: {}\n", head.lines().next().unwrap_or("")));
    let accept = head.lines().find(|l| l.to_ascii_lowercase().starts_with("sec-websocket-accept"));
    out.push_str(&format!(
        "  tungstenite answered {} (RFC 6455's value for that key)\n",
        accept.unwrap_or("no accept")
    ));

    out.push_str(&format!("server: {}\n", server.wait_for("zombie terminated").await?));
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), zombie.read_to_end(&mut rest))
        .await
        .map_err(|_| "the zombie's socket was not closed")?
        .map_err(|e| e.to_string())?;
    let frames = decode(&rest, Sender::Server).map_err(|e| e.to_string())?;
    let kinds: Vec<String> = frames
        .iter()
        .map(|f| format!("{} {:?}", opcode_name(f.opcode), String::from_utf8_lossy(&f.payload)))
        .collect();
    out.push_str(&format!(
        "  what the zombie had been sent (the book's decoder): {}, then the socket closed\n",
        kinds.join(", ")
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    out.push_str(&format!(
        "dave, who kept reading, answered pings by himself and is still connected: {}\n",
        server.pongs("dave") >= 2 && !reader.is_finished()
    ));
    reader.abort();
    Ok(())
}
// ANCHOR_END: heartbeat

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    let rt = runtime().map_err(InputError::new)?;
    let mut out = String::from("rooms and broadcast\n");
    rt.block_on(rooms(&mut out)).map_err(|e| InputError::new(format!("rooms: {e}")))?;
    out.push_str("\na slow client (bounded queue: disconnect)\n");
    rt.block_on(slow(&mut out)).map_err(|e| InputError::new(format!("slow client: {e}")))?;
    out.push_str("\nping/pong: finding a dead peer (ping every 100 ms, dead after 2 unanswered)\n");
    rt.block_on(heartbeat(&mut out)).map_err(|e| InputError::new(format!("heartbeat: {e}")))?;
    Ok(out)
}
