//! A faithful fake Google on 127.0.0.1:0: token endpoint, Gmail, Drive and Sheets, with a switch to
//! fail the next calls the way Google does.
#![allow(dead_code)]

pub mod api;
pub mod parse;
pub mod token;
pub mod world;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use rsa::RsaPublicKey;

/// How to fail one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 429 RESOURCE_EXHAUSTED with `Retry-After: {0}`.
    TooMany(u64),
    /// 503 UNAVAILABLE.
    Unavailable,
    /// 403 with reason `rateLimitExceeded`.
    RateLimit403,
    /// 400 INVALID_ARGUMENT.
    BadRequest,
    /// On a resumable chunk: keep the first half of it, then answer 503 (a connection cut
    /// mid-chunk). Elsewhere: 503.
    Truncated,
    /// On a resumable chunk: forget the session and answer 404. Elsewhere: 404.
    SessionGone,
    /// Do the call (a mail is sent), then answer only after this many milliseconds: the client
    /// times out on a request that went through.
    AcceptThenStall(u64),
    /// Do the call, then cut the connection in the middle of the answer.
    AcceptThenCut,
    /// Do the call, then answer 503 anyway (Gmail's "backendError" after delivery).
    AcceptThen503,
}

impl Failure {
    /// Whether the call is carried out before the failure (its outcome is then unknown to the
    /// client).
    pub fn accepts_first(self) -> bool {
        matches!(
            self,
            Failure::AcceptThenStall(_) | Failure::AcceptThenCut | Failure::AcceptThen503
        )
    }
}

/// A resumable upload session in the fake.
#[derive(Debug, Clone)]
pub struct Upload {
    /// `drive.create` or `drive.update`.
    pub route: &'static str,
    /// The file an update replaces.
    pub file_id: Option<String>,
    pub meta: serde_json::Value,
    pub media_type: String,
    /// `X-Upload-Content-Length`, when the client declared it.
    pub declared: Option<usize>,
    pub received: Vec<u8>,
    /// The finished file's JSON, once complete.
    pub done: Option<serde_json::Value>,
}

/// A mail the fake received, parsed from its raw MIME.
#[derive(Debug, Clone, Default)]
pub struct SentMail {
    pub id: String,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub text: String,
    /// The `Message-ID` header, as sent.
    pub message_id: String,
    /// `(filename, content type, bytes)`.
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

/// A Drive file in the fake.
#[derive(Debug, Clone)]
pub struct FakeFile {
    pub id: String,
    pub name: String,
    pub parents: Vec<String>,
    pub mime: String,
    pub content: Vec<u8>,
    pub trashed: bool,
}

/// A permission created on a file.
#[derive(Debug, Clone)]
pub struct Permission {
    pub file_id: String,
    pub email: String,
    pub role: String,
    pub notify: bool,
}

/// Everything the fake knows; tests read and arrange it through [`Fake::state`].
pub struct State {
    pub public_key: RsaPublicKey,
    pub client_email: String,
    pub token_uri: String,
    /// The mailbox a JWT `sub` may name.
    pub mailbox: String,
    /// Lifetime of issued tokens.
    pub expires_in: i64,
    pub valid_tokens: Vec<String>,
    /// The scopes each issued token carries (Sheets' `values.update` needs the write scope).
    pub token_scopes: HashMap<String, Vec<String>>,
    pub token_requests: usize,
    /// The `sub` of each granted token, in order.
    pub token_subs: Vec<Option<String>>,
    pub sent: Vec<SentMail>,
    pub files: Vec<FakeFile>,
    pub permissions: Vec<Permission>,
    pub perm_in_flight: usize,
    pub perm_max_in_flight: usize,
    /// Spreadsheet id → tabs `(title, rows)`.
    pub sheets: HashMap<String, Vec<Tab>>,
    /// Every `values.update` carried out: (spreadsheet id, range as sent, rows written).
    pub sheet_updates: Vec<(String, String, serde_json::Value)>,
    pub failures: VecDeque<Failure>,
    /// `(route, n)` → how to fail the n-th call (1-based) of that route.
    pub fail_at: HashMap<(&'static str, usize), Failure>,
    /// Resumable upload sessions by upload id.
    pub uploads: HashMap<String, Upload>,
    /// Calls per route name (`gmail.send`, `drive.list`, …), counted on arrival.
    pub calls: HashMap<&'static str, usize>,
    /// Expected on Drive lists (`corpora=drive&driveId=…`) when set.
    pub shared_drive_id: Option<String>,
    /// Page size the fake uses for Gmail and Drive lists (small, to exercise paging).
    pub page_size: usize,
    pub next_id: u64,
}

impl State {
    pub fn calls(&self, route: &str) -> usize {
        self.calls.get(route).copied().unwrap_or(0)
    }

    pub fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }
}

pub type Shared = Arc<Mutex<State>>;

/// A tab: its title and ragged rows.
pub type Tab = (String, Vec<Vec<serde_json::Value>>);

/// A running fake; stops when dropped.
pub struct Fake {
    pub base: String,
    state: Shared,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Fake {
    /// Starts the fake for a service account whose public key is `public_key`.
    pub async fn start(public_key: RsaPublicKey, client_email: &str, mailbox: &str) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let state = Arc::new(Mutex::new(State {
            public_key,
            client_email: client_email.to_owned(),
            token_uri: format!("{base}/token"),
            mailbox: mailbox.to_owned(),
            expires_in: 3600,
            valid_tokens: Vec::new(),
            token_scopes: HashMap::new(),
            token_requests: 0,
            token_subs: Vec::new(),
            sent: Vec::new(),
            files: Vec::new(),
            permissions: Vec::new(),
            perm_in_flight: 0,
            perm_max_in_flight: 0,
            sheets: HashMap::new(),
            sheet_updates: Vec::new(),
            failures: VecDeque::new(),
            fail_at: HashMap::new(),
            uploads: HashMap::new(),
            calls: HashMap::new(),
            shared_drive_id: None,
            page_size: 2,
            next_id: 0,
        }));
        // Drive takes bodies far above axum's 2 MB default; the fake's own limits apply.
        let app = axum::Router::new()
            .fallback(handle)
            .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(state.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Fake {
            base,
            state,
            _stop: stop,
        }
    }

    pub fn token_uri(&self) -> String {
        format!("{}/token", self.base)
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("fake state lock")
    }

    /// Fails the next `n` API calls (not token calls) with `f`.
    pub fn fail_next(&self, f: Failure, n: usize) {
        self.state().failures.extend(std::iter::repeat_n(f, n));
    }

    /// Fails the `n`-th call (1-based, counting from the start) of `route` with `f`.
    pub fn fail_call(&self, route: &'static str, n: usize, f: Failure) {
        self.state().fail_at.insert((route, n), f);
    }
}

/// A JSON response.
pub fn json(status: u16, v: serde_json::Value) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json; charset=UTF-8")
        .body(axum::body::Body::from(v.to_string()))
        .expect("response")
}

/// Google's API error body.
pub fn google_error(code: u16, status: &str, reason: &str, message: &str) -> Response {
    json(
        code,
        serde_json::json!({"error": {"code": code, "message": message, "status": status,
            "errors": [{"domain": "global", "reason": reason, "message": message}]}}),
    )
}

pub fn failure_response(f: Failure) -> Response {
    match f {
        Failure::TooMany(secs) => {
            let mut r = google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "rateLimitExceeded",
                "Resource has been exhausted (e.g. check quota).",
            );
            r.headers_mut()
                .insert("retry-after", secs.to_string().parse().expect("header"));
            r
        }
        Failure::Unavailable => google_error(
            503,
            "UNAVAILABLE",
            "backendError",
            "The service is currently unavailable.",
        ),
        Failure::RateLimit403 => google_error(
            403,
            "PERMISSION_DENIED",
            "rateLimitExceeded",
            "Rate Limit Exceeded",
        ),
        Failure::BadRequest => google_error(
            400,
            "INVALID_ARGUMENT",
            "invalid",
            "Invalid value at 'message.raw'",
        ),
        Failure::Truncated | Failure::AcceptThen503 | Failure::AcceptThenStall(_) => {
            failure_response(Failure::Unavailable)
        }
        Failure::AcceptThenCut => cut_response(),
        Failure::SessionGone => google_error(404, "NOT_FOUND", "notFound", "Not Found"),
    }
}

async fn handle(
    AxState(state): AxState<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let query = parse::query_pairs(uri.query().unwrap_or(""));
    if path == "/token" && method == Method::POST {
        let mut s = state.lock().expect("lock");
        s.token_requests += 1;
        let now = chrono::Utc::now().timestamp();
        return match token::verify(&s, &body, now) {
            Ok(sub) => {
                let t = s.new_id("ya29.fake-");
                s.valid_tokens.push(t.clone());
                s.token_scopes.insert(t.clone(), token::scopes_of(&body));
                s.token_subs.push(sub);
                json(
                    200,
                    serde_json::json!({"access_token": t, "expires_in": s.expires_in, "token_type": "Bearer"}),
                )
            }
            Err((code, error, description)) => json(
                code,
                serde_json::json!({"error": error, "error_description": description}),
            ),
        };
    }
    let route = api::route_name(&method, &path);
    // A failure that comes after the call is carried out (its outcome unknown to the client).
    let accepted_then = {
        let mut s = state.lock().expect("lock");
        *s.calls.entry(route).or_default() += 1;
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !bearer.is_some_and(|b| s.valid_tokens.iter().any(|t| t == b)) {
            return google_error(
                401,
                "UNAUTHENTICATED",
                "authError",
                "Request had invalid authentication credentials.",
            );
        }
        let n = s.calls(route);
        let injected = s
            .fail_at
            .remove(&(route, n))
            .or_else(|| s.failures.pop_front());
        match injected {
            Some(f @ (Failure::Truncated | Failure::SessionGone)) if route == "drive.chunk" => {
                return api::drive_chunk(&mut s, &query, &headers, &body, Some(f));
            }
            Some(f) if f.accepts_first() => Some(f),
            Some(f) => return failure_response(f),
            None => None,
        }
    };
    let done = api::dispatch(&state, route, &method, &path, &query, &headers, &body).await;
    match accepted_then {
        Some(Failure::AcceptThenStall(ms)) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            done
        }
        Some(f) => failure_response(f),
        None => done,
    }
}

/// A 200 whose body breaks off: the connection is cut before the answer is complete.
fn cut_response() -> Response {
    let chunks: Vec<Result<&'static [u8], std::io::Error>> = vec![
        Ok(b"{\"id\": \"msg-"),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "cut by the fake",
        )),
    ];
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json; charset=UTF-8")
        .header("content-length", "64")
        .body(axum::body::Body::from_stream(futures::stream::iter(chunks)))
        .expect("response")
}
