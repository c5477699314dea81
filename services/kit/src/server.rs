//! The HTTP server every role runs: an actix-web `App` on actix-http's HTTP/1 service, with
//! one thing actix-web's own `HttpServer` cannot do — requests that actix-http refuses while
//! reading the request head (a raw non-ASCII byte in the path, a control character in a header,
//! a head over its size limit, too many headers) get a problem+json answer with a request id,
//! like every other refusal, and are logged as client errors instead of "stream error" at
//! ERROR.
//!
//! actix-http answers those requests inside its connection dispatcher, before any application
//! code runs and with no hook: an empty `400 Bad Request` or `431 Request Header Fields Too
//! Large` with `content-length: 0`, then it closes the connection. [`Guarded`] wraps each
//! connection and replaces exactly that response on the way out. The application never sends
//! it: every 4xx it answers carries a problem+json body (`telemetry::middleware`).

use crate::error::{PROBLEM_JSON, Problem};
use crate::telemetry::new_request_id;
use actix_http::{HttpService, Request, Response};
use actix_service::ServiceFactoryExt as _;
use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Server, ServiceFactory, fn_service};
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How the server is run: what `HttpServer` was given before.
#[derive(Debug, Clone, Copy)]
pub struct ServerSettings {
    pub workers: usize,
    pub keep_alive: Duration,
    /// How long a stopping server waits for requests in flight.
    pub shutdown_timeout: u64,
}

/// Serve `factory`'s app on `listener` (HTTP/1.1), answering refused request heads with
/// problem+json. Signals are left to the caller, as `HttpServer::disable_signals` did.
pub fn serve<F, I, S, B>(
    name: &str,
    listener: TcpListener,
    settings: ServerSettings,
    factory: F,
) -> io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: actix_service::IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<Error> + 'static,
    S::InitError: std::fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    <S::Service as actix_web::dev::Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let keep_alive = settings.keep_alive;
    Ok(actix_web::dev::Server::build()
        .workers(settings.workers.max(1))
        .shutdown_timeout(settings.shutdown_timeout)
        .disable_signals()
        .listen(name, listener, move || {
            let app = actix_service::map_config(
                factory()
                    .into_factory()
                    .map_err(|err: S::Error| err.into().error_response()),
                |()| AppConfig::default(),
            );
            let http = HttpService::build()
                .keep_alive(keep_alive)
                .client_request_timeout(Duration::from_secs(5))
                .client_disconnect_timeout(Duration::from_secs(1))
                .local_addr(addr)
                .h1(app);
            fn_service(|io: tokio::net::TcpStream| async move {
                let peer = io.peer_addr().ok();
                // Best effort: a socket that refuses NODELAY still serves.
                let _ = io.set_nodelay(true);
                Ok((Guarded::new(io, peer), peer))
            })
            .and_then(http)
        })?
        .run())
}

/// A connection whose bare refusals from actix-http are rewritten as problem+json.
pub struct Guarded<T> {
    io: T,
    peer: Option<SocketAddr>,
    /// The replacement response still to be written.
    pending: Vec<u8>,
    written: usize,
}

impl<T> Guarded<T> {
    pub fn new(io: T, peer: Option<SocketAddr>) -> Guarded<T> {
        Guarded {
            io,
            peer,
            pending: Vec::new(),
            written: 0,
        }
    }
}

impl<T: AsyncWrite + Unpin> Guarded<T> {
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.drain(cx))?;
        if let Some(status) = bare_refusal(buf) {
            self.pending = refusal_response(status, self.peer);
            // Whatever is not written now goes out on the next write, flush or shutdown.
            if let Poll::Ready(Err(e)) = self.drain(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The status of an actix-http refusal if `out` is one: a whole `400` or `431` response head
/// with `content-length: 0` and nothing after it. Application answers never look like that.
fn bare_refusal(out: &[u8]) -> Option<u16> {
    const LONGEST_BARE_HEAD: usize = 256;
    if out.len() > LONGEST_BARE_HEAD || !out.ends_with(b"\r\n\r\n") {
        return None;
    }
    let status = match out.get(..13)? {
        b"HTTP/1.1 400 " | b"HTTP/1.0 400 " => 400,
        b"HTTP/1.1 431 " | b"HTTP/1.0 431 " => 431,
        _ => return None,
    };
    let head = std::str::from_utf8(out).ok()?;
    let empty = head
        .split("\r\n")
        .skip(1)
        .any(|line| line.eq_ignore_ascii_case("content-length: 0"));
    empty.then_some(status)
}

fn refusal_response(status: u16, peer: Option<SocketAddr>) -> Vec<u8> {
    let request_id = new_request_id();
    let (title, detail) = if status == 431 {
        (
            "Request Header Fields Too Large",
            "The request head is too large: its URI, a header or the number of headers is over \
             the limit.",
        )
    } else {
        (
            "Bad Request",
            "The request could not be read as HTTP: its request line or a header is malformed \
             or too long, or holds a character HTTP does not allow there (a raw non-ASCII byte, \
             a control character).",
        )
    };
    tracing::info!(
        status,
        request_id = %request_id,
        peer = ?peer.map(|p| p.ip()),
        "request refused while reading its head"
    );
    let problem = Problem {
        type_: "about:blank".into(),
        title: title.into(),
        status,
        detail: Some(detail.into()),
        instance: None,
        errors: Vec::new(),
        allowed_actions: None,
        request_id: Some(request_id.clone()),
    };
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 {status} {title}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\n\
         x-request-id: {request_id}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// Leaves out actix-http's `stream error: request parse error: …` ERROR line: [`Guarded`] logs
/// those refusals as client errors, with their request id. Its other stream errors stay.
pub fn is_refusal_log(event: &tracing::Event<'_>) -> bool {
    struct Message(bool);
    impl tracing::field::Visit for Message {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                self.0 = format!("{value:?}").starts_with("stream error: request parse error");
            }
        }
    }
    if *event.metadata().level() != tracing::Level::ERROR
        || !event.metadata().target().starts_with("actix_http::h1")
    {
        return false;
    }
    let mut m = Message(false);
    event.record(&mut m);
    m.0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_bare_400_and_431_heads_are_refusals() {
        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: Tue, 01 Dec 2026 05:00:00 GMT\r\n\r\n";
        assert_eq!(bare_refusal(bare), Some(400));
        let big = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_refusal(big), Some(431));
        // An application 400 has a body (problem+json), so its head says so.
        let app = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 120\r\ncontent-type: application/problem+json\r\n\r\n";
        assert_eq!(bare_refusal(app), None);
        // A head with its body in the same write.
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nx";
        assert_eq!(bare_refusal(with_body), None);
        assert_eq!(
            bare_refusal(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"),
            None
        );
        assert_eq!(
            bare_refusal(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
            None
        );
    }

    #[test]
    fn the_replacement_is_problem_json_with_a_request_id() {
        let out = refusal_response(431, None);
        let text = String::from_utf8(out).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 "));
        assert!(head.contains("content-type: application/problem+json"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let p: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(p["status"], 431);
        let rid = p["request_id"].as_str().unwrap();
        assert!(head.contains(&format!("x-request-id: {rid}")));
    }
}
