//! The preview's page over HTTP (axum, HTTP/1, on a thread of its own with a current-thread
//! tokio runtime). It only reads: the state the preview publishes, a key's history, and the
//! input files a diagnostic points at.
//!
//! Every request is refused unless it carries the one-time token (`?token=`), names the
//! served address in `Host`, and, when it has an `Origin`, comes from that address (so a page
//! elsewhere cannot reach it through DNS rebinding). Responses carry a strict
//! Content-Security-Policy (our own script and style only, no inline code, no frames), are
//! never cached, and send no `Referer` (the token is in the URL).

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

/// What the page can ask for. The preview implements it over its state; every answer is
/// already redacted.
pub trait Site: Send + Sync + 'static {
    /// `/api/state`: the state as JSON.
    fn state(&self) -> String;
    /// `/api/explain`: a values key's history in a release (what `explain` prints).
    fn explain(&self, release: &str, path: &str) -> Option<String>;
    /// `/api/source`: an input file's text, when it is one the page may show.
    fn source(&self, file: &str) -> Option<String>;
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");

/// A running server.
pub struct Server {
    /// The page's address, with its token.
    pub url: String,
    renders: tokio::sync::watch::Sender<u64>,
}

impl Server {
    /// Tell the open pages that render `n` is ready.
    pub fn publish(&self, n: u64) {
        self.renders.send_replace(n);
    }
}

#[derive(Clone)]
struct App {
    site: Arc<dyn Site>,
    token: Arc<str>,
    hosts: Arc<Vec<String>>,
    renders: tokio::sync::watch::Receiver<u64>,
}

/// Listen on `addr` (`127.0.0.1:0`: loopback, a free port) and serve `site`. `public_host`
/// is the name the page is reached by when `addr` is not loopback (`NAME` or `NAME:PORT`).
pub fn start(addr: &str, public_host: Option<&str>, site: Arc<dyn Site>) -> anyhow::Result<Server> {
    let addr: SocketAddr = addr.parse().or_else(|_| {
        addr.parse::<std::net::IpAddr>()
            .map(|ip| SocketAddr::new(ip, 0))
            .map_err(|_| {
                anyhow::anyhow!(
                    "--serve `{}`: expected an address such as 127.0.0.1:8080 or 0.0.0.0",
                    crate::term::line(addr)
                )
            })
    })?;
    let listener =
        TcpListener::bind(addr).map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let hosts = accepted_hosts(bound, public_host);
    let token = token()?;
    let shown = match public_host {
        Some(_) => hosts.last().cloned().unwrap_or_default(),
        None if bound.ip().is_unspecified() => format!("127.0.0.1:{}", bound.port()),
        None => hosts[0].clone(),
    };
    let url = format!("http://{shown}/?token={token}");
    let (tx, rx) = tokio::sync::watch::channel(0u64);
    let app = App {
        site,
        token: token.into(),
        hosts: Arc::new(hosts),
        renders: rx,
    };
    let router = Router::new()
        .route("/", get(index))
        .route(
            "/app.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/app.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route("/api/state", get(state))
        .route("/api/events", get(events))
        .route("/api/explain", get(explain))
        .route("/api/source", get(source))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app);
    std::thread::Builder::new()
        .name("preview-http".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cannot start the preview server's runtime");
            rt.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a bound listener converts");
                let _ = axum::serve(listener, router).await;
            });
        })?;
    Ok(Server { url, renders: tx })
}

/// The `Host` values the server answers to: the bound address (loopback also as
/// `localhost`), and the public name given for an address off loopback.
fn accepted_hosts(bound: SocketAddr, public_host: Option<&str>) -> Vec<String> {
    let port = bound.port();
    let mut hosts = Vec::new();
    if bound.ip().is_loopback() || bound.ip().is_unspecified() {
        hosts.push(format!("127.0.0.1:{port}"));
        hosts.push(format!("localhost:{port}"));
        hosts.push(format!("[::1]:{port}"));
    }
    if !bound.ip().is_unspecified() && !bound.ip().is_loopback() {
        hosts.push(match bound {
            SocketAddr::V4(a) => format!("{}:{port}", a.ip()),
            SocketAddr::V6(a) => format!("[{}]:{port}", a.ip()),
        });
    }
    if let Some(name) = public_host {
        let name = name.to_ascii_lowercase();
        hosts.push(if name.contains(':') && !name.ends_with(']') {
            name
        } else {
            format!("{name}:{port}")
        });
    }
    hosts
}

/// 32 random bytes from the operating system, in hex.
fn token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("cannot make a token: {e}"))?;
    Ok(crate::store::hex(&bytes))
}

/// Refuse what is not for us; add the security headers to what is.
async fn guard(State(app): State<App>, request: Request, next: Next) -> Response {
    if let Err((status, why)) = allowed(&app, request.headers(), request.uri().query()) {
        return (status, why).into_response();
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

fn allowed(
    app: &App,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<(), (StatusCode, &'static str)> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase);
    if !host.is_some_and(|h| app.hosts.contains(&h)) {
        return Err((
            StatusCode::FORBIDDEN,
            "refused: the Host is not this server's\n",
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin
            .to_str()
            .ok()
            .and_then(|o| o.strip_prefix("http://"))
            .is_some_and(|o| app.hosts.iter().any(|h| h.eq_ignore_ascii_case(o)));
        if !ok {
            return Err((
                StatusCode::FORBIDDEN,
                "refused: the Origin is not this server's\n",
            ));
        }
    }
    let given = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|kv| kv.strip_prefix("token="))
        .unwrap_or_default();
    if !same(given.as_bytes(), app.token.as_bytes()) {
        return Err((
            StatusCode::UNAUTHORIZED,
            "refused: the token is missing or wrong\n",
        ));
    }
    Ok(())
}

/// Constant-time equality (the token is compared without leaking where it differs).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn asset(body: &'static str, kind: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

async fn index(State(app): State<App>) -> Response {
    let page = INDEX.replace("{{TOKEN}}", &app.token);
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

async fn state(State(app): State<App>) -> Response {
    let body = app.site.state();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn explain(State(app): State<App>, Query(q): Query<HashMap<String, String>>) -> Response {
    let (Some(release), Some(path)) = (q.get("release"), q.get("path")) else {
        return (StatusCode::BAD_REQUEST, "release and path are required\n").into_response();
    };
    match app.site.explain(release, path) {
        Some(text) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
        None => (StatusCode::NOT_FOUND, "no such release\n").into_response(),
    }
}

async fn source(State(app): State<App>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(file) = q.get("file") else {
        return (StatusCode::BAD_REQUEST, "file is required\n").into_response();
    };
    match app.site.source(file) {
        Some(text) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
        None => (StatusCode::NOT_FOUND, "not an input the page may show\n").into_response(),
    }
}

/// Server-sent events: `render` with the number of each new render (the current one first).
async fn events(
    State(app): State<App>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = app.renders.clone();
    let stream = futures_util::stream::unfold((rx, true), |(mut rx, first)| async move {
        if !first {
            rx.changed().await.ok()?;
        }
        let n = *rx.borrow_and_update();
        Some((
            Ok(Event::default().event("render").data(n.to_string())),
            (rx, false),
        ))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_answers_to_its_address_and_localhost_and_a_public_name_to_itself() {
        let lo: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(
            accepted_hosts(lo, None),
            ["127.0.0.1:8080", "localhost:8080", "[::1]:8080"]
        );
        let public: SocketAddr = "10.0.0.5:8080".parse().unwrap();
        assert_eq!(
            accepted_hosts(public, Some("Preview.Example")),
            ["10.0.0.5:8080", "preview.example:8080"]
        );
        assert_eq!(
            accepted_hosts(public, Some("preview.example:443")),
            ["10.0.0.5:8080", "preview.example:443"]
        );
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"abc", b"ab"));
    }
}
