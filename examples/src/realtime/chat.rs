//! The chapter's chat server (native only): tokio-tungstenite on 127.0.0.1, rooms, broadcast,
//! ping/pong dead-peer detection, a bounded queue per client that disconnects a slow one, and,
//! optionally, a Redis pub/sub bus that joins several servers' rooms.
//!
//! The protocol is text frames: a client connects to `ws://host/<name>` and sends `join <room>`,
//! `leave <room>` or `say <room> <text>`; the server answers `joined <room>` / `left <room>` and
//! delivers `<room> <name>: <text>` to the room's other members.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

use crate::caching::client::Client as Redis;

/// A server's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// This server's name (`A`, `B`): it prefixes client ids on the bus.
    pub name: String,
    pub ping_every: Duration,
    /// Pings left unanswered before the peer is declared dead.
    pub missed_pongs: u32,
    /// Frames that may wait for one client before it counts as too slow.
    pub queue: usize,
    /// Redis address and channel prefix, when rooms are shared through pub/sub.
    pub bus: Option<(String, String)>,
}

impl Config {
    pub fn new(name: &str) -> Config {
        Config {
            name: name.into(),
            ping_every: Duration::from_millis(100),
            missed_pongs: 2,
            queue: 16,
            bus: None,
        }
    }
}

struct Member {
    /// The bounded queue to the client's writer task.
    queue: mpsc::Sender<Message>,
    /// Wakes the connection's reader task when the hub drops the client.
    kill: Arc<Notify>,
    writer: JoinHandle<()>,
    pongs: u64,
}

#[derive(Default)]
struct Hub {
    members: HashMap<String, Member>,
    /// room → local members
    rooms: BTreeMap<String, BTreeSet<String>>,
    /// Channels whose SUBSCRIBE Redis has not yet confirmed, and who waits for them.
    pending: HashMap<String, Vec<oneshot::Sender<()>>>,
    /// The bus, so that every way a member leaves (even a drop decided on the bus's thread)
    /// unsubscribes a room that has no local member left.
    bus: Option<Arc<Bus>>,
}

/// A running server: its address, and a log of what it did (joins, drops, terminations).
pub struct Server {
    pub addr: SocketAddr,
    pub events: mpsc::UnboundedReceiver<String>,
    hub: Arc<Mutex<Hub>>,
    accept: JoinHandle<()>,
}

impl Server {
    /// Waits for the next event that contains `needle` (up to 10 s), skipping others.
    pub async fn wait_for(&mut self, needle: &str) -> Result<String, String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) if event.contains(needle) => return Ok(event),
                Ok(Some(_)) => {}
                Ok(None) => return Err("the server stopped".into()),
                Err(_) => return Err(format!("no event `{needle}` within 10 s")),
            }
        }
    }

    /// How many pongs a client has answered so far.
    pub fn pongs(&self, name: &str) -> u64 {
        self.hub.lock().expect("hub").members.get(name).map_or(0, |m| m.pongs)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
        for member in self.hub.lock().expect("hub").members.values() {
            member.writer.abort();
            member.kill.notify_one();
        }
    }
}

type Log = mpsc::UnboundedSender<String>;

/// The bus side of a server: publishing, and (un)subscribing a room's channel. Both go to
/// threads through channels, so async tasks (and holders of the hub's lock) never wait on Redis.
struct Bus {
    prefix: String,
    publish: std::sync::mpsc::Sender<(String, String)>,
    control: std::sync::mpsc::Sender<(&'static str, String)>,
}

impl Bus {
    fn channel(&self, room: &str) -> String {
        format!("{}:room:{room}", self.prefix)
    }

    /// Queues `SUBSCRIBE` or `UNSUBSCRIBE` of a room's channel (in order, on one thread).
    fn command(&self, verb: &'static str, room: &str) {
        let _ = self.control.send((verb, self.channel(room)));
    }
}

// ANCHOR: start
/// Binds 127.0.0.1:0 and serves until the [`Server`] is dropped.
pub async fn start(config: Config) -> Result<Server, String> {
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let hub = Arc::new(Mutex::new(Hub::default()));
    let (log, events) = mpsc::unbounded_channel();
    let bus = match &config.bus {
        Some((address, prefix)) => {
            let bus = Arc::new(connect_bus(address, prefix, &config.name, hub.clone(), log.clone())?);
            hub.lock().expect("hub").bus = Some(bus.clone());
            Some(bus)
        }
        None => None,
    };
    let (h, cfg, l) = (hub.clone(), Arc::new(config), log.clone());
    let accept = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(connection(stream, h.clone(), cfg.clone(), bus.clone(), l.clone()));
        }
    });
    Ok(Server { addr, events, hub, accept })
}
// ANCHOR_END: start

// ANCHOR: connection
/// One client: a writer task that drains its bounded queue into the socket, and this reader
/// loop, which also sends the heartbeat and is woken when the hub drops the client.
async fn connection(
    stream: TcpStream,
    hub: Arc<Mutex<Hub>>,
    cfg: Arc<Config>,
    bus: Option<Arc<Bus>>,
    log: Log,
) {
    let mut name = String::new();
    #[allow(clippy::result_large_err)] // the signature tungstenite's `Callback` asks for
    let callback = |request: &Request, response: Response| {
        name = request.uri().path().trim_start_matches('/').to_string();
        Ok(response)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else { return };
    let (mut sink, mut frames) = ws.split();
    let (queue, mut outgoing) = mpsc::channel::<Message>(cfg.queue);
    let kill = Arc::new(Notify::new());
    let writer = tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    hub.lock()
        .expect("hub")
        .members
        .insert(name.clone(), Member { queue: queue.clone(), kill: kill.clone(), writer, pongs: 0 });
    let _ = log.send(format!("{name} connected"));
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + cfg.ping_every, cfg.ping_every);
    let mut unanswered = 0u32;
    loop {
        tokio::select! {
            frame = frames.next() => match frame {
                Some(Ok(Message::Text(text))) => command(&name, text.as_str(), &hub, &cfg, bus.as_deref(), &log).await,
                Some(Ok(Message::Pong(_))) => {
                    unanswered = 0;
                    if let Some(m) = hub.lock().expect("hub").members.get_mut(&name) {
                        m.pongs += 1;
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    let code = frame.map_or("none".to_string(), |f| u16::from(f.code).to_string());
                    let _ = log.send(format!("{name} closed (code {code})"));
                    // tungstenite has only queued its answering close: it goes out on the next
                    // read, which then ends the stream. Dropping now would leave the handshake
                    // unfinished (the client would see 1006, not a clean close).
                    let _ = tokio::time::timeout(Duration::from_secs(1), async {
                        while let Some(Ok(_)) = frames.next().await {}
                    })
                    .await;
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    let _ = log.send(format!("{name}: {e}"));
                    break;
                }
                None => break,
            },
            _ = ticks.tick() => {
                if unanswered >= cfg.missed_pongs {
                    let _ = log.send(format!("{name} terminated: {unanswered} pings unanswered (dead peer)"));
                    break;
                }
                unanswered += 1;
                // A full queue means a slow client: the broadcast path deals with it.
                let _ = queue.try_send(Message::Ping(b"hb".to_vec().into()));
            }
            _ = kill.notified() => break,
        }
    }
    drop_member(&name, &hub);
}
// ANCHOR_END: connection

/// Removes a client from the hub and every room, and stops its writer (the socket closes).
fn drop_member(name: &str, hub: &Mutex<Hub>) {
    let mut h = hub.lock().expect("hub");
    if let Some(m) = h.members.remove(name) {
        m.writer.abort();
        m.kill.notify_one();
    }
    let mut emptied = Vec::new();
    for (room, members) in h.rooms.iter_mut() {
        if members.remove(name) && members.is_empty() {
            emptied.push(room.clone());
        }
    }
    for room in emptied {
        h.rooms.remove(&room);
        if let Some(bus) = &h.bus {
            bus.command("UNSUBSCRIBE", &room);
        }
    }
}

fn reply(hub: &Mutex<Hub>, name: &str, text: String) {
    if let Some(m) = hub.lock().expect("hub").members.get(name) {
        let _ = m.queue.try_send(Message::text(text));
    }
}

async fn command(name: &str, text: &str, hub: &Arc<Mutex<Hub>>, cfg: &Config, bus: Option<&Bus>, log: &Log) {
    let mut words = text.splitn(3, ' ');
    match (words.next(), words.next(), words.next()) {
        (Some("join"), Some(room), None) => {
            let wait = {
                let mut h = hub.lock().expect("hub");
                let members = h.rooms.entry(room.to_string()).or_default();
                let first = members.is_empty();
                members.insert(name.to_string());
                match bus {
                    // Redis delivers only to subscribers it already knows: wait for the
                    // confirmation before telling the client it is in, or it could miss a message.
                    // A joiner who comes while the SUBSCRIBE is still pending waits for it too.
                    Some(bus) if first || h.pending.contains_key(&bus.channel(room)) => {
                        let (done, wait) = oneshot::channel();
                        h.pending.entry(bus.channel(room)).or_default().push(done);
                        if first {
                            bus.command("SUBSCRIBE", room);
                        }
                        Some(wait)
                    }
                    _ => None,
                }
            };
            if let Some(wait) = wait {
                let _ = tokio::time::timeout(Duration::from_secs(10), wait).await;
            }
            let _ = log.send(format!("{name} joined {room}"));
            reply(hub, name, format!("joined {room}"));
        }
        (Some("leave"), Some(room), None) => {
            let emptied = {
                let mut h = hub.lock().expect("hub");
                let members = h.rooms.entry(room.to_string()).or_default();
                members.remove(name);
                let empty = members.is_empty();
                if empty {
                    h.rooms.remove(room);
                }
                empty
            };
            if let (Some(bus), true) = (bus, emptied) {
                bus.command("UNSUBSCRIBE", room);
            }
            reply(hub, name, format!("left {room}"));
        }
        (Some("say"), Some(room), Some(words)) => {
            match bus {
                // Through the bus, even for local members: every server delivers in the bus's order.
                Some(bus) => {
                    let payload = format!("{}\n{name}\n{words}", cfg.name);
                    let _ = bus.publish.send((bus.channel(room), payload));
                }
                None => broadcast(hub, room, name, words, log),
            }
            // The sender's acknowledgement: the message has left this connection's hands.
            reply(hub, name, format!("sent {room}"));
        }
        _ => reply(hub, name, format!("error: cannot read `{text}`")),
    }
}

// ANCHOR: broadcast
/// Writes `<room> <from>: <text>` into the queue of every local member except the sender. A
/// full queue means the client has not read for `queue` frames while the socket's buffers are
/// full too: it is disconnected, not skipped (see the page for why).
fn broadcast(hub: &Mutex<Hub>, room: &str, from: &str, text: &str, log: &Log) {
    let mut slow = Vec::new();
    {
        let h = hub.lock().expect("hub");
        let Some(members) = h.rooms.get(room) else { return };
        let line = format!("{room} {from}: {text}");
        for member in members {
            if member == from {
                continue;
            }
            if let Some(m) = h.members.get(member)
                && let Err(mpsc::error::TrySendError::Full(_)) = m.queue.try_send(Message::text(line.clone()))
            {
                slow.push(member.clone());
            }
        }
    }
    for member in slow {
        let _ = log.send(format!("{member} disconnected: its queue of frames is full (slow client)"));
        drop_member(&member, hub);
    }
}
// ANCHOR_END: broadcast

// ANCHOR: bus
/// Two Redis connections for one server: a publisher (a thread fed by a channel, so the async
/// tasks never block on Redis; it logs how many subscribers each PUBLISH reached) and a
/// subscriber, written by a second thread and read by a third, which delivers each message to
/// the local members of its room.
fn connect_bus(
    address: &str,
    prefix: &str,
    server: &str,
    hub: Arc<Mutex<Hub>>,
    log: Log,
) -> Result<Bus, String> {
    let mut publisher = Redis::connect(address)?;
    let (publish, jobs) = std::sync::mpsc::channel::<(String, String)>();
    let room_of = format!("{prefix}:room:");
    let (name, prefix_len, publog) = (server.to_string(), room_of.len(), log.clone());
    std::thread::spawn(move || {
        for (channel, payload) in jobs {
            let Ok(reached) = publisher.call(&["PUBLISH", &channel, &payload]) else { break };
            let words = payload.splitn(3, '\n').nth(2).unwrap_or("");
            let _ = publog.send(format!(
                "server {name}: PUBLISH {} {words:?} reached {} subscriber(s)",
                &channel[prefix_len..],
                reached.integer().unwrap_or(-1)
            ));
        }
    });
    let mut subscriber = Redis::connect(address)?;
    subscriber.set_read_timeout(None)?;
    let mut writer = subscriber.writer()?;
    let (control, commands) = std::sync::mpsc::channel::<(&'static str, String)>();
    std::thread::spawn(move || {
        use std::io::Write;
        for (verb, channel) in commands {
            if writer
                .write_all(&crate::caching::resp::encode(&[verb.as_bytes(), channel.as_bytes()]))
                .is_err()
            {
                break;
            }
        }
    });
    let name = server.to_string();
    std::thread::spawn(move || {
        while let Ok(push) = subscriber.next_push() {
            let Some((kind, channel, payload)) = Redis::push(&push) else { continue };
            match kind.as_str() {
                "subscribe" => {
                    let waiting = hub.lock().expect("hub").pending.remove(&channel).unwrap_or_default();
                    for done in waiting {
                        let _ = done.send(());
                    }
                }
                "message" => {
                    let Some(room) = channel.strip_prefix(&room_of) else { continue };
                    let text = String::from_utf8_lossy(&payload).to_string();
                    let mut parts = text.splitn(3, '\n');
                    let (Some(origin), Some(from), Some(words)) = (parts.next(), parts.next(), parts.next())
                    else {
                        continue;
                    };
                    let _ = log.send(format!("server {name} got {room} from the bus (sent via {origin})"));
                    broadcast(&hub, room, from, words, &log);
                }
                _ => {}
            }
        }
    });
    Ok(Bus { prefix: prefix.to_string(), publish, control })
}
// ANCHOR_END: bus
