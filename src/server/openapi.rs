//! The OpenAPI 3.1 document of every `/api/` endpoint (`GET /api/openapi.json`): fields with
//! their types and required-ness, who may call, the answers and error codes, and the two ways
//! to authenticate. Written out here as data, next to nothing else: `tests/it/openapi.rs` fails
//! when an endpoint is registered without being described here (or the other way round), or
//! when the fields described differ from the server function's parameters.

use crate::domain::scopes::required_scope;
use serde_json::{json, Map, Value};

#[derive(Clone, Copy)]
pub enum Kind {
    Text,
    Integer,
    Boolean,
}

/// One form field: name, type, required, description.
pub type Field = (&'static str, Kind, bool, &'static str);

pub struct Endpoint {
    /// Under `/api/`.
    pub path: &'static str,
    pub summary: &'static str,
    /// Who may call it (the rule `domain::can` applies).
    pub who: &'static str,
    pub fields: &'static [Field],
    /// The success status and what it answers.
    pub ok: (u16, &'static str),
    /// Endpoint-specific failures beyond 400/401/403/429: (status, when).
    pub errors: &'static [(u16, &'static str)],
    /// Callable without signing in.
    pub public: bool,
}

use Kind::{Boolean, Integer, Text};

const WS: Field = ("workspace_id", Text, true, "the workspace");
const ORG: Field = ("org_id", Text, true, "the organization");
const USER: Field = ("user_id", Text, true, "the account");
const EMAIL: Field = ("email", Text, true, "the invitation's email");
/// What `audit/list` and the audit exports narrow the log to.
const AUDIT_FILTER: [Field; 7] = [
    (
        "action",
        Text,
        false,
        "one action's stored name, such as `invite_created`",
    ),
    ("actor", Text, false, "the email of whoever acted"),
    (
        "target",
        Text,
        false,
        "the target exactly as the log shows it",
    ),
    ("workspace_id", Text, false, "one workspace"),
    (
        "person",
        Text,
        false,
        "a user id: what was done to them, and what they did",
    ),
    (
        "from",
        Text,
        false,
        "the first day (`YYYY-MM-DD`, UTC, included) or a Unix second",
    ),
    (
        "to",
        Text,
        false,
        "the last day (`YYYY-MM-DD`, UTC, included) or a Unix second (excluded)",
    ),
];

/// What `members/list` and the members export narrow the list to.
const MEMBERS_FILTER: [Field; 5] = [
    WS,
    ("q", Text, false, "the start of an email or a name"),
    (
        "status",
        Text,
        false,
        "all (default), active, deactivated, pending, expired",
    ),
    (
        "role",
        Text,
        false,
        "all (default), workspace_admin, workspace_editor, workspace_viewer",
    ),
    (
        "sort",
        Text,
        false,
        "email (default), name, role, status, joined, last_sign_in; a leading - for descending",
    ),
];

/// A download: `GET` with the filter in the query string, answering a file streamed from the
/// database (not a server function).
pub struct Export {
    /// Under `/api/`.
    pub path: &'static str,
    pub summary: &'static str,
    pub who: &'static str,
    pub content_type: &'static str,
    pub fields: &'static [Field],
}

pub const EXPORTS: &[Export] = &[
    Export {
        path: "audit/export.csv",
        summary: "The filtered audit log as CSV, newest first",
        who: "as audit/list",
        content_type: "text/csv",
        fields: &AUDIT_FILTER,
    },
    Export {
        path: "members/export.csv",
        summary: "A workspace's members and invitations as CSV, searched and filtered as members/list, in its order",
        who: "as members/list",
        content_type: "text/csv",
        fields: &MEMBERS_FILTER,
    },
    Export {
        path: "audit/export.ndjson",
        summary: "The filtered audit log as NDJSON (one JSON object a line), newest first",
        who: "as audit/list",
        content_type: "application/x-ndjson",
        fields: &AUDIT_FILTER,
    },
];

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint { path: "auth/login", summary: "Sign in with an email and a password", who: "anyone", fields: &[("email", Text, true, ""), ("password", Text, true, "")], ok: (200, "the signed-in user, as `auth/me`"), errors: &[(401, "wrong email or password (`invalid_credentials`), or a temporary password that expired")], public: true },
    Endpoint { path: "auth/logout", summary: "End this session", who: "anyone", fields: &[], ok: (200, "null"), errors: &[], public: true },
    Endpoint { path: "auth/me", summary: "The signed-in user", who: "anyone", fields: &[], ok: (200, "null, or the user with platform role, workspaces and roles, `must_change_password`"), errors: &[], public: true },
    Endpoint { path: "auth/change_password", summary: "Change one's own password", who: "signed in", fields: &[("current_password", Text, true, ""), ("new_password", Text, true, "at least 12 characters, not a common password")], ok: (200, "null; the session id is renewed and other sessions end"), errors: &[], public: false },
    Endpoint { path: "auth/identities", summary: "One's sign-in methods", who: "signed in", fields: &[], ok: (200, "linked identities, whether a password is set, whether Google is configured"), errors: &[], public: false },
    Endpoint { path: "auth/unlink", summary: "Unlink an identity", who: "signed in", fields: &[("issuer", Text, true, ""), ("subject", Text, true, "")], ok: (200, "null"), errors: &[(409, "`last_sign_in_method`: the only way in")], public: false },
    Endpoint { path: "auth/set_name", summary: "Change one's display name", who: "signed in", fields: &[("name", Text, true, "one line, at most 200 characters")], ok: (200, "the name as stored"), errors: &[], public: false },
    Endpoint { path: "auth/sessions", summary: "One's live sessions", who: "signed in", fields: &[], ok: (200, "id, browser, ip, signed_in_at, last_seen_at, method, current"), errors: &[], public: false },
    Endpoint { path: "auth/end_session", summary: "End one of one's sessions", who: "signed in", fields: &[("session_id", Text, true, "an `id` from `auth/sessions`")], ok: (200, "null"), errors: &[(404, "not one of the caller's sessions")], public: false },
    Endpoint { path: "auth/end_other_sessions", summary: "End every other session of one's own", who: "signed in", fields: &[], ok: (200, "how many ended"), errors: &[], public: false },
    Endpoint { path: "members/list", summary: "A page of a workspace's members and invitations", who: "members of the workspace, its admins, platform operators", fields: &[MEMBERS_FILTER[0], MEMBERS_FILTER[1], MEMBERS_FILTER[2], MEMBERS_FILTER[3], MEMBERS_FILTER[4], ("after", Text, false, "the `next` of the previous page, in the same order")], ok: (200, "{members, next, member_count, invite_count, counts: {active, deactivated, pending, expired}}"), errors: &[(404, "no such workspace")], public: false },
    Endpoint { path: "members/bulk", summary: "Resend, Cancel, Change role or Remove over many rows, a result per row", who: "as the single action: workspace admins (invitations: those who may manage them)", fields: &[WS, ("action", Text, true, "resend, cancel, set_role or remove"), ("role", Text, false, "set_role: workspace_admin, workspace_editor, workspace_viewer"), ("rows", Text, false, "user ids (set_role, remove) or emails (resend, cancel), comma- or line-separated; at most 1,000"), ("all_matching", Boolean, false, "every row members/list shows for `q`, `status` and `filter_role` instead of `rows`"), MEMBERS_FILTER[1], MEMBERS_FILTER[2], ("filter_role", Text, false, "with all_matching: the list's role filter"), ("dry_run", Boolean, false, "answer what would happen, change nothing")], ok: (200, "{dry_run, rows: [{row, email, result: done|skipped, code, reason}], done, skipped}"), errors: &[(404, "no such workspace")], public: false },
    Endpoint { path: "members/set_role", summary: "Change a member's workspace role", who: "workspace admins", fields: &[WS, USER, ("role", Text, true, "workspace_admin, workspace_editor, workspace_viewer")], ok: (200, "null"), errors: &[(404, "not a member"), (409, "`last_admin`")], public: false },
    Endpoint { path: "members/remove", summary: "Remove a member from a workspace", who: "workspace admins", fields: &[WS, USER], ok: (200, "null"), errors: &[(404, "not a member"), (409, "`last_admin`")], public: false },
    Endpoint { path: "admin/users", summary: "Add User: an account with a password", who: "workspace admins", fields: &[("email", Text, true, ""), ("name", Text, false, ""), ("password", Text, false, "empty: 20 generated characters, answered once"), WS, ("role", Text, true, "a workspace role"), ("must_change_password", Boolean, false, "default true")], ok: (201, "the user (+ `generated_password` once)"), errors: &[(404, "no such workspace"), (409, "`email_taken`")], public: false },
    Endpoint { path: "users/deactivate", summary: "Deactivate an account", who: "admins who manage the account", fields: &[USER], ok: (200, "{user_id, email, deactivated}"), errors: &[(404, "no such account"), (409, "`own_account`, `last_platform_admin`")], public: false },
    Endpoint { path: "users/reactivate", summary: "Reactivate an account", who: "admins who manage the account", fields: &[USER], ok: (200, "{user_id, email, deactivated}"), errors: &[(404, "no such account"), (409, "`own_account`")], public: false },
    Endpoint { path: "users/reset_password", summary: "Give an account a temporary password", who: "admins who manage the account", fields: &[USER, ("password", Text, false, "empty: 20 generated characters, answered once")], ok: (200, "{user_id, email, generated_password?, added_password_sign_in, expires_at}"), errors: &[(404, "no such account"), (409, "`own_account`, `service_account`")], public: false },
    Endpoint { path: "users/erase", summary: "Erase an account and every personal trace of it", who: "platform admins", fields: &[USER], ok: (200, "null"), errors: &[(404, "no such account"), (409, "`own_account`, `last_platform_admin`")], public: false },
    Endpoint { path: "users/list", summary: "A page of accounts", who: "platform admins and operators (everyone); organization owners and admins (their organizations' people)", fields: &[("q", Text, false, "the start of an email or a name"), ("status", Text, false, "all, active, deactivated, must_change_password, temporary_password_expired"), ("after", Text, false, "the `next` of the previous page")], ok: (200, "{people, next, everyone}"), errors: &[], public: false },
    Endpoint { path: "users/get", summary: "A person's page", who: "the person; whoever administers a workspace or organization of theirs; platform admins and operators", fields: &[USER], ok: (200, "account facts, visible memberships and organization roles, recent audit entries, may_manage, may_erase"), errors: &[(404, "no such person, or not one the caller may see")], public: false },
    Endpoint { path: "invites/create", summary: "Invite one or many emails", who: "workspace admins (organization role: its owners and admins; platform role: platform admins)", fields: &[WS, ("emails", Text, true, "commas, spaces or new lines; at most 100"), ("role", Text, true, "a workspace role"), ("workspace_ids", Text, false, "more workspaces, comma-separated"), ("platform_role", Text, false, "empty keeps an offer; platform_admin, platform_operator; none takes it back"), ("org_role", Text, false, "also granted in each workspace's organization")], ok: (200, "one result per email"), errors: &[(404, "no such workspace")], public: false },
    Endpoint { path: "invites/resend", summary: "Send an invitation again with a new link", who: "workspace admins", fields: &[WS, EMAIL], ok: (200, "the new expiry"), errors: &[(404, "no such invitation")], public: false },
    Endpoint { path: "invites/cancel", summary: "Cancel an invitation to a workspace", who: "workspace admins", fields: &[WS, EMAIL], ok: (200, "null"), errors: &[(404, "no such invitation")], public: false },
    Endpoint { path: "invites/link", summary: "A fresh invitation link to hand over", who: "workspace admins", fields: &[WS, EMAIL], ok: (200, "the link (earlier links stop working)"), errors: &[(404, "no such invitation")], public: false },
    Endpoint { path: "invites/lookup", summary: "What an invitation link is for", who: "anyone holding the link", fields: &[("token", Text, true, "from the link")], ok: (200, "email, workspaces, inviter, expiry, expired, has_account"), errors: &[(404, "unknown, replaced or cancelled link")], public: true },
    Endpoint { path: "invites/accept", summary: "Accept an invitation while signed in", who: "the account with the invitation's email", fields: &[("token", Text, false, "empty: the invitation to the caller's proven email")], ok: (200, "the workspaces joined, and how many rows were skipped"), errors: &[(404, "already answered"), (409, "`invitation_expired`")], public: false },
    Endpoint { path: "invites/decline", summary: "Decline an invitation", who: "the account with the invitation's email", fields: &[("token", Text, false, "")], ok: (200, "null"), errors: &[(404, "already answered")], public: false },
    Endpoint { path: "invites/mine", summary: "The invitation addressed to one's proven email", who: "signed in", fields: &[], ok: (200, "the invitation, or null"), errors: &[], public: false },
    Endpoint { path: "orgs/list", summary: "Organizations the caller may see", who: "signed in", fields: &[], ok: (200, "[{id, name}]"), errors: &[], public: false },
    Endpoint { path: "orgs/create", summary: "Create an organization", who: "platform admins", fields: &[("name", Text, true, "1 to 100 characters")], ok: (200, "{id, name}"), errors: &[], public: false },
    Endpoint { path: "orgs/members", summary: "An organization's workspaces and people", who: "its owners and admins, platform admins and operators", fields: &[ORG], ok: (200, "{id, name, workspaces, people, people_limit}"), errors: &[(404, "no such organization")], public: false },
    Endpoint { path: "orgs/set_role", summary: "Give someone an organization role", who: "owners (any role), admins (org_admin, org_member), platform admins", fields: &[ORG, USER, ("role", Text, true, "org_owner, org_admin, org_member")], ok: (200, "null"), errors: &[(404, "no such organization or person"), (409, "`last_owner`, `not_in_organization`")], public: false },
    Endpoint { path: "orgs/remove", summary: "Take away someone's organization role", who: "as orgs/set_role", fields: &[ORG, USER], ok: (200, "null"), errors: &[(404, "no such organization, or no role"), (409, "`last_owner`")], public: false },
    Endpoint { path: "workspaces/create", summary: "Create a workspace", who: "platform admins, the organization's owners and admins", fields: &[ORG, ("name", Text, true, "1 to 100 characters")], ok: (200, "the workspace"), errors: &[(404, "no such organization")], public: false },
    Endpoint { path: "workspaces/rename", summary: "Rename a workspace", who: "platform admins, the organization's owners and admins", fields: &[WS, ("name", Text, true, "1 to 100 characters")], ok: (200, "null"), errors: &[(404, "no such workspace")], public: false },
    Endpoint { path: "audit/list", summary: "A page of the audit log, newest first", who: "admins (their workspaces), platform admins and operators (everything)", fields: &[("before", Integer, false, "the `next_before` of the previous page"), AUDIT_FILTER[0], AUDIT_FILTER[1], AUDIT_FILTER[2], AUDIT_FILTER[3], AUDIT_FILTER[4], AUDIT_FILTER[5], AUDIT_FILTER[6]], ok: (200, "{entries, next_before}"), errors: &[], public: false },
    Endpoint { path: "tokens/create", summary: "Create an API token", who: "signed in with a browser (personal); the organization's owners and admins (organization)", fields: &[("name", Text, true, "1 to 100 characters"), ("scopes", Text, true, "comma-separated: members:read, members:write, invites:write, audit:read, scim"), ("expires_in_days", Text, false, "1 to 365, default 90"), ("org_id", Text, false, "an organization token")], ok: (201, "{token, secret}: the secret only in this answer"), errors: &[(404, "no such organization")], public: false },
    Endpoint { path: "tokens/list", summary: "Live API tokens", who: "as tokens/create", fields: &[("org_id", Text, false, "the organization's tokens instead of one's own")], ok: (200, "[token]"), errors: &[(404, "no such organization")], public: false },
    Endpoint { path: "tokens/revoke", summary: "Revoke an API token", who: "its owner; the organization's owners and admins", fields: &[("token_id", Text, true, "")], ok: (200, "null"), errors: &[(404, "not a token the caller may revoke")], public: false },
    Endpoint { path: "webhooks/create", summary: "Add a webhook endpoint", who: "the organization's owners and admins, platform admins (at a browser)", fields: &[ORG, ("url", Text, true, "https (http only for 127.0.0.1 or localhost)"), ("events", Text, true, "comma-separated: member.added, member.role_changed, member.removed, invitation.created, invitation.accepted, invitation.cancelled, user.deactivated, user.reactivated")], ok: (201, "{webhook, secret}: the signing secret only in this answer"), errors: &[(404, "no such organization")], public: false },
    Endpoint { path: "webhooks/list", summary: "An organization's webhook endpoints and recent deliveries", who: "as webhooks/create", fields: &[ORG], ok: (200, "[webhook with its 20 latest deliveries: state, attempts, last_status, last_error]"), errors: &[(404, "no such organization")], public: false },
    Endpoint { path: "webhooks/delete", summary: "Remove a webhook endpoint", who: "as webhooks/create", fields: &[("webhook_id", Text, true, "")], ok: (200, "null"), errors: &[(404, "no such webhook")], public: false },
    Endpoint { path: "webhooks/test", summary: "Send a ping to an endpoint", who: "as webhooks/create", fields: &[("webhook_id", Text, true, "")], ok: (200, "null; the ping is queued"), errors: &[(404, "no such webhook")], public: false },
    Endpoint { path: "webhooks/redeliver", summary: "Send a delivery again", who: "as webhooks/create", fields: &[("webhook_id", Text, true, ""), ("delivery_id", Text, true, "")], ok: (200, "null; queued with the same delivery id"), errors: &[(404, "no such delivery of this webhook")], public: false },
    Endpoint { path: "scim/settings", summary: "An organization's SCIM provisioning: base URL, recent activity, group mappings", who: "the organization's owners and admins, platform admins (at a browser)", fields: &[ORG], ok: (200, "{base_url, mappings, groups, workspaces, last_request_at, last_request, last_status, errors_last_day, last_error_at, last_error}"), errors: &[(404, "no such organization")], public: false },
    Endpoint { path: "scim/map", summary: "Map a SCIM group to a workspace role", who: "as scim/settings", fields: &[ORG, ("group", Text, true, "a SCIM group's display name (without case) or external id"), ("workspace_id", Text, true, "a workspace of the organization"), ("role", Text, true, "workspace_admin, workspace_editor or workspace_viewer")], ok: (201, "the mapping; applied at once to the group's members"), errors: &[(404, "no such organization or workspace"), (409, "already_mapped")], public: false },
    Endpoint { path: "scim/unmap", summary: "Remove a SCIM group mapping", who: "as scim/settings", fields: &[("mapping_id", Text, true, "")], ok: (200, "null; what it gave is taken back at once"), errors: &[(404, "no such mapping")], public: false },
];

fn field_schema(kind: Kind, description: &str) -> Value {
    let ty = match kind {
        Text => "string",
        Integer => "integer",
        Boolean => "boolean",
    };
    let mut schema = json!({ "type": ty });
    if !description.is_empty() {
        schema["description"] = json!(description);
    }
    schema
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
    })
}

/// The whole document.
pub fn document(server_url: &str) -> Value {
    let mut paths = Map::new();
    for e in ENDPOINTS {
        let path = format!("/api/{}", e.path);
        let mut properties = Map::new();
        let mut required = Vec::new();
        for (name, kind, is_required, description) in e.fields {
            properties.insert(name.to_string(), field_schema(*kind, description));
            if *is_required {
                required.push(*name);
            }
        }
        let mut responses = Map::new();
        responses.insert(
            e.ok.0.to_string(),
            json!({ "description": e.ok.1, "content": { "application/json": { "schema": {} } } }),
        );
        responses.insert(
            "400".into(),
            error_response("invalid input (`invalid`, with `fields`)"),
        );
        if !e.public {
            responses.insert(
                "401".into(),
                error_response(
                    "not signed in (`unauthenticated`), or an invalid API token (`invalid_token`)",
                ),
            );
        }
        responses.insert("403".into(), error_response("not allowed (`forbidden`, `password_change_required`, `insufficient_scope`, `not_for_tokens`, or a cross-site request)"));
        responses.insert("429".into(), error_response("throttled; see `Retry-After`"));
        for (status, description) in e.errors {
            responses.insert(status.to_string(), error_response(description));
        }
        let scope = required_scope(&path);
        let mut security = vec![json!({ "cookieAuth": [] })];
        if let Some(scope) = scope {
            security.push(json!({ "bearerAuth": [scope.as_str()] }));
        }
        if e.public {
            security.push(json!({}));
        }
        let mut operation = json!({
            "operationId": e.path.replace('/', "_"),
            "summary": e.summary,
            "description": format!("Who: {}.", e.who),
            "tags": [e.path.split('/').next().unwrap_or("api")],
            "requestBody": {
                "required": true,
                "content": { "application/x-www-form-urlencoded": { "schema": {
                    "type": "object",
                    "properties": properties,
                    "required": required,
                    "additionalProperties": false,
                } } },
            },
            "responses": responses,
            "security": security,
        });
        operation["x-roster-token-scope"] = match scope {
            Some(s) => json!(s.as_str()),
            None => Value::Null,
        };
        paths.insert(path, json!({ "post": operation }));
    }
    for e in EXPORTS {
        let path = format!("/api/{}", e.path);
        let parameters: Vec<Value> = e
            .fields
            .iter()
            .map(|(name, kind, required, description)| {
                json!({ "name": name, "in": "query", "required": required, "schema": field_schema(*kind, description) })
            })
            .collect();
        let scope = required_scope(&path);
        let mut security = vec![json!({ "cookieAuth": [] })];
        if let Some(scope) = scope {
            security.push(json!({ "bearerAuth": [scope.as_str()] }));
        }
        let operation = json!({
            "operationId": e.path.replace(['/', '.'], "_"),
            "summary": e.summary,
            "description": format!("Who: {}. Streamed: a failure after the first bytes cuts the file short.", e.who),
            "tags": [e.path.split('/').next().unwrap_or("api")],
            "parameters": parameters,
            "responses": {
                "200": { "description": "the file (`Content-Disposition: attachment`)", "content": { e.content_type: { "schema": { "type": "string" } } } },
                "400": error_response("invalid filter (`invalid`, with `fields`)"),
                "401": error_response("not signed in (`unauthenticated`), or an invalid API token (`invalid_token`)"),
                "403": error_response("not allowed (`forbidden`, `password_change_required`, `insufficient_scope`)"),
                "429": error_response("throttled; see `Retry-After`"),
            },
            "security": security,
            "x-roster-token-scope": scope.map(|s| s.as_str()),
        });
        paths.insert(path, json!({ "get": operation }));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Roster",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every endpoint takes a form-encoded POST body and answers JSON. Authenticate with the session cookie of a browser sign-in, or with `Authorization: Bearer roster_pat_…` / `roster_org_…` (an API token; `x-roster-token-scope` names the scope an endpoint needs, null when tokens may not call it).",
        },
        "servers": [{ "url": server_url }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "cookieAuth": { "type": "apiKey", "in": "cookie", "name": "roster_session", "description": "`__Host-roster_session` over https" },
                "bearerAuth": { "type": "http", "scheme": "bearer", "description": "An API token (`roster_pat_…`, `roster_org_…`)" },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "code"],
                    "properties": {
                        "error": { "type": "string", "description": "for people" },
                        "code": { "type": "string", "description": "for programs" },
                        "fields": { "type": "object", "additionalProperties": { "type": "string" } },
                    },
                },
            },
        },
    })
}
