//! The axum application: routes, middleware and serving with graceful shutdown.

use crate::app::{shell, App};
use crate::server::auth::oidc::Oidc;
use crate::server::auth::oidc_routes;
use crate::server::auth::session::{self, ClientFacts, SessionHandle};
use crate::server::db::{self, audit::AuditEvent, users, Db};
use crate::server::{
    auth::password::Hasher, config::Config, AppError, AppState, RequestContext, SharedState,
};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{self as mw, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database {url}: {source}")]
    Database { url: String, source: sqlx::Error },
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("password hasher: {0}")]
    Hasher(#[from] crate::server::auth::password::HashError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("email: {0}")]
    Mail(String),
    #[error("OpenID Connect: {0}")]
    Oidc(String),
}

pub async fn connect_and_migrate(config: &Config) -> Result<Db, StartError> {
    let db = Db::connect(&config.database_url, config.database_pool_size)
        .await
        .map_err(|source| StartError::Database {
            url: crate::server::config::redact_url(&config.database_url),
            source,
        })?;
    db.migrate().await?;
    Ok(db)
}

pub async fn build_state(config: Config) -> Result<AppState, StartError> {
    let db = connect_and_migrate(&config).await?;
    if let Some(sync) = config.oidc.as_ref().and_then(|o| o.role_sync.as_ref()) {
        crate::server::role_sync::validate(&db, sync)
            .await
            .map_err(StartError::Oidc)?;
    }
    let leptos = LeptosOptions::builder()
        .output_name("roster")
        .site_root(config.site_root.clone())
        .site_pkg_dir("pkg")
        .build();
    Ok(AppState::new(
        db,
        SharedState {
            leptos,
            hasher: Hasher::new(config.hash_queue_max).await?,
            mail_wakeup: Arc::new(tokio::sync::Notify::new()),
            oidc: match &config.oidc {
                Some(oidc) => {
                    Some(Oidc::new(oidc.clone(), &config.public_url).map_err(StartError::Oidc)?)
                }
                None => None,
            },
            config: Arc::new(config),
        },
    ))
}

/// Starts the webhook sender. The task runs until aborted.
pub fn start_webhook_sender(state: &AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(crate::server::webhooks::Sender::new(state.db.clone(), &state.config).run())
}

/// Starts the outbox sender when `SMTP_URL` is set. The task runs until aborted.
pub fn start_mail_sender(
    state: &AppState,
) -> Result<Option<tokio::task::JoinHandle<()>>, StartError> {
    let Some(url) = &state.config.smtp_url else {
        tracing::info!("email is off (no SMTP_URL): invitation links are copied by hand");
        return Ok(None);
    };
    let sender = crate::server::mail::Sender::new(
        state.db.clone(),
        &state.config,
        url,
        state.mail_wakeup.clone(),
    )
    .map_err(StartError::Mail)?;
    Ok(Some(tokio::spawn(sender.run())))
}

/// The app's routes, generated once per process. Generating them renders the whole app with
/// Leptos's process-wide "do not load resources" flag set, and a page rendered meanwhile by
/// another server of the same process (the tests start many) could keep a resource pending
/// for good: its request ended in 408 after `REQUEST_TIMEOUT_SECS` (leptos-rs/leptos#4773).
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let leptos_options = state.leptos.clone();
    let context_state = state.clone();

    // Everything a person or a script does: behind the session, the request context and the
    // request checks below.
    let app = Router::<AppState>::new()
        .route("/api/openapi.json", get(openapi))
        .route(EXPORTS[0], get(audit_export_csv))
        .route(EXPORTS[1], get(audit_export_ndjson))
        .route(EXPORTS[2], get(members_export_csv))
        .route("/api/{*rest}", axum::routing::any(unknown_api))
        .route("/auth/oidc/login", get(oidc_routes::login))
        .route("/auth/oidc/link", axum::routing::post(oidc_routes::link))
        .route("/auth/oidc/callback", get(oidc_routes::callback))
        .merge(crate::server::scim::router(&state))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(mw::from_fn_with_state(state.clone(), request_context))
        // Reads the session cookie before, and writes it after, everything above.
        .layer(session::layer(&state.db, &state.config))
        .layer(mw::from_fn_with_state(
            state.clone(),
            refuse_control_characters,
        ))
        .layer(mw::from_fn_with_state(state.clone(), refuse_cross_site))
        .layer(RequestBodyLimitLayer::new(state.config.max_body_bytes))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout,
        ));
    // Probes and built assets carry no session and change nothing: they skip the layers
    // above (a load balancer's probe, or a page's script and bundle sent with the cookie,
    // would otherwise load the session and build a request context for nothing).
    let router = Router::<AppState>::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        // Built assets, served precompressed (brotli, gzip) when the build made them
        // (`cargo leptos build --release --precompress`). The browser bundle is split into
        // parts that work only with the main module of the same build, under names that stay
        // the same from one build to the next: a browser must ask before reusing any of them
        // (`no-cache`: a conditional request, answered 304 while unchanged), so that a new
        // release never runs beside a part of the old one.
        .nest_service(
            "/pkg",
            tower::ServiceBuilder::new()
                .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
                    axum::http::header::CACHE_CONTROL,
                    axum::http::HeaderValue::from_static("no-cache"),
                ))
                .service(
                    tower_http::services::ServeDir::new(format!("{}/pkg", state.config.site_root))
                        .precompressed_br()
                        .precompressed_gzip(),
                ),
        )
        .merge(app);
    with_security_headers(router, state.config.is_https())
        .layer(crate::server::logging::trace_layer())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Headers on every response: no MIME sniffing, no `Referer` (invitation URLs carry their
/// token), no framing by another site (clickjacking), and over https a year of HSTS. The CSP
/// only forbids what the app never needs (frames, plugins, another `<base>`), so the hydrated
/// app's own scripts run as before.
fn with_security_headers(router: Router<AppState>, https: bool) -> Router<AppState> {
    use axum::http::{header, HeaderValue};
    use tower_http::set_header::SetResponseHeaderLayer;
    let set = |name: header::HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let router = router
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(
            header::CONTENT_SECURITY_POLICY,
            "frame-ancestors 'none'; object-src 'none'; base-uri 'self'",
        ));
    if https {
        router.layer(set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        router
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

async fn unknown_api() -> AppError {
    AppError::NotFound("no such endpoint")
}

/// The client's address: the peer's, or behind `hops` trusted proxies the `X-Forwarded-For`
/// entry `hops` places from the right. Each proxy appends the address it received the request
/// from, so entries further left were written by the client and prove nothing. With fewer
/// entries than hops, the left-most one.
pub fn client_ip(headers: &HeaderMap, peer: Option<std::net::IpAddr>, hops: usize) -> String {
    let peer = peer.map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    if hops == 0 {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    match entries.len() {
        0 => peer,
        n => {
            let entry = entries[n.saturating_sub(hops)];
            // Only an address: anything else is a forgery or a broken proxy.
            entry
                .parse::<std::net::IpAddr>()
                .map_or(peer, |ip| ip.to_string())
        }
    }
}

fn request_ip(req: &Request, hops: usize) -> String {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    client_ip(req.headers(), peer, hops)
}

/// Refuses state-changing requests sent by another site (CSRF): `Sec-Fetch-Site` first, then
/// `Origin` compared with `PUBLIC_URL`. Requests from non-browser clients carry neither.
/// The OpenAPI 3.1 document of the API, for anyone.
type ExportQuery = Result<
    axum::extract::Query<crate::model::audit::AuditFilter>,
    axum::extract::rejection::QueryRejection,
>;

async fn audit_export_csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    query: ExportQuery,
) -> Result<Response, AppError> {
    audit_export(crate::server::export::Format::Csv, state, ctx, query).await
}

async fn audit_export_ndjson(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    query: ExportQuery,
) -> Result<Response, AppError> {
    audit_export(crate::server::export::Format::Ndjson, state, ctx, query).await
}

/// `GET /api/audit/export.csv|ndjson?…`: the filtered audit log the caller may see (the filter
/// is `POST /api/audit/list`'s, without paging).
async fn audit_export(
    format: crate::server::export::Format,
    state: AppState,
    ctx: RequestContext,
    filter: ExportQuery,
) -> Result<Response, AppError> {
    let caller = crate::server::auth::Caller::from_request(state, ctx)?;
    let axum::extract::Query(filter) =
        filter.map_err(|e| AppError::invalid_field("query", e.body_text()))?;
    crate::server::audit::export(caller, filter, format).await
}

/// `GET /api/members/export.csv?workspace_id=…&q=…&status=…`: the members list as the page
/// filters it, every row of it.
async fn members_export_csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    query: Result<
        axum::extract::Query<crate::model::members::ListMembersForm>,
        axum::extract::rejection::QueryRejection,
    >,
) -> Result<Response, AppError> {
    let caller = crate::server::auth::Caller::from_request(state, ctx)?;
    let axum::extract::Query(form) =
        query.map_err(|e| AppError::invalid_field("query", e.body_text()))?;
    let request = form.try_into().map_err(AppError::from)?;
    crate::server::members::export(caller, request, crate::server::export::Format::Csv).await
}

async fn openapi(State(state): State<AppState>) -> axum::Json<serde_json::Value> {
    axum::Json(crate::server::openapi::document(
        state.config.public_origin(),
    ))
}

/// The exports: the only `GET`s under `/api/` that need a caller (and so take a token).
const EXPORTS: [&str; 3] = [
    "/api/audit/export.csv",
    "/api/audit/export.ndjson",
    "/api/members/export.csv",
];

/// The `Authorization` header of an API call (a `POST` to `/api/…`, or a `GET` of an export),
/// which then authenticates it instead of the session cookie.
fn bearer_header(req: &Request) -> Option<&str> {
    let path = req.uri().path();
    let api_call = match *req.method() {
        Method::POST => path.starts_with("/api/"),
        Method::GET => EXPORTS.contains(&path),
        _ => false,
    };
    if !api_call {
        return None;
    }
    req.headers()
        .get(axum::http::header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""))
}

async fn refuse_cross_site(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // A bearer call carries no ambient credential (its cookie is ignored), so another site
    // gains nothing by sending one; a browser cannot attach the header cross-site anyway.
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || bearer_header(&req).is_some()
        // SCIM authenticates by bearer token alone; a cookie means nothing there.
        || crate::server::scim::is_scim(req.uri().path())
    {
        return next.run(req).await;
    }
    if is_cross_site(req.headers(), state.config.public_origin()) {
        // Anyone can send these: the first of each minute from an address is audited at once,
        // the rest only counted (the sweep records each minute's count as one row).
        let ip = request_ip(&req, state.config.trusted_proxy_hops);
        let key = db::throttle::cross_site_key(&ip, db::now());
        match db::throttle::count(&state.db, &key).await {
            Ok(1) => {
                let ev = AuditEvent {
                    action: crate::domain::AuditAction::CsrfRefused,
                    target: Some(req.uri().path().to_string()),
                    ip: Some(ip),
                    actor_user_id: None,
                    actor_token: None,
                    workspace_id: None,
                    detail: Some(
                        "first of this minute from this address; the rest are counted".into(),
                    ),
                };
                if let Err(e) = db::audit::record(&state.db, &ev).await {
                    tracing::error!(error = %e, "could not audit a refused cross-site request");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "could not count a refused cross-site request"),
        }
        return AppError::Forbidden("cross-site request refused").into_response();
    }
    next.run(req).await
}

/// Fields whose value is a pasted list, where line breaks and tabs separate the entries.
const LIST_FIELDS: [&str; 3] = ["emails", "workspace_ids", "rows"];

/// Refuses (400, naming the field) a submitted form with a control character in any value —
/// NUL, escapes, and line breaks or tabs outside a pasted list. No text Roster stores may hold
/// one (a name keeps to one line; PostgreSQL cannot store a NUL at all), so every endpoint,
/// present and future, is covered here, before any of them parses its form. The body is
/// already capped by the body limit.
async fn refuse_control_characters(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    // Every server function's body, whatever its declared type: they decode a URL-encoded
    // body without looking at the header.
    if !(req.method() == Method::POST && req.uri().path().starts_with("/api/")) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, state.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
        }
    };
    for (field, value) in url::form_urlencoded::parse(&bytes) {
        let allowed =
            |c: char| LIST_FIELDS.contains(&field.as_ref()) && matches!(c, '\n' | '\r' | '\t');
        if value.chars().any(|c| c.is_control() && !allowed(c)) {
            let field: String = field.chars().filter(|c| !c.is_control()).take(64).collect();
            return AppError::invalid_field(
                &field,
                "control characters (such as NUL, tab or a line break) are not allowed here",
            )
            .into_response();
        }
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

pub fn is_cross_site(headers: &HeaderMap, public_origin: &str) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match header("sec-fetch-site") {
        Some("same-origin") | Some("none") => false,
        Some(_) => true,
        None => match header("origin") {
            Some(origin) => origin != public_origin,
            None => false,
        },
    }
}

/// Loads the signed-in user (if any) once per request, ends sessions that are stale, and
/// applies the server-side route guards:
/// - anonymous visitors of private pages go to `/login`;
/// - a user who must change their password is held on `/change-password` (303 for pages,
///   403 `password_change_required` for every server function but change-password, logout, me).
async fn request_context(
    State(state): State<AppState>,
    Extension(session): Extension<tower_sessions::Session>,
    mut req: Request,
    next: Next,
) -> Response {
    let ip = request_ip(&req, state.config.trusted_proxy_hops);
    let user_agent = req
        .headers()
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let client = ClientFacts::new(&ip, user_agent);
    // An API call with a bearer token is that token's alone: the session cookie, if the
    // client sent one too, is not consulted.
    let bearer = bearer_header(&req).map(str::to_string);
    // A signed-in request reads the cache at the snapshot its session was loaded at.
    let (session, user, token, read_at) = match bearer {
        Some(authorization) => {
            let handle = SessionHandle::detached(session, &state.db, &state.config, client);
            match crate::server::api_tokens::authenticate(&state, &authorization, req.uri().path())
                .await
            {
                Ok((user, grant)) => (handle, Some(user), Some(grant), None),
                Err(e) => return e.into_response(),
            }
        }
        None => match SessionHandle::resolve(session, &state.db, &state.config, client).await {
            Ok(found) => (found.handle, found.user, None, found.read_at),
            Err(e) => return AppError::from(e).into_response(),
        },
    };
    match guard(
        req.method(),
        req.uri().path(),
        req.uri().query(),
        user.as_ref(),
    ) {
        Some(response) => response,
        None => {
            req.extensions_mut().insert(RequestContext {
                db: state.db.at_snapshot(read_at),
                user,
                ip,
                session,
                token,
            });
            next.run(req).await
        }
    }
}

const ALLOWED_WHILE_RESTRICTED: &[&str] = &[
    "/api/auth/change_password",
    "/api/auth/logout",
    "/api/auth/me",
];
const PRIVATE_PAGES: &[&str] = &["/members", "/audit", "/change-password", "/profile"];

/// Probes and `/pkg` never reach this middleware (`router()` serves them outside it).
fn is_page(method: &Method, path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    method == Method::GET && !path.starts_with("/api/") && !last.contains('.')
}

fn guard(
    method: &Method,
    path: &str,
    query: Option<&str>,
    user: Option<&users::UserRow>,
) -> Option<Response> {
    let restricted = user.is_some_and(|u| u.must_change_password);
    if path.starts_with("/api/") {
        return (restricted && !ALLOWED_WHILE_RESTRICTED.contains(&path))
            .then(|| AppError::PasswordChangeRequired.into_response());
    }
    // Starting a Google link is an action on the account like any server function.
    if restricted && path.starts_with("/auth/oidc/link") {
        return Some(Redirect::to("/change-password").into_response());
    }
    if !is_page(method, path) {
        return None;
    }
    if restricted && path != "/change-password" {
        return Some(Redirect::to("/change-password").into_response());
    }
    let private = path == "/"
        || PRIVATE_PAGES
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/")));
    if user.is_none() && private {
        let target = match query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        };
        let encoded = crate::server::percent::encode(&target);
        return Some(Redirect::to(&format!("/login?return_to={encoded}")).into_response());
    }
    if user.is_some() && (path == "/login" || path == "/") {
        return Some(Redirect::to("/members").into_response());
    }
    None
}

/// Serves until SIGINT/SIGTERM, then lets in-flight requests finish.
pub async fn serve(state: AppState) -> Result<(), StartError> {
    let addr = state.config.bind_addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let cleanup = tokio::spawn(crate::server::sweep::run(
        state.db.clone(),
        crate::server::sweep::Retention::from_config(&state.config),
    ));
    let mail_sender = start_mail_sender(&state)?;
    let webhook_sender = start_webhook_sender(&state);
    tracing::info!(%addr, public_url = %state.config.public_url, "roster listening");
    let db = state.db.clone();
    let limits = listen_limits(&state.config);
    crate::server::listen::serve(listener, router(state), limits, shutdown_signal()).await;
    cleanup.abort();
    webhook_sender.abort();
    if let Some(sender) = mail_sender {
        sender.abort();
    }
    db.close().await;
    tracing::info!("roster stopped");
    Ok(())
}

/// The connection limits of `config`.
pub fn listen_limits(config: &Config) -> crate::server::listen::Limits {
    crate::server::listen::Limits {
        header_read_timeout: config.header_read_timeout,
        max_connections: config.max_connections,
        request_timeout: config.request_timeout,
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_site_detection() {
        let mut h = HeaderMap::new();
        assert!(!is_cross_site(&h, "http://a"));
        h.insert("origin", "http://evil".parse().unwrap());
        assert!(is_cross_site(&h, "http://a"));
        h.insert("origin", "http://a".parse().unwrap());
        assert!(!is_cross_site(&h, "http://a"));
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(is_cross_site(&h, "http://a"));
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(!is_cross_site(&h, "http://a"));
    }

    #[test]
    fn the_client_address_is_counted_from_the_right() {
        let peer = Some("10.0.0.9".parse().unwrap());
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 1.2.3.4".parse().unwrap());
        assert_eq!(
            client_ip(&h, peer, 0),
            "10.0.0.9",
            "no proxy: the header is ignored"
        );
        assert_eq!(
            client_ip(&h, peer, 1),
            "1.2.3.4",
            "one proxy appended the client"
        );
        assert_eq!(client_ip(&h, peer, 2), "6.6.6.6");
        assert_eq!(client_ip(&h, peer, 5), "6.6.6.6", "fewer entries than hops");
        h.insert("x-forwarded-for", "1.2.3.4, not-an-ip".parse().unwrap());
        assert_eq!(
            client_ip(&h, peer, 1),
            "10.0.0.9",
            "a garbled entry is not trusted"
        );
        assert_eq!(client_ip(&HeaderMap::new(), peer, 1), "10.0.0.9");
    }

    #[test]
    fn pages_and_assets() {
        assert!(is_page(&Method::GET, "/members"));
        assert!(!is_page(&Method::GET, "/pkg/roster.js"));
        assert!(!is_page(&Method::GET, "/favicon.ico"));
        assert!(!is_page(&Method::POST, "/members"));
    }
}
