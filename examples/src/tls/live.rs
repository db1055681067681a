//! A real TLS handshake: a rustls server and client on 127.0.0.1, a chain made by rcgen when the
//! example runs (root CA -> intermediate -> leaf for `api.internal.test`; no key is stored
//! anywhere), the client's socket recorded and its records decoded by the book's own decoder.
//! Then the failures, with rustls's own errors: wrong name, expired leaf, unknown CA, and a
//! server that forgot its intermediate.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

use super::crypto::expand_label;
use super::wire::{self, Record};
use crate::input::no_input;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "tls::live",
    title: "rustls on 127.0.0.1: a real handshake, decoded, and four real failures",
    file: file!(),
    default_input: "",
    input_help: "no input: the chain is generated and the connections are made when it runs",
    runs: Runs::NativeOnly {
        reason: "opens TCP sockets and runs rustls",
        simulation: Some("tls::handshake"),
    },
    run: Run::Text(run),
};

const HOST: &str = "api.internal.test";

/// A generated PKI: the root's certificate, the chain the server sends, the leaf's key.
struct Pki {
    root: CertificateDer<'static>,
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

// ANCHOR: chain
/// Root CA (self-signed) -> intermediate CA (path length 0) -> leaf for `HOST`. `expired` sets
/// the leaf's validity to 2020 (both dates in the past).
fn pki(root_name: &str, expired: bool) -> Result<Pki, rcgen::Error> {
    let mut root = CertificateParams::new(Vec::<String>::new())?;
    root.distinguished_name.push(DnType::CommonName, root_name);
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let root = CertifiedIssuer::self_signed(root, KeyPair::generate()?)?;

    let mut inter = CertificateParams::new(Vec::<String>::new())?;
    inter.distinguished_name.push(DnType::CommonName, "Book Intermediate CA");
    inter.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    inter.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let inter = CertifiedIssuer::signed_by(inter, KeyPair::generate()?, &root)?;

    let mut leaf = CertificateParams::new(vec![HOST.to_string()])?; // the SAN dNSName
    leaf.distinguished_name.push(DnType::CommonName, HOST);
    if expired {
        leaf.not_before = rcgen::date_time_ymd(2020, 1, 1);
        leaf.not_after = rcgen::date_time_ymd(2020, 4, 1);
    }
    let leaf_key = KeyPair::generate()?;
    let leaf = leaf.signed_by(&leaf_key, &inter)?;
    Ok(Pki {
        root: root.der().clone(),
        chain: vec![leaf.der().clone(), inter.der().clone()],
        key: leaf_key.serialize_der(),
    })
}
// ANCHOR_END: chain

/// The client's socket, recording every byte it writes and reads, in order.
struct Recorder {
    inner: TcpStream,
    sent: Vec<u8>,
    received: Vec<u8>,
}

impl Read for Recorder {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.received.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sent.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The TLS 1.3 client offers only TLS_AES_128_GCM_SHA256, the suite the decryption below (and
/// the book's SHA-256 key schedule) handles.
fn provider13() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::CryptoProvider {
        cipher_suites: vec![rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256],
        ..rustls::crypto::ring::default_provider()
    })
}

// ANCHOR: keylog
/// Every traffic secret a client logged: (label, ClientHello random, secret). The random names
/// the connection, so runs never mix, even when examples run in parallel.
type Logged = (String, Vec<u8>, Vec<u8>);
static LOGGED: Mutex<Vec<Logged>> = Mutex::new(Vec::new());

/// rustls's `KeyLog` hook, the one `SSLKEYLOGFILE` uses: called with each secret the client derives.
#[derive(Debug)]
struct KeyLogger;

impl rustls::KeyLog for KeyLogger {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let mut log = LOGGED.lock().unwrap_or_else(|e| e.into_inner());
        log.push((label.to_string(), client_random.to_vec(), secret.to_vec()));
    }
}

/// Opens one TLS 1.3 record: key and IV from the traffic secret with the book's HKDF-Expand-Label,
/// nonce = IV XOR the record's sequence number, the 5-byte header as associated data. Returns the
/// inner content type and the plaintext.
fn open_record(secret: &[u8], seq: u64, header: &[u8], ciphertext: &[u8]) -> Option<(u8, Vec<u8>)> {
    use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let key = expand_label(secret, "key", &[], 16);
    let iv = expand_label(secret, "iv", &[], 12);
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&iv);
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).ok()?);
    let mut buf = ciphertext.to_vec();
    let plain = key.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(header), &mut buf).ok()?;
    let end = plain.iter().rposition(|&b| b != 0)?; // strip the zero padding
    Some((plain[end], plain[..end].to_vec()))
}
// ANCHOR_END: keylog

/// The inner messages of one direction's encrypted TLS 1.3 records: opened with the handshake
/// traffic secret up to that side's Finished, then with the application traffic secret.
fn decrypt_flight(bytes: &[u8], hs: &[u8], ap: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let (mut app, mut seq, mut pos) = (false, 0u64, 0usize);
    while pos + 5 <= bytes.len() {
        let len = u16::from_be_bytes([bytes[pos + 3], bytes[pos + 4]]) as usize;
        let header = &bytes[pos..pos + 5];
        let body = &bytes[pos + 5..(pos + 5 + len).min(bytes.len())];
        pos += 5 + len;
        if header[0] != 23 {
            continue;
        }
        let Some((inner, plain)) = open_record(if app { ap } else { hs }, seq, header, body) else {
            out.push("(a record the derived keys did not open)".into());
            break;
        };
        seq += 1;
        let mut names = Vec::new();
        let mut finished = false;
        if inner == 22 {
            let mut i = 0;
            while i + 4 <= plain.len() {
                let t = plain[i];
                let n = u32::from_be_bytes([0, plain[i + 1], plain[i + 2], plain[i + 3]]) as usize;
                names.push(wire::handshake_name(t).to_string());
                finished |= t == 20;
                i += 4 + n;
            }
        } else {
            names.push(match inner {
                21 => "alert".to_string(),
                23 => format!("application data, {} bytes", plain.len()),
                t => format!("content type {t}"),
            });
        }
        let keys = if app { "application" } else { "handshake" };
        out.push(format!("record {seq} ({keys} keys): {}", names.join(", ")));
        if finished {
            (app, seq) = (true, 0);
        }
    }
    out
}

type Versions = &'static [&'static rustls::SupportedProtocolVersion];
const TLS13: Versions = &[&rustls::version::TLS13];
const TLS12: Versions = &[&rustls::version::TLS12];

fn server_config(pki: &Pki, chain: Vec<CertificateDer<'static>>) -> Arc<ServerConfig> {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key.clone()));
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("the leaf's key matches");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

// ANCHOR: client
fn client_config(root: &CertificateDer<'static>, versions: Versions) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(root.clone()).expect("a valid root");
    let tls13 = std::ptr::eq(versions, TLS13);
    let mut config = ClientConfig::builder_with_provider(if tls13 { provider13() } else { provider() })
        .with_protocol_versions(versions)
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.key_log = Arc::new(KeyLogger); // the traffic secrets, for decrypting what was recorded
    Arc::new(config)
}
// ANCHOR_END: client

/// What one connection showed.
struct Seen {
    client: Result<String, rustls::Error>,
    server: Result<String, String>,
    sent: Vec<u8>,
    received: Vec<u8>,
}

/// The secrets logged for the connection whose ClientHello random is bytes 11..43 of `sent`.
fn secrets_of(sent: &[u8]) -> Vec<(String, Vec<u8>)> {
    let Some(random) = sent.get(11..43) else { return Vec::new() };
    let log = LOGGED.lock().unwrap_or_else(|e| e.into_inner());
    log.iter().filter(|(_, r, _)| r == random).map(|(l, _, s)| (l.clone(), s.clone())).collect()
}

/// One connection: the server thread answers one GET; the client sends it to `name`.
fn connect(server: Arc<ServerConfig>, client: Arc<ClientConfig>, name: &str) -> Seen {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = std::thread::spawn(move || -> Result<String, String> {
        let (sock, _) = listener.accept().map_err(|e| e.to_string())?;
        let conn = ServerConnection::new(server).map_err(|e| e.to_string())?;
        let mut tls = rustls::StreamOwned::new(conn, sock);
        let mut buf = [0u8; 1024];
        let n = tls.read(&mut buf).map_err(|e| e.to_string())?;
        let request = String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or("").to_string();
        let sni = tls.conn.server_name().map(str::to_string);
        let alpn = tls.conn.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned());
        tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            .map_err(|e| e.to_string())?;
        tls.conn.send_close_notify();
        tls.flush().map_err(|e| e.to_string())?;
        let _ = tls.conn.complete_io(&mut tls.sock);
        Ok(format!("server saw SNI {sni:?}, ALPN {alpn:?}, request {request:?}"))
    });
    let sock = TcpStream::connect(addr).expect("connect");
    let mut rec = Recorder { inner: sock, sent: Vec::new(), received: Vec::new() };
    let server_name = ServerName::try_from(name.to_string()).expect("a DNS name");
    let mut conn = ClientConnection::new(client, server_name).expect("client");
    let client = (|| -> Result<String, rustls::Error> {
        while conn.is_handshaking() {
            let step = conn.complete_io(&mut rec).map_err(|e| {
                e.into_inner()
                    .and_then(|inner| inner.downcast::<rustls::Error>().ok())
                    .map(|b| *b)
                    .unwrap_or(rustls::Error::General("i/o".into()))
            });
            if let Err(e) = step {
                let _ = conn.write_tls(&mut rec); // the alert that tells the server why
                return Err(e);
            }
        }
        let version = conn.protocol_version().map(|v| format!("{v:?}")).unwrap_or_default();
        let suite = conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())).unwrap_or_default();
        let alpn = conn.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default();
        let kind = conn.handshake_kind().map(|k| format!("{k:?}")).unwrap_or_default();
        let mut tls = rustls::Stream::new(&mut conn, &mut rec);
        tls.write_all(b"GET / HTTP/1.1\r\nhost: api.internal.test\r\n\r\n").expect("write");
        let mut response = Vec::new();
        let _ = tls.read_to_end(&mut response);
        let status = String::from_utf8_lossy(&response).lines().next().unwrap_or("").to_string();
        Ok(format!(
            "version {version}, cipher suite {suite}, ALPN {alpn:?}, handshake {kind}, response {status:?}"
        ))
    })();
    drop(rec.inner.shutdown(std::net::Shutdown::Both));
    let server = handle.join().unwrap_or_else(|_| Err("server thread panicked".into()));
    Seen { client, server, sent: rec.sent, received: rec.received }
}

/// A rustls error in words that do not change from run to run (the expiry error carries the
/// current time, which is replaced by its meaning).
fn describe(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(C::ExpiredContext { .. }) => {
            // The variant's fields hold the current time; print its name, not the times.
            "invalid peer certificate: CertificateError::ExpiredContext (now is after the leaf's notAfter)"
                .into()
        }
        other => other.to_string(),
    }
}

/// The records of one direction, one line each; a hello's key facts beside it.
fn records(bytes: &[u8], out: &mut String) {
    let (_, result) = wire::narrate(bytes);
    let list: Vec<Record> = match result {
        Ok(list) => list,
        Err(e) => {
            out.push_str(&format!("    (stopped decoding at offset {}: {})\n", e.offset, e.reason));
            return;
        }
    };
    let mut encrypted = 0;
    let flush = |n: &mut usize, out: &mut String| {
        if *n > 0 {
            out.push_str(&format!(
                "    application_data x{n} (encrypted: handshake messages, tickets or data)\n"
            ));
            *n = 0;
        }
    };
    for r in &list {
        if r.content_type == 23 {
            encrypted += 1;
            continue;
        }
        flush(&mut encrypted, out);
        let name = wire::content_type_name(r.content_type);
        if r.messages.is_empty() {
            let what = match r.content_type {
                22 => " (encrypted after change_cipher_spec: the Finished)",
                21 => " (encrypted: close_notify)",
                _ => "",
            };
            out.push_str(&format!("    {name}{what}\n"));
        }
        for (t, hello) in &r.messages {
            out.push_str(&format!("    {name}: {}\n", wire::handshake_name(*t)));
            if let Some(h) = hello {
                let suites: Vec<String> = h.cipher_suites.iter().map(|s| wire::suite_name(*s)).collect();
                let mut sorted = h.extensions.clone();
                sorted.sort();
                let exts: Vec<String> = sorted.iter().map(|e| e.to_string()).collect();
                let versions: Vec<String> = h.versions.iter().map(|v| wire::version_name(*v)).collect();
                let groups: Vec<String> = h.key_share_groups.iter().map(|g| wire::group_name(*g)).collect();
                if h.client {
                    out.push_str(&format!(
                        "      SNI {:?}, ALPN {:?}, versions [{}]\n",
                        h.server_name.as_deref().unwrap_or("-"),
                        h.alpn,
                        versions.join(", ")
                    ));
                    out.push_str(&format!("      suites [{}]\n", suites.join(", ")));
                } else {
                    out.push_str(&format!(
                        "      chosen suite {}, version {}\n",
                        suites.join(", "),
                        if versions.is_empty() {
                            "(legacy_version)".to_string()
                        } else {
                            versions.join(", ")
                        }
                    ));
                }
                out.push_str(&format!(
                    "      key shares [{}], extension types, sorted [{}]\n",
                    groups.join(", "),
                    exts.join(" ")
                ));
            }
        }
    }
    flush(&mut encrypted, out);
}

fn show(title: &str, seen: &Seen, out: &mut String, bytes: bool) {
    out.push_str(&format!("== {title}\n"));
    match &seen.client {
        Ok(s) => out.push_str(&format!("client: {s}\n")),
        Err(e) => out.push_str(&format!("client error: {}\n", describe(e))),
    }
    match &seen.server {
        Ok(s) => out.push_str(&format!("{s}\n")),
        Err(e) => out.push_str(&format!("server error: {e}\n")),
    }
    if bytes {
        out.push_str("  records the client sent:\n");
        records(&seen.sent, out);
        out.push_str("  records the client received:\n");
        records(&seen.received, out);
        let secrets = secrets_of(&seen.sent);
        let secret = |label: &str| secrets.iter().find(|(l, _)| l == label).map(|(_, s)| s.as_slice());
        let sides = [
            ("received", &seen.received, "SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"),
            ("sent", &seen.sent, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"),
        ];
        for (dir, bytes, hs, ap) in sides {
            if let (Some(hs), Some(ap)) = (secret(hs), secret(ap)) {
                out.push_str(&format!(
                    "  application_data records {dir}, opened with the logged secrets and the book's key schedule:\n"
                ));
                for line in decrypt_flight(bytes, hs, ap) {
                    out.push_str(&format!("    {line}\n"));
                }
            }
        }
    }
}

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    let good = pki("Book Root CA", false).map_err(|e| InputError::new(e.to_string()))?;
    let server = server_config(&good, good.chain.clone());
    let mut out = String::new();

    // ANCHOR: runs
    let client13 = client_config(&good.root, TLS13);
    show("TLS 1.3, full handshake", &connect(server.clone(), client13.clone(), HOST), &mut out, true);
    show(
        "TLS 1.3 again, same client config: resumed with a ticket",
        &connect(server.clone(), client13, HOST),
        &mut out,
        true,
    );
    show(
        "TLS 1.2, ECDHE (the messages 1.3 encrypts are plaintext here)",
        &connect(server.clone(), client_config(&good.root, TLS12), HOST),
        &mut out,
        true,
    );

    show(
        "wrong host name",
        &connect(server.clone(), client_config(&good.root, TLS13), "db.internal.test"),
        &mut out,
        false,
    );
    let expired = pki("Book Root CA", true).map_err(|e| InputError::new(e.to_string()))?;
    show(
        "expired leaf",
        &connect(server_config(&expired, expired.chain.clone()), client_config(&expired.root, TLS13), HOST),
        &mut out,
        false,
    );
    let stranger = pki("Other Root CA", false).map_err(|e| InputError::new(e.to_string()))?;
    show(
        "unknown CA (the client trusts another root)",
        &connect(server.clone(), client_config(&stranger.root, TLS13), HOST),
        &mut out,
        false,
    );
    let leaf_only = server_config(&good, good.chain[..1].to_vec());
    show(
        "server sends the leaf without its intermediate",
        &connect(leaf_only, client_config(&good.root, TLS13), HOST),
        &mut out,
        false,
    );
    // ANCHOR_END: runs
    Ok(out)
}
