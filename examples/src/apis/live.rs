//! The same catalogue served twice on 127.0.0.1, each on a port the kernel picks: over
//! HTTP/1.1 as a REST API by axum (hyper underneath), called by a hand-written HTTP/1.1 client
//! over a TCP socket, and over gRPC by tonic (hyper's HTTP/2 underneath), called by tonic's
//! client. No protoc: the messages are hand-written `prost::Message` structs and the service
//! is wired the way tonic's generated code wires one (`tonic::server::Grpc` with tonic-prost's
//! codec). Two observers: a layer between tonic's client and its channel keeps the request and
//! response as `http` values (headers as tonic built them, whole bodies, trailers), and a TCP
//! relay between the channel and the server reads the 9-byte header of every HTTP/2 frame that
//! crosses it (HPACK-compressed header blocks stay opaque). The chapter's decoder reads bodies.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tonic::codegen::{BoxFuture, BoxStream, Context, Poll, Service, StdError, http};

use super::catalogue::{self, Catalogue, book_json};
use super::protobuf::{self, Line};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "apis::rest_and_grpc",
    title: "One catalogue over REST (axum) and gRPC (tonic) on 127.0.0.1, called by real clients",
    file: file!(),
    default_input: "",
    input_help: "no input: the example starts both servers, calls them and prints the exchanges",
    runs: Runs::NativeOnly {
        reason: "starts two servers on 127.0.0.1 and calls them over TCP",
        simulation: Some("apis::protobuf_bytes"),
    },
    run: Run::Text(run),
};

// ---------------------------------------------------------------------------------------------
// The messages, as `protoc` would generate them from
//
//   package library.v1;
//   message Book { uint64 id = 1; string title = 2; string author = 3; uint32 year = 4;
//                  repeated string tags = 5; }
//   message GetBookRequest { uint64 id = 1; }
//   message ListBooksRequest { uint32 page_size = 1; string page_token = 2; }
//   message ListBooksResponse { repeated Book books = 1; string next_page_token = 2; }
//   service Catalogue {
//     rpc GetBook(GetBookRequest) returns (Book);
//     rpc ListBooks(ListBooksRequest) returns (ListBooksResponse);
//     rpc StreamBooks(ListBooksRequest) returns (stream Book);
//     rpc AddBooks(stream Book) returns (AddBooksResponse);
//   }

#[derive(Clone, PartialEq, prost::Message)]
pub struct PBook {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(string, tag = "2")]
    pub title: String,
    #[prost(string, tag = "3")]
    pub author: String,
    #[prost(uint32, tag = "4")]
    pub year: u32,
    #[prost(string, repeated, tag = "5")]
    pub tags: Vec<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetBookRequest {
    #[prost(uint64, tag = "1")]
    pub id: u64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ListBooksRequest {
    #[prost(uint32, tag = "1")]
    pub page_size: u32,
    #[prost(string, tag = "2")]
    pub page_token: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ListBooksResponse {
    #[prost(message, repeated, tag = "1")]
    pub books: Vec<PBook>,
    #[prost(string, tag = "2")]
    pub next_page_token: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AddBooksResponse {
    #[prost(uint32, tag = "1")]
    pub added: u32,
}

fn to_proto(b: &protobuf::Book) -> PBook {
    PBook { id: b.id, title: b.title.clone(), author: b.author.clone(), year: b.year, tags: b.tags.clone() }
}

/// The book whose backend is slow: its handler sleeps far past any deadline the client sets.
const SLOW_BOOK: u64 = 99;
/// The page token that makes `StreamBooks` slow: a pause before each message.
const SLOW_STREAM: &str = "slow";

// ---------------------------------------------------------------------------------------------
// REST on axum.

type Shared = Arc<Mutex<Catalogue>>;

// ANCHOR: rest
fn rest_router(state: Shared) -> Router {
    Router::new()
        .route("/v1/books", get(list_books).post(create_book))
        .route("/v1/books/{id}", get(get_book).put(put_book).delete(delete_book))
        .with_state(state)
}

/// `GET /v1/books/{id}`: safe, cacheable. The ETag lets a client revalidate with
/// `If-None-Match` and get a body-less 304 when nothing changed.
async fn get_book(State(db): State<Shared>, Path(id): Path<u64>, headers: HeaderMap) -> Response {
    let Some(book) = db.lock().unwrap().get(id).cloned() else {
        return problem(StatusCode::NOT_FOUND, &format!("no book {id}"));
    };
    let body = book_json(&book);
    let etag = catalogue::etag(&body);
    let cache = [(header::ETAG, etag.clone()), (header::CACHE_CONTROL, "max-age=60".to_string())];
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| none_match(v.to_str().unwrap_or(""), &etag)) {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (cache, json(body)).into_response()
}

/// `If-None-Match` holds `*` or a list of tags, any of which may be weak (`W/"…"`); for a
/// `GET` the comparison is the weak one: the tags match if their opaque parts do
/// (RFC 9110 §13.1.2, §8.8.3.2).
fn none_match(header: &str, etag: &str) -> bool {
    let ours = etag.trim_start_matches("W/");
    header.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == ours)
}

/// `GET /v1/books?limit=3&after=<cursor>`: a page and the cursor of the next one.
async fn list_books(State(db): State<Shared>, uri: Uri) -> Response {
    let (mut limit, mut after) = (3usize, None);
    for pair in uri.query().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("limit", n)) => match n.parse() {
                Ok(n) if (1..=100).contains(&n) => limit = n,
                _ => return problem(StatusCode::BAD_REQUEST, "limit must be 1 to 100"),
            },
            Some(("after", c)) => match catalogue::parse_cursor(c) {
                Ok(id) => after = Some(id),
                Err(why) => return problem(StatusCode::BAD_REQUEST, &why),
            },
            _ => return problem(StatusCode::BAD_REQUEST, &format!("unknown parameter {pair:?}")),
        }
    }
    let (books, next) = db.lock().unwrap().page_after(after, limit);
    let items: Vec<String> = books.iter().map(book_json).collect();
    let next = next.map_or("null".to_string(), |c| format!("\"{c}\""));
    json(format!("{{\"books\":[{}],\"next\":{next}}}", items.join(","))).into_response()
}

/// `POST /v1/books`: not idempotent; each call creates a book, answered with 201 and its URL.
async fn create_book(State(db): State<Shared>, body: String) -> Response {
    match catalogue::parse_book_json(&body) {
        Ok((title, author, year)) => {
            let book = db.lock().unwrap().create(&title, &author, year);
            let location = format!("/v1/books/{}", book.id);
            (StatusCode::CREATED, [(header::LOCATION, location)], json(book_json(&book))).into_response()
        }
        Err(e) => body_problem(e),
    }
}

/// `PUT /v1/books/{id}`: idempotent; the client names the resource, a repeat changes nothing.
async fn put_book(State(db): State<Shared>, Path(id): Path<u64>, body: String) -> Response {
    match catalogue::parse_book_json(&body) {
        Ok((title, author, year)) => {
            let book = protobuf::Book { id, title, author, year, tags: vec![] };
            let created = db.lock().unwrap().put(book.clone());
            let status = if created { StatusCode::CREATED } else { StatusCode::OK };
            (status, json(book_json(&book))).into_response()
        }
        Err(e) => body_problem(e),
    }
}

/// `DELETE /v1/books/{id}`: idempotent; 204 the first time, 404 after, one book deleted.
async fn delete_book(State(db): State<Shared>, Path(id): Path<u64>) -> Response {
    if db.lock().unwrap().delete(id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        problem(StatusCode::NOT_FOUND, &format!("no book {id}"))
    }
}

/// Not JSON we can read is 400; JSON that breaks the rules (a missing year) is 422.
fn body_problem(e: catalogue::BodyError) -> Response {
    match e {
        catalogue::BodyError::Malformed(why) => problem(StatusCode::BAD_REQUEST, &why),
        catalogue::BodyError::Invalid(why) => problem(StatusCode::UNPROCESSABLE_ENTITY, &why),
    }
}

/// An error body in RFC 9457's problem-details format; `title` is the status's own phrase,
/// the same for every occurrence, and `detail` is about this one.
fn problem(status: StatusCode, detail: &str) -> Response {
    let body = format!(
        "{{\"title\":{},\"status\":{},\"detail\":{}}}",
        catalogue::json_string(status.canonical_reason().unwrap_or("Error")),
        status.as_u16(),
        catalogue::json_string(detail)
    );
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"))], body)
        .into_response()
}

fn json(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body)
}
// ANCHOR_END: rest

/// One HTTP/1.1 exchange on an open connection: the request as text, the response's status
/// line, headers (without `date`, which changes every second) and body, read by its
/// Content-Length.
async fn http1(conn: &mut TcpStream, request: &str, out: &mut String) -> std::io::Result<()> {
    // The request as sent: CRLF line ends, and a Content-Length when it has a body.
    let (head, body) = request.split_once("\n\n").unwrap_or((request, ""));
    let mut lines: Vec<String> = head.lines().map(str::to_string).collect();
    if !body.is_empty() {
        lines.push(format!("content-length: {}", body.len()));
    }
    let wire = format!("{}\r\n\r\n{body}", lines.join("\r\n"));
    conn.write_all(wire.as_bytes()).await?;
    for l in &lines {
        out.push_str(&format!("> {l}\n"));
    }
    if !body.is_empty() {
        out.push_str(&format!(">   {body}\n"));
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head_len, body_len) = loop {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("connection closed mid-response"));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap_or(0));
            break (end + 4, len);
        }
    };
    while buf.len() < head_len + body_len {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("connection closed mid-body"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf[..head_len - 4]).to_string();
    for l in head.lines().filter(|l| !l.to_ascii_lowercase().starts_with("date:")) {
        out.push_str(&format!("< {l}\n"));
    }
    if body_len > 0 {
        out.push_str(&format!("<   {}\n", String::from_utf8_lossy(&buf[head_len..head_len + body_len])));
    }
    buf.drain(..head_len + body_len);
    out.push('\n');
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// gRPC on tonic, wired by hand the way tonic-build's generated code does it.

// ANCHOR: grpc
#[derive(Clone)]
struct CatalogueService {
    db: Shared,
    /// Set when the slow handler is dropped before it finished: the deadline cancelled it.
    slow_cancelled: Arc<AtomicBool>,
}

impl tonic::server::NamedService for CatalogueService {
    const NAME: &'static str = "library.v1.Catalogue";
}

struct GetBook(CatalogueService);
struct ListBooks(CatalogueService);
struct StreamBooks(CatalogueService);
struct AddBooks(CatalogueService);

/// Sets its flag if dropped while still armed: how the example sees a handler cancelled.
struct Armed(Arc<AtomicBool>, bool);
impl Drop for Armed {
    fn drop(&mut self) {
        if self.1 {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

impl tonic::server::UnaryService<GetBookRequest> for GetBook {
    type Response = PBook;
    type Future = BoxFuture<tonic::Response<PBook>, tonic::Status>;
    fn call(&mut self, request: tonic::Request<GetBookRequest>) -> Self::Future {
        let s = self.0.clone();
        Box::pin(async move {
            let id = request.into_inner().id;
            if id == SLOW_BOOK {
                let mut armed = Armed(s.slow_cancelled.clone(), true);
                tokio::time::sleep(Duration::from_secs(10)).await;
                armed.1 = false;
            }
            match s.db.lock().unwrap().get(id) {
                Some(b) => Ok(tonic::Response::new(to_proto(b))),
                None => Err(tonic::Status::not_found(format!("no book {id}"))),
            }
        })
    }
}

impl tonic::server::UnaryService<ListBooksRequest> for ListBooks {
    type Response = ListBooksResponse;
    type Future = BoxFuture<tonic::Response<ListBooksResponse>, tonic::Status>;
    fn call(&mut self, request: tonic::Request<ListBooksRequest>) -> Self::Future {
        let s = self.0.clone();
        Box::pin(async move {
            let r = request.into_inner();
            let after = match r.page_token.as_str() {
                "" => None,
                token => Some(catalogue::parse_cursor(token).map_err(tonic::Status::invalid_argument)?),
            };
            // Google's AIP-158: 0 means "the server's default"; larger than the maximum is
            // lowered to it, not refused.
            let size = match r.page_size {
                0 => 3,
                n => n.min(100) as usize,
            };
            let (books, next) = s.db.lock().unwrap().page_after(after, size);
            Ok(tonic::Response::new(ListBooksResponse {
                books: books.iter().map(to_proto).collect(),
                next_page_token: next.unwrap_or_default(),
            }))
        })
    }
}

impl tonic::server::ServerStreamingService<ListBooksRequest> for StreamBooks {
    type Response = PBook;
    type ResponseStream = BoxStream<PBook>;
    type Future = BoxFuture<tonic::Response<Self::ResponseStream>, tonic::Status>;
    fn call(&mut self, request: tonic::Request<ListBooksRequest>) -> Self::Future {
        if request.get_ref().page_token == SLOW_STREAM {
            // Three books, 80 ms apart: 240 ms in all, longer than the client's 100 ms deadline.
            let books: Vec<PBook> =
                self.0.db.lock().unwrap().page_after(None, 3).0.iter().map(to_proto).collect();
            let stream = async_stream(books);
            return Box::pin(async move { Ok(tonic::Response::new(stream)) });
        }
        let books: Vec<Result<PBook, tonic::Status>> = self
            .0
            .db
            .lock()
            .unwrap()
            .page_after(None, usize::MAX)
            .0
            .iter()
            .map(|b| Ok(to_proto(b)))
            .collect();
        Box::pin(async move {
            let stream: BoxStream<PBook> = Box::pin(tonic::codegen::tokio_stream::iter(books));
            Ok(tonic::Response::new(stream))
        })
    }
}

/// Client streaming: reads books until the client ends its stream, adds each, answers once.
impl tonic::server::ClientStreamingService<PBook> for AddBooks {
    type Response = AddBooksResponse;
    type Future = BoxFuture<tonic::Response<AddBooksResponse>, tonic::Status>;
    fn call(&mut self, request: tonic::Request<tonic::Streaming<PBook>>) -> Self::Future {
        let db = self.0.db.clone();
        Box::pin(async move {
            let mut books = request.into_inner();
            let mut added = 0;
            while let Some(b) = books.message().await? {
                db.lock().unwrap().create(&b.title, &b.author, b.year);
                added += 1;
            }
            Ok(tonic::Response::new(AddBooksResponse { added }))
        })
    }
}

/// The books one at a time, each after an 80 ms pause.
fn async_stream(books: Vec<PBook>) -> BoxStream<PBook> {
    let items = tonic::codegen::tokio_stream::iter(books);
    Box::pin(tonic::codegen::tokio_stream::StreamExt::then(items, |b| async move {
        tokio::time::sleep(Duration::from_millis(80)).await;
        Ok(b)
    }))
}

/// The HTTP service: the path `/library.v1.Catalogue/<Method>` picks the method, whose
/// messages go through prost.
impl<B> Service<http::Request<B>> for CatalogueService
where
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let s = self.clone();
        match req.uri().path() {
            "/library.v1.Catalogue/GetBook" => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.unary(GetBook(s), req).await)
            }),
            "/library.v1.Catalogue/ListBooks" => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.unary(ListBooks(s), req).await)
            }),
            "/library.v1.Catalogue/StreamBooks" => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.server_streaming(StreamBooks(s), req).await)
            }),
            "/library.v1.Catalogue/AddBooks" => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.client_streaming(AddBooks(s), req).await)
            }),
            _ => Box::pin(async move { Ok(tonic::Status::unimplemented("no such method").into_http()) }),
        }
    }
}
// ANCHOR_END: grpc

/// One HTTP/2 frame as the relay saw it: its 9-byte header (RFC 9113 §4.1) and, for DATA, the
/// payload.
struct Frame {
    to_server: bool,
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

/// A TCP relay on 127.0.0.1: each connection is copied both ways to `server`, and every frame
/// is parsed on the way (after the client's 24-byte connection preface).
async fn relay(listener: TcpListener, server: std::net::SocketAddr, log: Arc<Mutex<Vec<Frame>>>) {
    while let Ok((client, _)) = listener.accept().await {
        let Ok(upstream) = TcpStream::connect(server).await else { return };
        let (cr, cw) = client.into_split();
        let (sr, sw) = upstream.into_split();
        tokio::spawn(pipe(cr, sw, true, log.clone()));
        tokio::spawn(pipe(sr, cw, false, log.clone()));
    }
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    to_server: bool,
    log: Arc<Mutex<Vec<Frame>>>,
) {
    let (mut buf, mut chunk) = (Vec::new(), [0u8; 8192]);
    let mut preface = if to_server { 24 } else { 0 };
    while let Ok(n) = from.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let skip = preface.min(buf.len());
        buf.drain(..skip);
        preface -= skip;
        // Record every complete frame before forwarding the bytes, so a frame is in the log
        // before the other side can react to it.
        while buf.len() >= 9 {
            let len = usize::from(buf[0]) << 16 | usize::from(buf[1]) << 8 | usize::from(buf[2]);
            if buf.len() < 9 + len {
                break;
            }
            let stream = u32::from_be_bytes([buf[5], buf[6], buf[7], buf[8]]) & 0x7fff_ffff;
            let payload = if buf[3] == 0 { buf[9..9 + len].to_vec() } else { vec![0; len] };
            log.lock().unwrap().push(Frame { to_server, kind: buf[3], flags: buf[4], stream, payload });
            buf.drain(..9 + len);
        }
        if to.write_all(&chunk[..n]).await.is_err() {
            break;
        }
    }
}

/// The frames of the calls' streams (stream 0, the connection's own SETTINGS, PING and
/// WINDOW_UPDATE, is left out), client's first, then the server's; the log is emptied.
fn print_frames(log: &Mutex<Vec<Frame>>, out: &mut String) {
    let frames = std::mem::take(&mut *log.lock().unwrap());
    out.push_str("  frames on the TCP connection (9-byte headers; header blocks are HPACK, not decoded)\n");
    for to_server in [true, false] {
        for f in frames.iter().filter(|f| f.to_server == to_server && f.stream != 0) {
            let name = match f.kind {
                0 => "DATA",
                1 => "HEADERS",
                3 => "RST_STREAM",
                8 => "WINDOW_UPDATE",
                _ => "other",
            };
            let mut flags = Vec::new();
            if f.flags & 1 != 0 && matches!(f.kind, 0 | 1) {
                flags.push("END_STREAM");
            }
            if f.flags & 4 != 0 && f.kind == 1 {
                flags.push("END_HEADERS");
            }
            let size = if f.kind == 0 {
                let mut lines = Vec::new();
                let messages = protobuf::decode_grpc(&f.payload, &mut lines).unwrap_or(0);
                format!(", {} bytes = {messages} gRPC message(s)", f.payload.len())
            } else {
                String::new()
            };
            let arrow = if to_server { "client → server" } else { "server → client" };
            out.push_str(&format!("    {arrow}  {name} stream {}{size} [{}]\n", f.stream, flags.join(" ")));
        }
    }
}

/// What the recording layer saw of one call.
#[derive(Default)]
struct Seen {
    request: Vec<String>,
    request_body: Vec<u8>,
    response: Vec<String>,
    response_body: Vec<u8>,
    trailers: Vec<String>,
}

/// A layer between tonic's client and its channel: it keeps the request's headers and body,
/// the response's headers, body and trailers, as `http` values, and passes them on unchanged.
/// It sits above the channel's own layers and hyper, so it sees no `user-agent`, `:scheme` or
/// `:authority` (added below it) and no frames: the relay shows those.
#[derive(Clone)]
struct Recorder {
    inner: tonic::transport::Channel,
    seen: Arc<Mutex<Seen>>,
}

fn headers(map: &http::HeaderMap) -> Vec<String> {
    map.iter()
        .filter(|(k, _)| k.as_str() != "date")
        .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("(binary)")))
        .collect()
}

impl Service<http::Request<tonic::body::Body>> for Recorder {
    type Response = http::Response<tonic::body::Body>;
    type Error = StdError;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<http::Request<tonic::body::Body>>::poll_ready(&mut self.inner, cx).map_err(Into::into)
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        // The channel that `poll_ready` made ready is the one to call (tower's rule); a fresh
        // clone takes its place for the next call.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let seen = self.seen.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let bytes = body.collect().await?.to_bytes();
            {
                let mut s = seen.lock().unwrap();
                s.request =
                    vec![format!(":method: {}", parts.method), format!(":path: {}", parts.uri.path())];
                s.request.extend(headers(&parts.headers));
                s.request_body = bytes.to_vec();
            }
            let req =
                http::Request::from_parts(parts, tonic::body::Body::new(http_body_util::Full::new(bytes)));
            let response = inner.call(req).await?;
            let (parts, body) = response.into_parts();
            let collected = body.collect().await?;
            let trailers = collected.trailers().cloned();
            let data = collected.to_bytes();
            {
                let mut s = seen.lock().unwrap();
                s.response = vec![format!(":status: {}", parts.status.as_u16())];
                s.response.extend(headers(&parts.headers));
                s.response_body = data.to_vec();
                s.trailers = trailers.as_ref().map(headers).unwrap_or_default();
            }
            let mut frames = vec![Ok::<_, tonic::Status>(http_body::Frame::data(data))];
            frames.extend(trailers.map(|t| Ok(http_body::Frame::trailers(t))));
            let body = http_body_util::StreamBody::new(tonic::codegen::tokio_stream::iter(frames));
            Ok(http::Response::from_parts(parts, tonic::body::Body::new(body)))
        })
    }
}

/// Prints what the recorder saw of the last call, bodies decoded by the chapter's own decoder.
fn print_seen(seen: &Mutex<Seen>, out: &mut String) {
    let s = seen.lock().unwrap();
    let body = |bytes: &[u8], out: &mut String| {
        let hex: Vec<String> = bytes.iter().take(24).map(|b| format!("{b:02x}")).collect();
        let more = if bytes.len() > 24 { " …" } else { "" };
        out.push_str(&format!("    body, {} bytes: {}{more}\n", bytes.len(), hex.join(" ")));
        let mut lines: Vec<Line> = Vec::new();
        match protobuf::decode_grpc(bytes, &mut lines) {
            Ok(_) => {
                for l in lines.iter().take(8) {
                    out.push_str(&format!("      {:3}  {}{}\n", l.at, "  ".repeat(l.depth), l.text));
                }
                if lines.len() > 8 {
                    out.push_str(&format!("      … {} more fields\n", lines.len() - 8));
                }
            }
            Err(e) => out.push_str(&format!("      error at offset {}: {}\n", e.offset, e.reason)),
        }
    };
    out.push_str(
        "  request, as tonic's client built it (the channel adds user-agent, :scheme, :authority)\n",
    );
    for h in &s.request {
        out.push_str(&format!("    {h}\n"));
    }
    body(&s.request_body, out);
    out.push_str("  response headers\n");
    for h in &s.response {
        out.push_str(&format!("    {h}\n"));
    }
    if !s.response_body.is_empty() {
        body(&s.response_body, out);
    }
    if !s.trailers.is_empty() {
        out.push_str("  trailers\n");
        for h in &s.trailers {
            out.push_str(&format!("    {h}\n"));
        }
    }
}

// ANCHOR: example
async fn exchange(out: &mut String) -> Result<(), StdError> {
    let db: Shared = Arc::new(Mutex::new(catalogue::seed()));

    // REST: axum on a port the kernel picks, a raw HTTP/1.1 client on one keep-alive connection.
    let rest = TcpListener::bind("127.0.0.1:0").await?;
    let rest_addr = rest.local_addr()?;
    let router = rest_router(db.clone());
    tokio::spawn(async move { axum::serve(rest, router).await });
    let mut conn = TcpStream::connect(rest_addr).await?;
    out.push_str("REST over HTTP/1.1 (axum), one connection, requests in turn\n\n");
    http1(&mut conn, "GET /v1/books/1 HTTP/1.1\nhost: catalogue\n\n", out).await?;
    let etag = catalogue::etag(&book_json(db.lock().unwrap().get(1).unwrap()));
    http1(
        &mut conn,
        &format!(
            "GET /v1/books/1 HTTP/1.1\nhost: catalogue\nif-none-match: \"0000000000000000\", W/{etag}\n\n"
        ),
        out,
    )
    .await?;
    http1(&mut conn, "GET /v1/books/42 HTTP/1.1\nhost: catalogue\n\n", out).await?;
    http1(&mut conn, "GET /v1/books?limit=3 HTTP/1.1\nhost: catalogue\n\n", out).await?;
    let after = catalogue::cursor(3);
    http1(&mut conn, &format!("GET /v1/books?limit=3&after={after} HTTP/1.1\nhost: catalogue\n\n"), out)
        .await?;
    // The same cursor with the id inside changed from 3 to 2 (the 11th and 12th characters
    // encode the id's last byte): the signature no longer matches.
    let forged = catalogue::cursor(2)[..12].to_string() + &after[12..];
    http1(&mut conn, &format!("GET /v1/books?after={forged} HTTP/1.1\nhost: catalogue\n\n"), out).await?;
    for body in ["{\"title\" \"Kindred\"}", "{\"title\":\"Kindred\"}"] {
        let post =
            format!("POST /v1/books HTTP/1.1\nhost: catalogue\ncontent-type: application/json\n\n{body}");
        http1(&mut conn, &post, out).await?;
    }
    let new = "{\"title\":\"Parable of the Sower\",\"author\":\"Octavia E. Butler\",\"year\":1993}";
    for _ in 0..2 {
        let post =
            format!("POST /v1/books HTTP/1.1\nhost: catalogue\ncontent-type: application/json\n\n{new}");
        http1(&mut conn, &post, out).await?;
    }
    for _ in 0..2 {
        let put =
            format!("PUT /v1/books/20 HTTP/1.1\nhost: catalogue\ncontent-type: application/json\n\n{new}");
        http1(&mut conn, &put, out).await?;
    }
    for _ in 0..2 {
        http1(&mut conn, "DELETE /v1/books/20 HTTP/1.1\nhost: catalogue\n\n", out).await?;
    }
    http1(&mut conn, "PATCH /v1/books/1 HTTP/1.1\nhost: catalogue\n\n", out).await?;

    // gRPC: tonic's server and client over HTTP/2, with the recorder under the client.
    let grpc = TcpListener::bind("127.0.0.1:0").await?;
    let grpc_addr = grpc.local_addr()?;
    let slow_cancelled = Arc::new(AtomicBool::new(false));
    let service = CatalogueService { db: db.clone(), slow_cancelled: slow_cancelled.clone() };
    let incoming = tonic::transport::server::TcpIncoming::from(grpc);
    tokio::spawn(tonic::transport::Server::builder().add_service(service).serve_with_incoming(incoming));
    let relay_listener = TcpListener::bind("127.0.0.1:0").await?;
    let relay_addr = relay_listener.local_addr()?;
    let frames: Arc<Mutex<Vec<Frame>>> = Arc::default();
    tokio::spawn(relay(relay_listener, grpc_addr, frames.clone()));
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{relay_addr}"))?.connect().await?;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut client = tonic::client::Grpc::new(Recorder { inner: channel, seen: seen.clone() });
    let path = |m: &str| http::uri::PathAndQuery::try_from(format!("/library.v1.Catalogue/{m}")).unwrap();

    out.push_str("gRPC over HTTP/2 (tonic), one connection, each call a stream\n\n");
    out.push_str("GetBook { id: 1 }\n");
    client.ready().await?;
    let book: PBook = client
        .unary(
            tonic::Request::new(GetBookRequest { id: 1 }),
            path("GetBook"),
            tonic_prost::ProstCodec::default(),
        )
        .await?
        .into_inner();
    print_seen(&seen, out);
    settle().await;
    print_frames(&frames, out);
    let ours = protobuf::decode_book(&seen.lock().unwrap().response_body[5..])
        .map_err(|e| format!("our decoder: {}", e.reason))?;
    out.push_str(&format!(
        "  prost gave {:?} by {:?} ({}); our decoder agrees: {}\n\n",
        book.title,
        book.author,
        book.year,
        crate::yes(to_proto(&ours) == book)
    ));

    out.push_str("GetBook { id: 42 }: an error is a status in the trailers\n");
    client.ready().await?;
    let missing = client
        .unary::<_, PBook, _>(
            tonic::Request::new(GetBookRequest { id: 42 }),
            path("GetBook"),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .expect_err("no book 42");
    print_seen(&seen, out);
    settle().await;
    print_frames(&frames, out);
    out.push_str(&format!("  the client sees: {:?}, {:?}\n\n", missing.code(), missing.message()));

    out.push_str("ListBooks { page_size: 0 (the server's default), page_token: the REST cursor }\n");
    client.ready().await?;
    let request = ListBooksRequest { page_size: 0, page_token: catalogue::cursor(3) };
    let page: ListBooksResponse = client
        .unary(tonic::Request::new(request), path("ListBooks"), tonic_prost::ProstCodec::default())
        .await?
        .into_inner();
    let ids: Vec<u64> = page.books.iter().map(|b| b.id).collect();
    out.push_str(&format!("  books {ids:?}, next_page_token {:?}\n\n", page.next_page_token));
    settle().await;
    frames.lock().unwrap().clear();

    out.push_str("StreamBooks {}: server streaming, one length-prefixed message per book\n");
    client.ready().await?;
    let request = tonic::Request::new(ListBooksRequest::default());
    let mut stream = client
        .server_streaming::<_, PBook, _>(request, path("StreamBooks"), tonic_prost::ProstCodec::default())
        .await?
        .into_inner();
    let mut titles = Vec::new();
    while let Some(b) = stream.message().await? {
        titles.push(b.title);
    }
    {
        let s = seen.lock().unwrap();
        let mut lines = Vec::new();
        let messages = protobuf::decode_grpc(&s.response_body, &mut lines).map_err(|e| e.reason)?;
        out.push_str(&format!(
            "  {} messages in {} bytes of DATA; the first: {:?}, the last: {:?}; trailers: {}\n",
            messages,
            s.response_body.len(),
            titles.first().map_or("", String::as_str),
            titles.last().map_or("", String::as_str),
            s.trailers.join(", ")
        ));
    }
    settle().await;
    print_frames(&frames, out);
    out.push('\n');

    out.push_str("AddBooks: client streaming, two Books up, one AddBooksResponse down\n");
    client.ready().await?;
    let uploads = ["Lilith's Brood", "Wild Seed"].map(|t| PBook {
        title: t.into(),
        author: "Octavia E. Butler".into(),
        ..PBook::default()
    });
    let request = tonic::Request::new(tonic::codegen::tokio_stream::iter(uploads));
    let added: AddBooksResponse = client
        .client_streaming(request, path("AddBooks"), tonic_prost::ProstCodec::default())
        .await?
        .into_inner();
    out.push_str(&format!("  the server added {} books\n", added.added));
    settle().await;
    print_frames(&frames, out);
    out.push('\n');

    out.push_str(&format!("GetBook {{ id: {SLOW_BOOK} }} with a 100 ms deadline; the handler sleeps 10 s\n"));
    client.ready().await?;
    let mut request = tonic::Request::new(GetBookRequest { id: SLOW_BOOK });
    request.set_timeout(Duration::from_millis(100));
    let late = client
        .unary::<_, PBook, _>(request, path("GetBook"), tonic_prost::ProstCodec::default())
        .await
        .expect_err("deadline");
    out.push_str("  request (HEADERS)\n");
    for h in &seen.lock().unwrap().request {
        out.push_str(&format!("    {h}\n"));
    }
    out.push_str(&format!("  the client sees: {:?}, {:?}\n", late.code(), late.message()));
    // Who ends the stream first is a race: the server's own timer (a trailers-only
    // CANCELLED) or the client's RST_STREAM. Only the request's frames are certain.
    let log = std::mem::take(&mut *frames.lock().unwrap());
    let opening: Vec<&str> = log
        .iter()
        .filter(|f| f.to_server && f.stream != 0 && f.kind <= 1)
        .map(|f| if f.kind == 0 { "DATA" } else { "HEADERS" })
        .collect();
    out.push_str(&format!("  the client opened the stream with: {}\n", opening.join(", ")));
    for _ in 0..200 {
        if slow_cancelled.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    out.push_str(&format!(
        "  the server dropped the handler before it finished: {}\n",
        crate::yes(slow_cancelled.load(Ordering::SeqCst))
    ));

    out.push_str("\nStreamBooks with a 100 ms deadline; the server sends 3 books 80 ms apart (240 ms)\n");
    client.ready().await?;
    let mut request = tonic::Request::new(ListBooksRequest { page_size: 3, page_token: SLOW_STREAM.into() });
    request.set_timeout(Duration::from_millis(100));
    let mut stream = client
        .server_streaming::<_, PBook, _>(request, path("StreamBooks"), tonic_prost::ProstCodec::default())
        .await?
        .into_inner();
    let mut got = Vec::new();
    let end = loop {
        match stream.message().await {
            Ok(Some(b)) => got.push(b.id),
            Ok(None) => break "OK".to_string(),
            Err(e) => break format!("{:?}", e.code()),
        }
    };
    out.push_str(&format!(
        "  books received: {got:?}, then {end}: the deadline timed only the response headers\n"
    ));
    Ok(())
}
// ANCHOR_END: example

/// Lets the relay's tasks record the last frames of a call before they are printed.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(20)).await;
}

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| InputError::new(format!("tokio: {e}")))?;
    let mut out = String::new();
    runtime.block_on(exchange(&mut out)).map_err(|e| InputError::new(format!("the exchange failed: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn frames_seen_on_the_wire() {
        let out = super::run("").unwrap();
        // Trailers-only: the single response HEADERS frame of the failed call ends the stream.
        assert!(out.contains("server → client  HEADERS stream 3 [END_STREAM END_HEADERS]"), "{out}");
        // Client-opened streams have odd ids (RFC 9113 §5.1.1).
        for line in out.lines().filter(|l| l.contains(" stream ") && l.contains('→')) {
            let id: u32 =
                line.split(" stream ").nth(1).unwrap().split([',', ' ']).next().unwrap().parse().unwrap();
            assert_eq!(id % 2, 1, "{line}");
        }
        // A DATA frame is not a message: tonic packed the nine ready messages into one frame.
        assert!(out.contains("DATA stream 7, 381 bytes = 9 gRPC message(s)"), "{out}");
        // The deadline timed the response headers only; the slow stream completed.
        assert!(out.contains("books received: [1, 2, 3], then OK"), "{out}");
    }
}
