//! SCIM resources as JSON (RFC 7643): Roster's records rendered, request bodies read leniently
//! (what Okta and Microsoft Entra ID actually send) but checked strictly, and the discovery
//! documents that describe what this service provider supports.

use super::ScimError;
use crate::domain::scim::scim_bool;
use crate::domain::time::format_rfc3339;
use crate::server::db::scim::{GroupFields, ScimGroupRow, ScimUserRow, UserFields};
use serde_json::{json, Map, Value};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// The longest text Roster keeps from a SCIM attribute.
const MAX_TEXT: usize = 256;

/// `W/"<version>"`, the ETag of a resource version.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// The version an `If-Match` names (`*` and absent: any).
pub fn parse_if_match(raw: Option<&str>) -> Result<Option<i64>, ScimError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty() && *r != "*") else {
        return Ok(None);
    };
    let inner = raw.trim_start_matches("W/").trim_matches('"');
    inner.parse::<i64>().map(Some).map_err(|_| {
        ScimError::bad(
            Some("invalidVers"),
            "If-Match names no version of this resource",
        )
    })
}

fn meta(kind: &str, location: String, created: i64, modified: i64, version: i64) -> Value {
    json!({
        "resourceType": kind,
        "created": format_rfc3339(created),
        "lastModified": format_rfc3339(modified),
        "location": location,
        "version": etag(version),
    })
}

/// A user as SCIM sees it; `groups` are (id, display name).
pub fn user_json(base: &str, u: &ScimUserRow, groups: &[(String, String)]) -> Value {
    let mut v = json!({
        "schemas": [USER_SCHEMA],
        "id": u.id,
        "userName": u.user_name,
        "active": u.active,
        "emails": [{ "value": u.email, "primary": true, "type": "work" }],
        "groups": groups.iter().map(|(id, name)| json!({
            "value": id, "display": name, "$ref": format!("{base}/Groups/{id}"),
        })).collect::<Vec<_>>(),
        "meta": meta("User", format!("{base}/Users/{}", u.id), u.created_at, u.updated_at, u.version),
    });
    let obj = v.as_object_mut().expect("an object");
    if let Some(x) = &u.external_id {
        obj.insert("externalId".into(), json!(x));
    }
    if let Some(x) = &u.display_name {
        obj.insert("displayName".into(), json!(x));
    }
    if u.given_name.is_some() || u.family_name.is_some() {
        let mut name = Map::new();
        if let Some(g) = &u.given_name {
            name.insert("givenName".into(), json!(g));
        }
        if let Some(f) = &u.family_name {
            name.insert("familyName".into(), json!(f));
        }
        let formatted = [u.given_name.as_deref(), u.family_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        name.insert("formatted".into(), json!(formatted));
        obj.insert("name".into(), Value::Object(name));
    }
    v
}

/// A group; `members` are (SCIM user id, userName), `None` when they were excluded.
pub fn group_json(base: &str, g: &ScimGroupRow, members: Option<&[(String, String)]>) -> Value {
    let mut v = json!({
        "schemas": [GROUP_SCHEMA],
        "id": g.id,
        "displayName": g.display_name,
        "meta": meta("Group", format!("{base}/Groups/{}", g.id), g.created_at, g.updated_at, g.version),
    });
    let obj = v.as_object_mut().expect("an object");
    if let Some(x) = &g.external_id {
        obj.insert("externalId".into(), json!(x));
    }
    if let Some(members) = members {
        obj.insert(
            "members".into(),
            members
                .iter()
                .map(|(id, name)| json!({ "value": id, "display": name, "type": "User", "$ref": format!("{base}/Users/{id}") }))
                .collect(),
        );
    }
    v
}

pub fn list_json(total: i64, start_index: i64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// The value of attribute `name` of a JSON object, its name compared without case (SCIM
/// attribute names are case-insensitive).
pub fn attribute<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

/// Optional text: one line, at most [`MAX_TEXT`] characters; empty is absent.
fn text(obj: &Map<String, Value>, name: &str, shown: &str) -> Result<Option<String>, ScimError> {
    match attribute(obj, name) {
        None => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.chars().any(char::is_control) {
                return Err(ScimError::invalid_value(format!(
                    "{shown} must be one line without control characters"
                )));
            }
            if s.chars().count() > MAX_TEXT {
                return Err(ScimError::invalid_value(format!(
                    "{shown} is at most {MAX_TEXT} characters"
                )));
            }
            Ok((!s.is_empty()).then(|| s.to_string()))
        }
        Some(_) => Err(ScimError::invalid_value(format!(
            "{shown} must be a string"
        ))),
    }
}

/// Reads a user from a POST or PUT body (or from a PATCHed user). The email is the primary
/// one of `emails`, else the first, else `userName` when it is an address.
pub fn parse_user(body: &Value) -> Result<UserFields, ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::bad(Some("invalidSyntax"), "the body must be a JSON object"))?;
    let user_name = text(obj, "userName", "userName")?
        .ok_or_else(|| ScimError::invalid_value("userName is required"))?;
    let name = match attribute(obj, "name") {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ScimError::invalid_value("name must be an object")),
    };
    let emails: Vec<&Map<String, Value>> = match attribute(obj, "emails") {
        None => Vec::new(),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_object).collect(),
        Some(_) => return Err(ScimError::invalid_value("emails must be a list")),
    };
    let chosen = emails
        .iter()
        .find(|e| attribute(e, "primary").and_then(scim_bool) == Some(true))
        .or_else(|| emails.first())
        .and_then(|e| attribute(e, "value"))
        .and_then(Value::as_str)
        .unwrap_or(&user_name)
        .to_string();
    let email = crate::domain::Email::parse(&chosen)
        .map_err(|e| {
            ScimError::invalid_value(format!(
                "a user needs an email address Roster can bind: {e}"
            ))
        })?
        .into_string();
    let active = match attribute(obj, "active") {
        None => true,
        Some(v) => {
            scim_bool(v).ok_or_else(|| ScimError::invalid_value("active must be true or false"))?
        }
    };
    Ok(UserFields {
        user_name,
        external_id: text(obj, "externalId", "externalId")?,
        display_name: text(obj, "displayName", "displayName")?,
        given_name: text(&name, "givenName", "name.givenName")?,
        family_name: text(&name, "familyName", "name.familyName")?,
        email,
        active,
    })
}

/// Reads a group's names from a POST or PUT body.
pub fn parse_group(body: &Value) -> Result<(GroupFields, Option<Vec<String>>), ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::bad(Some("invalidSyntax"), "the body must be a JSON object"))?;
    let display_name = text(obj, "displayName", "displayName")?
        .ok_or_else(|| ScimError::invalid_value("displayName is required"))?;
    let members = match attribute(obj, "members") {
        None => None,
        Some(v) => Some(member_ids(v)?),
    };
    Ok((
        GroupFields {
            display_name,
            external_id: text(obj, "externalId", "externalId")?,
        },
        members,
    ))
}

/// The ids of a `members` value: `[{"value": id}, …]` (or one such object).
pub fn member_ids(v: &Value) -> Result<Vec<String>, ScimError> {
    let items: Vec<&Value> = match v {
        Value::Array(list) => list.iter().collect(),
        Value::Object(_) => vec![v],
        _ => {
            return Err(ScimError::invalid_value(
                "members must be a list of {\"value\": id}",
            ))
        }
    };
    items
        .into_iter()
        .map(|m| {
            m.as_object()
                .and_then(|o| attribute(o, "value"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    ScimError::invalid_value("each member needs a \"value\" (a user id)")
                })
        })
        .collect()
}

/// `GET /ServiceProviderConfig`.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://github.com/roster/roster#scim-provisioning",
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": super::MAX_COUNT },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "An organization API token of Roster with the scim scope",
            "primary": true,
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig") },
    })
}

pub fn resource_types(base: &str) -> Vec<Value> {
    [("User", "/Users", USER_SCHEMA), ("Group", "/Groups", GROUP_SCHEMA)]
        .into_iter()
        .map(|(name, endpoint, schema)| {
            json!({
                "schemas": [RESOURCE_TYPE_SCHEMA],
                "id": name,
                "name": name,
                "endpoint": endpoint,
                "description": format!("{name}s of this organization"),
                "schema": schema,
                "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}") },
            })
        })
        .collect()
}

fn attr(
    name: &str,
    ty: &str,
    required: bool,
    mutability: &str,
    uniqueness: &str,
    case_exact: bool,
) -> Value {
    json!({
        "name": name, "type": ty, "multiValued": false, "required": required,
        "caseExact": case_exact, "mutability": mutability, "returned": "default",
        "uniqueness": uniqueness, "description": name,
    })
}

/// The `$ref` sub-attribute of a reference to a resource of `types`.
fn reference(types: &[&str], mutability: &str) -> Value {
    json!({
        "name": "$ref", "type": "reference", "referenceTypes": types, "multiValued": false,
        "required": false, "caseExact": true, "mutability": mutability, "returned": "default",
        "uniqueness": "none", "description": "the URI of the resource",
    })
}

fn multi(name: &str, sub: Vec<Value>, mutability: &str) -> Value {
    json!({
        "name": name, "type": "complex", "multiValued": true, "required": false,
        "mutability": mutability, "returned": "default", "uniqueness": "none",
        "subAttributes": sub, "description": name,
    })
}

/// `GET /Schemas`: the attributes Roster keeps (anything else a provider sends is ignored).
pub fn schemas(base: &str) -> Vec<Value> {
    let user = json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A person of the organization's identity provider",
        "attributes": [
            attr("userName", "string", true, "readWrite", "server", false),
            attr("externalId", "string", false, "readWrite", "none", true),
            attr("displayName", "string", false, "readWrite", "none", false),
            json!({
                "name": "name", "type": "complex", "multiValued": false, "required": false,
                "mutability": "readWrite", "returned": "default", "uniqueness": "none", "description": "name",
                "subAttributes": [
                    attr("givenName", "string", false, "readWrite", "none", false),
                    attr("familyName", "string", false, "readWrite", "none", false),
                    attr("formatted", "string", false, "readOnly", "none", false),
                ],
            }),
            attr("active", "boolean", false, "readWrite", "none", false),
            multi("emails", vec![
                attr("value", "string", false, "readWrite", "none", false),
                attr("type", "string", false, "readWrite", "none", false),
                attr("primary", "boolean", false, "readWrite", "none", false),
            ], "readWrite"),
            multi("groups", vec![
                attr("value", "string", false, "readOnly", "none", true),
                attr("display", "string", false, "readOnly", "none", false),
                reference(&["Group"], "readOnly"),
            ], "readOnly"),
        ],
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{USER_SCHEMA}") },
    });
    let group = json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A group of the organization's identity provider; mapped to workspace roles on the organization's page",
        "attributes": [
            attr("displayName", "string", true, "readWrite", "server", false),
            attr("externalId", "string", false, "readWrite", "none", true),
            multi("members", vec![
                attr("value", "string", false, "immutable", "none", true),
                attr("display", "string", false, "readOnly", "none", false),
                attr("type", "string", false, "immutable", "none", false),
                reference(&["User"], "immutable"),
            ], "readWrite"),
        ],
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{GROUP_SCHEMA}") },
    });
    vec![user, group]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_read_as_okta_and_entra_send_it() {
        let okta = json!({
            "schemas": [USER_SCHEMA], "userName": "Ada@Example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"primary": true, "value": "ada@example.com", "type": "work"}],
            "active": true, "externalId": "00u1"
        });
        let u = parse_user(&okta).unwrap();
        assert_eq!(
            (u.email.as_str(), u.user_name.as_str()),
            ("ada@example.com", "Ada@Example.com")
        );
        assert_eq!(u.given_name.as_deref(), Some("Ada"));
        let entra = json!({
            "UserName": "grace@example.com", "Active": "False", "displayName": "Grace",
            "emails": [{"type": "work", "value": "grace.h@example.com"}]
        });
        let u = parse_user(&entra).unwrap();
        assert_eq!(
            u.email, "grace.h@example.com",
            "the first email when none is primary"
        );
        assert!(!u.active, "Entra's string boolean");
        assert!(parse_user(&json!({"userName": "no-address"})).is_err());
        assert!(parse_user(&json!({"userName": "a@b.c", "displayName": "x\ny"})).is_err());
        assert!(parse_user(&json!({"userName": "a@b.c", "active": "maybe"})).is_err());
        assert!(parse_user(&json!(["not", "an", "object"])).is_err());
    }

    #[test]
    fn versions_are_weak_etags() {
        assert_eq!(etag(3), "W/\"3\"");
        assert_eq!(parse_if_match(Some("W/\"3\"")).unwrap(), Some(3));
        assert_eq!(parse_if_match(Some("*")).unwrap(), None);
        assert_eq!(parse_if_match(None).unwrap(), None);
        assert!(parse_if_match(Some("\"abc\"")).is_err());
    }
}
