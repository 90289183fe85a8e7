//! The SCIM 2.0 service provider at `/scim/v2/` (RFC 7643, RFC 7644): an organization's
//! identity provider (Okta, Microsoft Entra ID, …) pushes its people and groups with an
//! organization token that has the `scim` scope. Every request is authenticated as that
//! token, authorized by `can(…, Provision, the organization)` on the token's service account,
//! and audited with the token as actor; what it does to access is decided in
//! [`crate::server::db::scim`].

pub mod filter;
pub mod patch;
pub mod resources;
pub mod settings;

use crate::domain::scopes::Scope;
use crate::domain::{Action, Actor, AuditAction, Target};
use crate::server::api_tokens::{self, TokenGrant};
use crate::server::db::audit::AuditEvent;
use crate::server::db::scim::{self as store, MembersChange, Provisioner, Write};
use crate::server::db::users::{self, UserRow};
use crate::server::{AppError, AppState, RequestContext};
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self as mw, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Extension, Router};
use filter::Resource;
use resources::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The most resources one list answers.
pub const MAX_COUNT: i64 = 200;
const DEFAULT_COUNT: i64 = 100;
const SCIM_JSON: &str = "application/scim+json";

/// A SCIM error (RFC 7644 §3.12): the status, a `scimType` where the RFC has one, a detail.
#[derive(Debug)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
    retry_after: Option<i64>,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> ScimError {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
            retry_after: None,
        }
    }
    pub fn bad(scim_type: Option<&'static str>, detail: impl Into<String>) -> ScimError {
        ScimError::new(StatusCode::BAD_REQUEST, scim_type, detail)
    }
    pub fn invalid_value(detail: impl Into<String>) -> ScimError {
        ScimError::bad(Some("invalidValue"), detail)
    }
    fn not_found(what: &str) -> ScimError {
        ScimError::new(
            StatusCode::NOT_FOUND,
            None,
            format!("no such {what} in this organization"),
        )
    }
}

impl From<AppError> for ScimError {
    fn from(e: AppError) -> ScimError {
        if let AppError::Internal(detail) = &e {
            tracing::error!(%detail, "SCIM request failed");
        }
        let detail = match &e {
            AppError::Internal(_) => "internal error".to_string(),
            other => other.to_string(),
        };
        ScimError {
            status: e.status(),
            scim_type: None,
            detail,
            retry_after: e.retry_after_secs(),
        }
    }
}

impl From<sqlx::Error> for ScimError {
    fn from(e: sqlx::Error) -> ScimError {
        AppError::from(e).into()
    }
}

/// What the request gate learns from a failed request, for the organization's page: the
/// `scimType` or the status's reason, never the detail (which may quote a filter or a value
/// that names a person).
#[derive(Clone)]
struct Failure(String);

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut res = scim_json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"roster\""),
            );
        }
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        let kind = self
            .scim_type
            .or(self.status.canonical_reason())
            .unwrap_or("error");
        res.extensions_mut().insert(Failure(kind.to_string()));
        res
    }
}

type ScimResult = Result<Response, ScimError>;

fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    res
}

/// One resource, with its `ETag` (and `Location` when created).
fn resource(status: StatusCode, body: Value, version: i64, created: bool) -> Response {
    let location = body["meta"]["location"].as_str().map(str::to_string);
    let mut res = scim_json(status, &body);
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    if created {
        if let Some(v) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            res.headers_mut().insert(header::LOCATION, v);
        }
    }
    res
}

/// The authenticated provisioner of one request.
pub struct ScimCaller {
    pub state: AppState,
    pub org_id: String,
    pub account: UserRow,
    pub token: TokenGrant,
    pub actor: Actor,
    pub ip: String,
}

impl ScimCaller {
    fn base(&self) -> String {
        format!(
            "{}/scim/v2",
            self.state.config.public_url.trim_end_matches('/')
        )
    }

    /// Whether this caller's account manages an account with these roles.
    fn manages(&self) -> impl Fn(&crate::domain::AccountScope) -> bool + Send + Sync + '_ {
        move |scope| crate::domain::manages(&self.actor, scope)
    }

    fn provisioner<'a>(
        &'a self,
        manages: &'a (dyn Fn(&crate::domain::AccountScope) -> bool + Send + Sync),
    ) -> Provisioner<'a> {
        Provisioner {
            org_id: &self.org_id,
            actor_user_id: &self.account.id,
            actor_token: Some(self.token.audit_name()),
            ip: &self.ip,
            manages,
            mappings: Default::default(),
        }
    }
}

/// Evaluates `$body` with `$p` the caller's [`Provisioner`].
macro_rules! provisioned {
    ($c:expr, $p:ident => $body:expr) => {{
        let manages = $c.manages();
        let $p = $c.provisioner(&manages);
        $body
    }};
}

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(service_provider_config_doc),
        )
        .route("/scim/v2/ResourceTypes", get(resource_types_doc))
        .route("/scim/v2/ResourceTypes/{id}", get(resource_type_doc))
        .route("/scim/v2/Schemas", get(schemas_doc))
        .route("/scim/v2/Schemas/{id}", get(schema_doc))
        .route("/scim/v2/Users", get(list_users).post(create_user))
        .route(
            "/scim/v2/Users/{id}",
            get(get_user)
                .put(replace_user)
                .patch(patch_user)
                .delete(delete_user),
        )
        .route("/scim/v2/Groups", get(list_groups).post(create_group))
        .route(
            "/scim/v2/Groups/{id}",
            get(get_group)
                .put(replace_group)
                .patch(patch_group)
                .delete(delete_group),
        )
        .route("/scim/v2", any(unknown))
        .route("/scim/v2/{*rest}", any(unknown))
        .route_layer(mw::from_fn_with_state(state.clone(), gate))
}

async fn unknown() -> ScimError {
    ScimError::not_found("SCIM endpoint")
}

/// Authenticates and authorizes every SCIM request, then audits it with its outcome.
async fn gate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<RequestContext>()
        .map(|c| c.ip.clone())
        .unwrap_or_else(|| "unknown".into());
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("").to_string())
        .unwrap_or_default();
    let caller = match authorize(&state, &authorization, ip).await {
        Ok(c) => Arc::new(c),
        Err(e) => return e.into_response(),
    };
    // The path without its query: a filter would name a person, and the log keeps no more
    // about them than it must.
    let request = format!("{} {}", req.method(), req.uri().path());
    let request: String = request.chars().take(500).collect();
    req.extensions_mut().insert(caller.clone());
    let writing = req.method() != axum::http::Method::GET;
    let turn = match writing {
        true => Some(org_write_lock(&caller.org_id).lock_owned().await),
        false => None,
    };
    let res = next.run(req).await;
    drop(turn);
    let status = res.status().as_u16();
    let failure = res.extensions().get::<Failure>().map(|f| f.0.clone());
    let ev = AuditEvent {
        actor_user_id: Some(caller.account.id.clone()),
        actor_token: Some(caller.token.audit_name()),
        action: AuditAction::ScimRequest,
        target: Some(request.clone()),
        workspace_id: None,
        ip: Some(caller.ip.clone()),
        detail: Some(format!("organization={} status={status}", caller.org_id)),
    };
    let error = (status >= 400).then(|| failure.unwrap_or_default());
    if let Err(e) = store::record_request(
        &state.db,
        &caller.org_id,
        &request,
        status,
        error.as_deref(),
        &ev,
    )
    .await
    {
        tracing::error!(error = %e, "could not audit a SCIM request");
    }
    res
}

/// The writes of one organization's SCIM requests take turns in this process, first come first
/// served. Each runs in one transaction, and a group push reconciles every member in it; on
/// SQLite, writers left to its busy handler are served in no order, and one could wait past the
/// busy timeout behind the others. (Across instances on PostgreSQL, the organization's row lock
/// orders them.)
fn org_write_lock(org_id: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: std::sync::OnceLock<
        std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    > = std::sync::OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    locks.entry(org_id.to_string()).or_default().clone()
}

async fn authorize(
    state: &AppState,
    authorization: &str,
    ip: String,
) -> Result<ScimCaller, ScimError> {
    let (account, token) =
        api_tokens::authenticate_for(state, authorization, Some(Scope::Scim)).await?;
    let org_id = token.org_id.clone().ok_or_else(|| {
        ScimError::new(
            StatusCode::FORBIDDEN,
            None,
            "SCIM takes an organization token",
        )
    })?;
    let actor = users::load_actor(&state.db, &account).await?;
    if !crate::domain::can(
        &actor,
        Action::Provision,
        Target::Organization { org_id: &org_id },
    ) {
        return Err(ScimError::new(
            StatusCode::FORBIDDEN,
            None,
            "this token's account no longer administers its organization",
        ));
    }
    Ok(ScimCaller {
        state: state.clone(),
        org_id,
        account,
        token,
        actor,
        ip,
    })
}

type Caller = Extension<Arc<ScimCaller>>;

fn json_body(body: &Bytes) -> Result<Value, ScimError> {
    serde_json::from_slice(body)
        .map_err(|e| ScimError::bad(Some("invalidSyntax"), format!("the body is not JSON: {e}")))
}

fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ScimError> {
    parse_if_match(headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()))
}

/// `startIndex` (from 1) and `count` (0 to [`MAX_COUNT`]) of a list request.
fn page(q: &HashMap<String, String>) -> Result<(i64, i64), ScimError> {
    let number = |name: &str, default: i64| -> Result<i64, ScimError> {
        match q.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            None => Ok(default),
            Some((_, v)) => v
                .trim()
                .parse::<i64>()
                .map_err(|_| ScimError::invalid_value(format!("{name} must be a number"))),
        }
    };
    Ok((
        number("startIndex", 1)?.max(1),
        number("count", DEFAULT_COUNT)?.clamp(0, MAX_COUNT),
    ))
}

fn query<'a>(q: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    q.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn excludes_members(q: &HashMap<String, String>) -> bool {
    let named = |list: Option<&str>| {
        list.is_some_and(|l| {
            l.split(',')
                .any(|a| a.trim().eq_ignore_ascii_case("members"))
        })
    };
    named(query(q, "excludedAttributes"))
        || query(q, "attributes").is_some_and(|a| !a.trim().is_empty() && !named(Some(a)))
}

fn conflict(attribute: &str) -> ScimError {
    ScimError::new(
        StatusCode::CONFLICT,
        Some("uniqueness"),
        format!("another resource of this organization has the same {attribute}"),
    )
}

fn write_error<T>(w: Write<T>, what: &str) -> Result<T, ScimError> {
    match w {
        Write::Done(t) => Ok(t),
        Write::NotFound => Err(ScimError::not_found(what)),
        Write::Taken(attribute) => Err(conflict(attribute)),
        Write::VersionMismatch => Err(ScimError::new(
            StatusCode::PRECONDITION_FAILED,
            None,
            "the resource changed since the version If-Match names",
        )),
        Write::UnknownMember(id) => Err(ScimError::invalid_value(format!(
            "member `{id}` is no user of this organization"
        ))),
    }
}

async fn service_provider_config_doc(Extension(c): Caller) -> Response {
    scim_json(StatusCode::OK, &service_provider_config(&c.base()))
}

async fn resource_types_doc(Extension(c): Caller) -> Response {
    let list = resource_types(&c.base());
    scim_json(StatusCode::OK, &list_json(list.len() as i64, 1, list))
}

async fn resource_type_doc(Extension(c): Caller, Path(id): Path<String>) -> ScimResult {
    resource_types(&c.base())
        .into_iter()
        .find(|t| t["id"] == id.as_str())
        .map(|t| scim_json(StatusCode::OK, &t))
        .ok_or_else(|| ScimError::not_found("resource type"))
}

async fn schemas_doc(Extension(c): Caller) -> Response {
    let list = schemas(&c.base());
    scim_json(StatusCode::OK, &list_json(list.len() as i64, 1, list))
}

async fn schema_doc(Extension(c): Caller, Path(id): Path<String>) -> ScimResult {
    schemas(&c.base())
        .into_iter()
        .find(|s| s["id"] == id.as_str())
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| ScimError::not_found("schema"))
}

async fn user_response(c: &ScimCaller, id: &str, status: StatusCode) -> ScimResult {
    let db = &c.state.db;
    let row = store::get_user(db, &c.org_id, id)
        .await?
        .ok_or_else(|| ScimError::not_found("user"))?;
    let groups = store::groups_of_user(db, &row.id).await?;
    let version = row.version;
    Ok(resource(
        status,
        user_json(&c.base(), &row, &groups),
        version,
        status == StatusCode::CREATED,
    ))
}

async fn list_users(Extension(c): Caller, Query(q): Query<HashMap<String, String>>) -> ScimResult {
    let cond = filter::condition(Resource::User, query(&q, "filter").unwrap_or(""))
        .map_err(|e| ScimError::bad(Some("invalidFilter"), e))?;
    let (start, count) = page(&q)?;
    let (total, rows) = store::list_users(&c.state.db, &c.org_id, &cond, start - 1, count).await?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut groups = store::groups_of_users(&c.state.db, &ids).await?;
    let base = c.base();
    let list = rows
        .iter()
        .map(|r| user_json(&base, r, &groups.remove(&r.id).unwrap_or_default()))
        .collect();
    Ok(scim_json(StatusCode::OK, &list_json(total, start, list)))
}

async fn get_user(Extension(c): Caller, Path(id): Path<String>) -> ScimResult {
    user_response(&c, &id, StatusCode::OK).await
}

async fn create_user(Extension(c): Caller, body: Bytes) -> ScimResult {
    let fields = parse_user(&json_body(&body)?)?;
    let written = provisioned!(c, p => store::create_user(&c.state.db, &p, &fields).await)?;
    let id = write_error(written, "user")?;
    user_response(&c, &id, StatusCode::CREATED).await
}

async fn replace_user(
    Extension(c): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult {
    let expected = if_match(&headers)?;
    let fields = parse_user(&json_body(&body)?)?;
    let written =
        provisioned!(c, p => store::replace_user(&c.state.db, &p, &id, &fields, expected).await)?;
    write_error(written, "user")?;
    user_response(&c, &id, StatusCode::OK).await
}

async fn patch_user(
    Extension(c): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult {
    let expected = if_match(&headers)?;
    let body = json_body(&body)?;
    // Read, patch, write back only if nobody changed it meanwhile (a few tries).
    for _ in 0..3 {
        let row = store::get_user(&c.state.db, &c.org_id, &id)
            .await?
            .ok_or_else(|| ScimError::not_found("user"))?;
        if expected.is_some_and(|v| v != row.version) {
            return Err(write_error::<()>(Write::VersionMismatch, "user").unwrap_err());
        }
        let mut user = user_json(&c.base(), &row, &[]);
        patch::apply_to_user(&mut user, patch::operations(&body)?)?;
        let fields = parse_user(&user)?;
        let version = Some(row.version);
        let written = provisioned!(c, p => store::replace_user(&c.state.db, &p, &id, &fields, version).await)?;
        match written {
            Write::VersionMismatch => continue,
            other => write_error(other, "user")?,
        }
        return user_response(&c, &id, StatusCode::OK).await;
    }
    Err(ScimError::new(
        StatusCode::CONFLICT,
        None,
        "the user kept changing; try again",
    ))
}

async fn delete_user(
    Extension(c): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ScimResult {
    let expected = if_match(&headers)?;
    let written = provisioned!(c, p => store::delete_user(&c.state.db, &p, &id, expected).await)?;
    write_error(written, "user")?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn group_response(
    c: &ScimCaller,
    id: &str,
    status: StatusCode,
    with_members: bool,
) -> ScimResult {
    let db = &c.state.db;
    let row = store::get_group(db, &c.org_id, id)
        .await?
        .ok_or_else(|| ScimError::not_found("group"))?;
    let members = if with_members {
        Some(store::members_of_group(db, &row.id).await?)
    } else {
        None
    };
    let version = row.version;
    Ok(resource(
        status,
        group_json(&c.base(), &row, members.as_deref()),
        version,
        status == StatusCode::CREATED,
    ))
}

async fn list_groups(Extension(c): Caller, Query(q): Query<HashMap<String, String>>) -> ScimResult {
    let cond = filter::condition(Resource::Group, query(&q, "filter").unwrap_or(""))
        .map_err(|e| ScimError::bad(Some("invalidFilter"), e))?;
    let (start, count) = page(&q)?;
    let (total, rows) = store::list_groups(&c.state.db, &c.org_id, &cond, start - 1, count).await?;
    let with_members = !excludes_members(&q);
    let base = c.base();
    let mut list = Vec::with_capacity(rows.len());
    for r in &rows {
        let members = if with_members {
            Some(store::members_of_group(&c.state.db, &r.id).await?)
        } else {
            None
        };
        list.push(group_json(&base, r, members.as_deref()));
    }
    Ok(scim_json(StatusCode::OK, &list_json(total, start, list)))
}

async fn get_group(
    Extension(c): Caller,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ScimResult {
    group_response(&c, &id, StatusCode::OK, !excludes_members(&q)).await
}

async fn create_group(Extension(c): Caller, body: Bytes) -> ScimResult {
    let (fields, members) = parse_group(&json_body(&body)?)?;
    let members = members.unwrap_or_default();
    let written =
        provisioned!(c, p => store::create_group(&c.state.db, &p, &fields, &members).await)?;
    let id = write_error(written, "group")?;
    group_response(&c, &id, StatusCode::CREATED, true).await
}

/// PUT replaces the group's names, and its members when `members` is given (a PUT without
/// them keeps the members: a client that leaves them out does not deprovision a whole group).
async fn replace_group(
    Extension(c): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult {
    let expected = if_match(&headers)?;
    let (fields, members) = parse_group(&json_body(&body)?)?;
    let change = MembersChange {
        replace: members,
        ..Default::default()
    };
    let written = provisioned!(c, p => store::update_group(&c.state.db, &p, &id, Some(&fields), &change, expected).await)?;
    write_error(written, "group")?;
    group_response(&c, &id, StatusCode::OK, true).await
}

async fn patch_group(
    Extension(c): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult {
    let expected = if_match(&headers)?;
    let ops = patch::operations(&json_body(&body)?)?;
    let row = store::get_group(&c.state.db, &c.org_id, &id)
        .await?
        .ok_or_else(|| ScimError::not_found("group"))?;
    let current = store::GroupFields {
        display_name: row.display_name.clone(),
        external_id: row.external_id.clone(),
    };
    let (fields, change) = patch::apply_to_group(&current, ops)?;
    // A rename checks the version read, so that two renames cannot cross.
    let version = if fields.is_some() {
        expected.or(Some(row.version))
    } else {
        expected
    };
    let written = provisioned!(c, p => store::update_group(&c.state.db, &p, &id, fields.as_ref(), &change, version).await)?;
    write_error(written, "group")?;
    group_response(&c, &id, StatusCode::OK, true).await
}

async fn delete_group(
    Extension(c): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ScimResult {
    let expected = if_match(&headers)?;
    let written = provisioned!(c, p => store::delete_group(&c.state.db, &p, &id, expected).await)?;
    write_error(written, "group")?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Whether `method` on `path` is SCIM's (which authenticates by bearer token only).
pub fn is_scim(path: &str) -> bool {
    path == "/scim/v2" || path.starts_with("/scim/v2/")
}
