//! A small authoritative server on 127.0.0.1, UDP and TCP on one port (std::net, one thread per
//! transport and per TCP connection), and the example that queries it with the book's own
//! encoder: answers, a CNAME chased inside the zone, NXDOMAIN with the SOA, and an answer too
//! big for the client's UDP size, sent with TC=1 and fetched again over TCP.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::wire::*;
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "dns::server",
    title: "An authoritative server on 127.0.0.1, queried over UDP and TCP",
    file: file!(),
    default_input: "query = web.example.com A\n\
query = www.example.com A\n\
query = nope.example.com A\n\
query = example.com MX\n\
query = _imaps._tcp.example.com SRV\n\
query = big.example.com TXT\n\
query = big.example.com TXT edns=1232\n\
query = huge.example.com TXT edns=4096\n\
query = _tcp.example.com A\n\
query = old.example.com A\n",
    input_help: "`query = NAME TYPE [edns=SIZE]` lines, sent over UDP (then TCP if the answer is truncated)",
    runs: Runs::NativeOnly {
        reason: "a web page cannot open UDP or TCP sockets",
        simulation: Some("dns::bytes"),
    },
    run: Run::Text(run),
};

/// The zone the server is authoritative for.
pub const ORIGIN: &str = "example.com.";
/// SOA: the last number (300 s) caps how long a resolver may cache "no such name" (RFC 2308).
pub fn soa() -> Record {
    Record::new(
        ORIGIN,
        TYPE_SOA,
        3600,
        Rdata::Soa {
            mname: "ns1.example.com.".into(),
            rname: "hostmaster.example.com.".into(),
            serial: 2026113001,
            refresh: 7200,
            retry: 900,
            expire: 1_209_600,
            minimum: 300,
        },
    )
}

/// Every record of the zone.
pub fn zone() -> Vec<Record> {
    let txt = |n: usize| {
        Rdata::Txt((0..n).map(|i| format!("chunk {i:02} {}", "x".repeat(180)).into_bytes()).collect())
    };
    vec![
        soa(),
        Record::new(ORIGIN, TYPE_NS, 3600, Rdata::Name("ns1.example.com.".into())),
        Record::new(ORIGIN, TYPE_A, 300, Rdata::A([192, 0, 2, 1])),
        Record::new(
            ORIGIN,
            TYPE_MX,
            3600,
            Rdata::Mx { preference: 10, exchange: "mail.example.com.".into() },
        ),
        Record::new(ORIGIN, TYPE_TXT, 3600, Rdata::Txt(vec![b"v=spf1 mx -all".to_vec()])),
        Record::new("ns1.example.com.", TYPE_A, 3600, Rdata::A([192, 0, 2, 53])),
        Record::new("mail.example.com.", TYPE_A, 3600, Rdata::A([192, 0, 2, 25])),
        Record::new("www.example.com.", TYPE_CNAME, 300, Rdata::Name("web.example.com.".into())),
        // An alias whose target was deleted: the answer is the CNAME and NXDOMAIN (RFC 6604 §2.1).
        Record::new("old.example.com.", TYPE_CNAME, 300, Rdata::Name("gone.example.com.".into())),
        Record::new("web.example.com.", TYPE_A, 60, Rdata::A([192, 0, 2, 10])),
        Record::new(
            "web.example.com.",
            TYPE_AAAA,
            60,
            Rdata::Aaaa([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]),
        ),
        Record::new(
            "_imaps._tcp.example.com.",
            TYPE_SRV,
            3600,
            Rdata::Srv { priority: 0, weight: 1, port: 993, target: "mail.example.com.".into() },
        ),
        // About 950 bytes of answer: over 512, under 1232.
        Record::new("big.example.com.", TYPE_TXT, 60, txt(5)),
        // About 1,900 bytes: over 1232 too, so only TCP carries it.
        Record::new("huge.example.com.", TYPE_TXT, 60, txt(10)),
    ]
}

fn same(a: &str, b: &str) -> bool {
    a.trim_end_matches('.').eq_ignore_ascii_case(b.trim_end_matches('.'))
}

/// A name exists if it owns records or is an empty non-terminal: a name with no records of its
/// own but with names below it, like `_tcp.example.com` above `_imaps._tcp.example.com`
/// (RFC 8020, RFC 9499). Such a name gets NODATA, never NXDOMAIN.
fn exists(zone: &[Record], name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    zone.iter().any(|rec| {
        let owner = rec.name.trim_end_matches('.').to_ascii_lowercase();
        owner == name || owner.ends_with(&format!(".{name}"))
    })
}

fn in_zone(name: &str) -> bool {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    n == "example.com" || n.ends_with(".example.com")
}

// ANCHOR: answer
/// The authoritative answer to `query`, and whether it had to be truncated to fit `udp_limit`
/// (None over TCP). Without EDNS a UDP answer may be 512 bytes (RFC 1035 §4.2.1); with an OPT
/// record, the lesser of the client's size and our own (RFC 6891 §6.2.5), which is 1232 bytes,
/// the size the 2020 DNS flag day recommended.
pub fn answer(query: &Message, zone: &[Record], udp_limit: Option<usize>) -> Message {
    let mut r = Message { header: query.header, questions: query.questions.clone(), ..Message::default() };
    r.header.qr = true;
    r.header.ra = false; // authoritative only: no recursion
    r.header.ad = false; // and no DNSSEC validation
    if query.questions.len() != 1 {
        r.header.rcode = RCODE_FORMERR;
        return r;
    }
    if query.edns_size().is_some() {
        r.additional.push(Record::opt(1232));
    }
    let q = &query.questions[0];
    if !in_zone(&q.name) {
        r.header.rcode = RCODE_REFUSED;
        return r;
    }
    r.header.aa = true;
    let mut name = q.name.clone();
    for _ in 0..8 {
        let here: Vec<&Record> = zone.iter().filter(|rec| same(&rec.name, &name)).collect();
        let matching: Vec<Record> =
            here.iter().filter(|rec| rec.rtype == q.qtype).map(|rec| (*rec).clone()).collect();
        let cname = here.iter().find(|rec| rec.rtype == TYPE_CNAME);
        if !matching.is_empty() {
            r.answers.extend(matching);
            break;
        }
        if let Some(cname) = cname {
            // Chase the alias inside the zone; a target outside it is the resolver's job.
            r.answers.push((*cname).clone());
            let Rdata::Name(target) = &cname.data else { break };
            name = target.clone();
            if !in_zone(&name) {
                break;
            }
            continue;
        }
        // No data: NXDOMAIN if the name does not exist (even at the end of a CNAME chain, RFC
        // 6604 §2.1), NODATA (NOERROR, empty) if it does.
        if !exists(zone, &name) {
            r.header.rcode = RCODE_NXDOMAIN;
        }
        // RFC 2308 §3: the SOA goes in the authority section; its TTL is the smaller of its own
        // TTL and its MINIMUM field, which is how long the negative answer may be cached.
        let mut soa = soa();
        if let Rdata::Soa { minimum, .. } = soa.data {
            soa.ttl = soa.ttl.min(minimum);
        }
        r.authority.push(soa);
        break;
    }
    if let Some(limit) = udp_limit
        && encode(&r).map_or(0, |b| b.len()) > limit
    {
        // Too big: send the question alone with TC=1; the client asks again over TCP.
        r.header.tc = true;
        r.answers.clear();
        r.authority.clear();
    }
    r
}
// ANCHOR_END: answer

/// How a query reached the server (the tests read this log to see the TCP fallback).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// One query the server answered: transport, name, type, and whether the answer was truncated.
pub type LogLine = (Transport, String, u16, bool);

pub struct Server {
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<LogLine>>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

fn respond(bytes: &[u8], transport: Transport, log: &Mutex<Vec<LogLine>>) -> Option<Vec<u8>> {
    let query = decode(bytes).ok()?;
    if query.header.qr {
        return None; // a response, not a query: answering it could start a loop, so drop it
    }
    let limit = match transport {
        Transport::Udp => Some(usize::from(query.edns_size().unwrap_or(512).clamp(512, 1232))),
        Transport::Tcp => None,
    };
    let reply = answer(&query, &zone(), limit);
    if let Some(q) = query.questions.first() {
        log.lock().unwrap_or_else(|e| e.into_inner()).push((
            transport,
            q.name.clone(),
            q.qtype,
            reply.header.tc,
        ));
    }
    encode(&reply).ok()
}

impl Server {
    /// Binds UDP and TCP on one free port of 127.0.0.1 and starts serving.
    pub fn start() -> io::Result<Server> {
        let (udp, tcp) = bind_pair()?;
        let addr = udp.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        udp.set_read_timeout(Some(Duration::from_millis(20)))?;
        tcp.set_nonblocking(true)?;
        let (s1, l1) = (stop.clone(), log.clone());
        let udp_thread = std::thread::spawn(move || {
            let mut buf = [0u8; 65535];
            while !s1.load(Ordering::Relaxed) {
                if let Ok((n, from)) = udp.recv_from(&mut buf)
                    && let Some(reply) = respond(&buf[..n], Transport::Udp, &l1)
                {
                    let _ = udp.send_to(&reply, from);
                }
            }
        });
        let (s2, l2) = (stop.clone(), log.clone());
        let tcp_thread = std::thread::spawn(move || {
            while !s2.load(Ordering::Relaxed) {
                match tcp.accept() {
                    Ok((stream, _)) => {
                        let l = l2.clone();
                        std::thread::spawn(move || {
                            let _ = serve_tcp(stream, &l);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(Server { addr, log, stop, threads: vec![udp_thread, tcp_thread] })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// UDP and TCP bound to the same free port (retrying if another program takes the TCP side).
fn bind_pair() -> io::Result<(UdpSocket, TcpListener)> {
    let mut last = None;
    for _ in 0..20 {
        let udp = UdpSocket::bind("127.0.0.1:0")?;
        match TcpListener::bind(udp.local_addr()?) {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no port")))
}

/// Over TCP each message has a two-byte length in front (RFC 1035 §4.2.2, RFC 7766).
fn serve_tcp(mut stream: TcpStream, log: &Mutex<Vec<LogLine>>) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    loop {
        let mut len = [0u8; 2];
        if stream.read_exact(&mut len).is_err() {
            return Ok(()); // the client closed the connection
        }
        let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
        stream.read_exact(&mut msg)?;
        if let Some(reply) = respond(&msg, Transport::Tcp, log) {
            stream.write_all(&(reply.len() as u16).to_be_bytes())?;
            stream.write_all(&reply)?;
        }
    }
}

fn summary(m: &Message, size: usize) -> String {
    let h = m.header;
    let mut s = format!(
        "{size} B, {}{}{}, {} answer(s), {} authority\n",
        rcode_name(h.rcode),
        if h.aa { ", AA=1" } else { "" },
        if h.tc { ", TC=1" } else { ", TC=0" },
        m.answers.len(),
        m.authority.len()
    );
    for r in m.answers.iter().chain(&m.authority) {
        let data = match &r.data {
            Rdata::Txt(t) if t.len() > 1 => format!(
                "{}… ({} strings, {} bytes)",
                &r.data.to_string()[..30],
                t.len(),
                t.iter().map(|x| x.len() + 1).sum::<usize>()
            ),
            other => other.to_string(),
        };
        s.push_str(&format!("      {} {} {} {data}\n", r.name, r.ttl, type_name(r.rtype)));
    }
    s
}

// ANCHOR: example
/// Sends each query over UDP with the book's encoder; if the reply says TC=1, asks again over
/// TCP, as a stub resolver must.
fn exchange(server: &Server, queries: &[(String, u16, Option<u16>)], out: &mut String) -> io::Result<()> {
    let udp = UdpSocket::bind("127.0.0.1:0")?;
    for (i, (name, qtype, edns)) in queries.iter().enumerate() {
        let query = Message::query(0x1000 + i as u16, name, *qtype, *edns);
        let bytes = encode(&query).map_err(|e| io::Error::other(e.to_string()))?;
        let mut buf = [0u8; 4096];
        // UDP may lose the query or the reply: wait 1 s, send again, then wait 5 s.
        let mut n = None;
        for wait in [1, 5] {
            udp.set_read_timeout(Some(Duration::from_secs(wait)))?;
            udp.send_to(&bytes, server.addr)?;
            match udp.recv(&mut buf) {
                Ok(got) => {
                    n = Some(got);
                    break;
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                Err(e) => return Err(e),
            }
        }
        let n = n.ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "no UDP reply after 2 tries"))?;
        let reply = decode(&buf[..n]).map_err(|e| io::Error::other(e.to_string()))?;
        let edns_text = edns.map_or("no EDNS".to_string(), |s| format!("EDNS size {s}"));
        out.push_str(&format!("{name} {} ({edns_text}): UDP query {} B\n", type_name(*qtype), bytes.len()));
        out.push_str(&format!("  UDP reply {}", summary(&reply, n)));
        if reply.header.tc {
            let mut tcp = TcpStream::connect(server.addr)?;
            tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
            tcp.write_all(&(bytes.len() as u16).to_be_bytes())?;
            tcp.write_all(&bytes)?;
            let mut len = [0u8; 2];
            tcp.read_exact(&mut len)?;
            let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
            tcp.read_exact(&mut msg)?;
            let full = decode(&msg).map_err(|e| io::Error::other(e.to_string()))?;
            out.push_str(&format!("  TC=1, so again over TCP: reply {}", summary(&full, msg.len())));
        }
    }
    Ok(())
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["query"])?;
    let mut queries = Vec::new();
    for entry in params.all("query") {
        let words: Vec<&str> = entry.value.split_whitespace().collect();
        let (name, qtype) = match words.as_slice() {
            [name, t, ..] => (
                *name,
                type_number(t)
                    .ok_or_else(|| InputError::at_line(entry.line, format!("unknown type `{t}`")))?,
            ),
            _ => return Err(InputError::at_line(entry.line, "expected `NAME TYPE [edns=SIZE]`")),
        };
        let edns = match words.get(2) {
            Some(w) => {
                Some(w.strip_prefix("edns=").and_then(|s| s.parse::<u16>().ok()).ok_or_else(|| {
                    InputError::at_line(entry.line, "expected `edns=SIZE` (a number up to 65535)")
                })?)
            }
            None => None,
        };
        encode(&Message::query(0, name, qtype, edns))
            .map_err(|e| InputError::at_line(entry.line, e.to_string()))?;
        queries.push((name.to_string(), qtype, edns));
    }
    if queries.is_empty() || queries.len() > 20 {
        return Err(InputError::new("give 1 to 20 `query = NAME TYPE` lines"));
    }
    let server = Server::start().map_err(|e| InputError::new(format!("cannot start the server: {e}")))?;
    let mut out = String::new();
    exchange(&server, &queries, &mut out).map_err(|e| InputError::new(format!("exchange failed: {e}")))?;
    let log = server.log.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let tcp = log.iter().filter(|l| l.0 == Transport::Tcp).count();
    out.push_str(&format!("server log: {} queries over UDP, {tcp} over TCP\n", log.len() - tcp));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::TokioResolver;
    use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
    use hickory_resolver::net::runtime::TokioRuntimeProvider;
    use hickory_resolver::proto::op::Message as HMessage;
    use hickory_resolver::proto::rr::{RData, RecordType};

    fn resolver(addr: SocketAddr, edns0: bool) -> TokioResolver {
        let mut udp = ConnectionConfig::udp();
        udp.port = addr.port();
        let mut tcp = ConnectionConfig::tcp();
        tcp.port = addr.port();
        let ns = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
        let mut opts = ResolverOpts::default();
        opts.edns0 = edns0;
        opts.cache_size = 0;
        opts.attempts = 1;
        opts.timeout = Duration::from_secs(5);
        TokioResolver::builder_with_config(
            ResolverConfig::from_name_servers(vec![ns]),
            TokioRuntimeProvider::default(),
        )
        .with_options(opts)
        .build()
        .expect("resolver")
    }

    /// A real resolver library (hickory) asks our server: answers, CNAME chasing, NXDOMAIN with
    /// the SOA's negative TTL, and truncation followed by its own retry over TCP.
    #[test]
    fn hickory_resolver_reads_our_answers() {
        let server = Server::start().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let r = resolver(server.addr, true);
            let ips: Vec<String> =
                r.lookup_ip("web.example.com.").await.unwrap().iter().map(|ip| ip.to_string()).collect();
            assert!(ips.contains(&"192.0.2.10".to_string()), "{ips:?}");
            // www is a CNAME to web: the answer holds both; the resolver returns the address.
            let www = r.lookup("www.example.com.", RecordType::A).await.unwrap();
            let kinds: Vec<RecordType> = www.answers().iter().map(|rec| rec.record_type()).collect();
            assert_eq!(kinds, vec![RecordType::CNAME, RecordType::A], "{www:?}");
            let mx = r.lookup("example.com.", RecordType::MX).await.unwrap();
            assert!(matches!(&mx.answers()[0].data, RData::MX(m) if m.preference == 10), "{mx:?}");
            let srv = r.lookup("_imaps._tcp.example.com.", RecordType::SRV).await.unwrap();
            assert!(matches!(&srv.answers()[0].data, RData::SRV(s) if s.port == 993), "{srv:?}");
            let e = r.lookup("nope.example.com.", RecordType::A).await.unwrap_err();
            assert!(e.is_nx_domain(), "{e:?}");
            // huge is over 1232 bytes: a UDP reply with TC=1, then the same query over TCP.
            let huge = r.lookup("huge.example.com.", RecordType::TXT).await.unwrap();
            assert_eq!(huge.answers().len(), 1);
            // Without EDNS, 512 bytes is the limit: big (≈950 B) also falls back.
            let plain = resolver(server.addr, false);
            plain.lookup("big.example.com.", RecordType::TXT).await.unwrap();
        });
        let log = server.log.lock().unwrap().clone();
        let of = |name: &str| -> Vec<(Transport, bool)> {
            log.iter().filter(|l| same(&l.1, name)).map(|l| (l.0, l.3)).collect()
        };
        assert_eq!(of("huge.example.com."), vec![(Transport::Udp, true), (Transport::Tcp, false)], "{log:?}");
        assert_eq!(of("big.example.com."), vec![(Transport::Udp, true), (Transport::Tcp, false)], "{log:?}");
        assert_eq!(of("web.example.com.").first(), Some(&(Transport::Udp, false)), "{log:?}");
    }

    /// hickory-proto parses the bytes of our encoder, compression pointers and all.
    #[test]
    fn hickory_proto_parses_our_encoding() {
        let mut q = Message::query(0x1234, "www.example.com.", TYPE_A, Some(1232));
        q.header.rd = false;
        let reply = answer(&q, &zone(), Some(1232));
        let bytes = encode(&reply).unwrap();
        let parsed = HMessage::from_vec(&bytes).unwrap();
        assert_eq!(parsed.metadata.id, 0x1234);
        assert!(parsed.metadata.authoritative);
        let answers: Vec<String> =
            parsed.answers.iter().map(|r| format!("{} {} {}", r.name, r.record_type(), r.data)).collect();
        assert_eq!(answers, vec!["www.example.com. CNAME web.example.com.", "web.example.com. A 192.0.2.10"]);
        assert_eq!(parsed.edns.as_ref().map(|e| e.max_payload()), Some(1232));
        let nx = answer(&Message::query(1, "nope.example.com.", TYPE_A, None), &zone(), Some(512));
        let parsed = HMessage::from_vec(&encode(&nx).unwrap()).unwrap();
        assert_eq!(parsed.authorities.len(), 1);
        assert_eq!(parsed.authorities[0].ttl, 300, "min(SOA TTL 3600, MINIMUM 300)");
    }

    /// Sizes by hand: the big TXT answer is 12 (header) + 21 (question: 3big7example3com0 = 17,
    /// + 4) + 2 (pointer) + 10 (type..rdlength) + 5 × (1 + 189) = 995 bytes: over 512, under 1232.
    #[test]
    fn truncation_follows_the_client_size() {
        let q = Message::query(1, "big.example.com.", TYPE_TXT, None);
        let full = answer(&q, &zone(), None);
        assert_eq!(encode(&full).unwrap().len(), 995);
        assert!(answer(&q, &zone(), Some(512)).header.tc);
        let q = Message::query(1, "big.example.com.", TYPE_TXT, Some(1232));
        assert!(!answer(&q, &zone(), Some(1232)).header.tc);
        let q = Message::query(1, "web.example.com.", TYPE_MX, None);
        let nodata = answer(&q, &zone(), Some(512));
        assert_eq!(
            (nodata.header.rcode, nodata.answers.len(), nodata.authority.len()),
            (RCODE_NOERROR, 0, 1)
        );
        let q = Message::query(1, "example.org.", TYPE_A, None);
        assert_eq!(answer(&q, &zone(), Some(512)).header.rcode, RCODE_REFUSED);
    }

    /// `_tcp.example.com` owns no records but `_imaps._tcp.example.com` is below it: an empty
    /// non-terminal, so NODATA with the SOA, not NXDOMAIN (RFC 8020).
    #[test]
    fn empty_non_terminal_is_nodata() {
        let q = Message::query(1, "_tcp.example.com.", TYPE_A, None);
        let r = answer(&q, &zone(), Some(512));
        assert_eq!((r.header.rcode, r.answers.len(), r.authority.len()), (RCODE_NOERROR, 0, 1));
        assert_eq!(r.authority[0].rtype, TYPE_SOA);
        let q = Message::query(1, "cp.example.com.", TYPE_A, None);
        assert_eq!(answer(&q, &zone(), Some(512)).header.rcode, RCODE_NXDOMAIN, "a suffix is not a label");
    }

    /// A CNAME whose target does not exist: the CNAME in the answer, NXDOMAIN (RFC 6604 §2.1).
    #[test]
    fn dangling_cname_is_nxdomain() {
        let q = Message::query(1, "old.example.com.", TYPE_A, None);
        let r = answer(&q, &zone(), Some(512));
        assert_eq!((r.header.rcode, r.answers.len(), r.authority.len()), (RCODE_NXDOMAIN, 1, 1));
        assert_eq!(r.answers[0].rtype, TYPE_CNAME);
    }

    /// The UDP size is the lesser of the client's and ours (1232), and a response is dropped.
    #[test]
    fn udp_size_is_capped_and_responses_are_dropped() {
        let log = Mutex::new(Vec::new());
        let q = Message::query(1, "huge.example.com.", TYPE_TXT, Some(4096));
        let reply = decode(&respond(&encode(&q).unwrap(), Transport::Udp, &log).unwrap()).unwrap();
        assert!(reply.header.tc, "about 1,900 bytes must not go out over UDP even if 4096 is offered");
        let mut r = Message::query(2, "web.example.com.", TYPE_A, None);
        r.header.qr = true;
        assert!(respond(&encode(&r).unwrap(), Transport::Udp, &log).is_none());
    }
}
