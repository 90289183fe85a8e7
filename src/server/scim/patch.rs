//! SCIM PATCH (RFC 7644 §3.5.2) as Okta and Microsoft Entra ID send it: `add`, `replace` and
//! `remove` in any case, with or without a `path`, value paths such as
//! `emails[type eq "work"].value` and `members[value eq "…"]`, and Entra's string booleans.
//! A user is patched as its JSON and then read again by `parse_user`, so a PATCH is held to
//! exactly the rules of a PUT.

use super::resources::{attribute, member_ids};
use super::ScimError;
use crate::server::db::scim::{GroupFields, MembersChange};
use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Replace,
    Remove,
}

#[derive(Debug)]
pub struct Operation {
    pub op: Op,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

fn invalid_path(detail: impl Into<String>) -> ScimError {
    ScimError::bad(Some("invalidPath"), detail)
}

/// Reads a PatchOp body.
pub fn operations(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let obj = body.as_object().ok_or_else(|| {
        ScimError::bad(Some("invalidSyntax"), "the body must be a PatchOp object")
    })?;
    let list = attribute(obj, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ScimError::bad(
                Some("invalidSyntax"),
                "a PatchOp needs a list of Operations",
            )
        })?;
    list.iter()
        .map(|o| {
            let o = o.as_object().ok_or_else(|| {
                ScimError::bad(Some("invalidSyntax"), "each operation is an object")
            })?;
            let op = match attribute(o, "op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("add") => Op::Add,
                Some("replace") => Op::Replace,
                Some("remove") => Op::Remove,
                _ => {
                    return Err(ScimError::bad(
                        Some("invalidSyntax"),
                        "op must be add, replace or remove",
                    ))
                }
            };
            let path = match attribute(o, "path").and_then(Value::as_str).map(str::trim) {
                None | Some("") => None,
                Some(p) => Some(
                    p.parse::<PatchPath>()
                        .map_err(|e| invalid_path(format!("path `{p}`: {e}")))?,
                ),
            };
            let value = attribute(o, "value").cloned();
            if op != Op::Remove && value.is_none() {
                return Err(ScimError::bad(
                    Some("invalidValue"),
                    "add and replace need a value",
                ));
            }
            if op == Op::Remove && path.is_none() {
                return Err(ScimError::bad(Some("noTarget"), "remove needs a path"));
            }
            Ok(Operation { op, path, value })
        })
        .collect()
}

/// The key of `obj` named `name` without case, or `name` itself for a new one.
fn key_of(obj: &Map<String, Value>, name: &str) -> String {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

/// Does one element of a multi-valued attribute match a value filter?
fn matches(element: &Value, f: &ValFilter) -> bool {
    let Some(obj) = element.as_object() else {
        return false;
    };
    match f {
        ValFilter::Attr(AttrExp::Present(p)) => attribute(obj, &p.name).is_some(),
        ValFilter::Attr(AttrExp::Comparison(p, op, value)) => {
            let Some(actual) = attribute(obj, &p.name) else {
                return *op == CompareOp::Ne;
            };
            let expected = value;
            let equal = match (actual, expected) {
                (Value::String(a), CompValue::Str(b)) => a.eq_ignore_ascii_case(b),
                (Value::Bool(a), CompValue::True) => *a,
                (Value::Bool(a), CompValue::False) => !*a,
                (Value::String(a), CompValue::True) => a.eq_ignore_ascii_case("true"),
                (Value::String(a), CompValue::False) => a.eq_ignore_ascii_case("false"),
                _ => false,
            };
            match op {
                CompareOp::Eq => equal,
                CompareOp::Ne => !equal,
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew => match (actual, expected) {
                    (Value::String(a), CompValue::Str(b)) => {
                        let (a, b) = (a.to_lowercase(), b.to_lowercase());
                        match op {
                            CompareOp::Co => a.contains(&b),
                            CompareOp::Sw => a.starts_with(&b),
                            _ => a.ends_with(&b),
                        }
                    }
                    _ => false,
                },
                _ => false,
            }
        }
        ValFilter::Not(inner) => !matches(element, inner),
        ValFilter::And(a, b) => matches(element, a) && matches(element, b),
        ValFilter::Or(a, b) => matches(element, a) || matches(element, b),
    }
}

/// The element a value path creates when nothing matches it (`emails[type eq "work"].value`
/// on a user without a work email): the filter's equalities, as Entra expects.
fn element_from(f: &ValFilter) -> Option<Map<String, Value>> {
    match f {
        ValFilter::Attr(AttrExp::Comparison(p, CompareOp::Eq, CompValue::Str(v))) => {
            let mut m = Map::new();
            m.insert(p.name.clone(), Value::String(v.clone()));
            Some(m)
        }
        ValFilter::And(a, b) => {
            let mut m = element_from(a)?;
            m.extend(element_from(b)?);
            Some(m)
        }
        _ => None,
    }
}

/// Sets (`Add`, `Replace`) or removes attribute `path` of `obj`.
fn apply_attr(
    obj: &mut Map<String, Value>,
    path: &AttrPath,
    op: Op,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let key = key_of(obj, &path.name);
    match (&path.sub_attr, op) {
        (None, Op::Remove) => {
            obj.remove(&key);
        }
        (None, _) => {
            let value = value.expect("checked in operations");
            match (obj.get_mut(&key), value, op) {
                // `add` to a multi-valued attribute appends.
                (Some(Value::Array(list)), Value::Array(more), Op::Add) => list.extend(more),
                (Some(Value::Object(m)), Value::Object(more), Op::Add) => m.extend(more),
                (_, value, _) => {
                    obj.insert(key, value);
                }
            }
        }
        (Some(sub), _) => {
            let parent = obj.entry(key).or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(parent) = parent else {
                return Err(invalid_path(format!("`{path}` is not a complex attribute")));
            };
            let sub_key = key_of(parent, sub);
            match op {
                Op::Remove => {
                    parent.remove(&sub_key);
                }
                _ => {
                    parent.insert(sub_key, value.expect("checked in operations"));
                }
            }
        }
    }
    Ok(())
}

fn apply_one(resource: &mut Map<String, Value>, o: Operation) -> Result<(), ScimError> {
    match o.path {
        None => {
            // No path: the value is an object of attributes (Okta's `{"active": false}`;
            // Entra's `{"name.givenName": "…"}` keys with a dot).
            let Some(Value::Object(attrs)) = o.value else {
                return Err(ScimError::bad(
                    Some("invalidValue"),
                    "without a path, the value is an object of attributes",
                ));
            };
            for (name, value) in attrs {
                let path: AttrPath = match name.split_once('.') {
                    Some((n, s)) => AttrPath::with_sub_attr(n, s),
                    None => AttrPath::with_name(name),
                };
                apply_attr(resource, &path, o.op, Some(value))?;
            }
            Ok(())
        }
        Some(PatchPath::Attr(path)) => apply_attr(resource, &path, o.op, o.value),
        Some(PatchPath::Value(vp)) => {
            let key = key_of(resource, &vp.attr.name);
            let list = resource
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(list) = list else {
                return Err(invalid_path(format!("`{}` is not multi-valued", vp.attr)));
            };
            let hits: Vec<usize> = (0..list.len())
                .filter(|i| matches(&list[*i], &vp.filter))
                .collect();
            if o.op == Op::Remove {
                match &vp.sub_attr {
                    None => list.retain(|e| !matches(e, &vp.filter)),
                    Some(sub) => {
                        for i in hits {
                            if let Some(m) = list[i].as_object_mut() {
                                let k = key_of(m, sub);
                                m.remove(&k);
                            }
                        }
                    }
                }
                return Ok(());
            }
            let value = o.value.expect("checked in operations");
            if hits.is_empty() {
                let mut element = element_from(&vp.filter).ok_or_else(|| {
                    ScimError::bad(Some("noTarget"), format!("nothing matches `{}`", vp.filter))
                })?;
                match (&vp.sub_attr, value) {
                    (Some(sub), v) => {
                        element.insert(sub.clone(), v);
                    }
                    (None, Value::Object(m)) => element.extend(m),
                    (None, _) => {
                        return Err(ScimError::bad(
                            Some("invalidValue"),
                            "the value of a value path is an object",
                        ))
                    }
                }
                list.push(Value::Object(element));
                return Ok(());
            }
            for i in hits {
                match (&vp.sub_attr, &value) {
                    (Some(sub), v) => {
                        if let Some(m) = list[i].as_object_mut() {
                            let k = key_of(m, sub);
                            m.insert(k, v.clone());
                        }
                    }
                    (None, Value::Object(m)) => {
                        if let Some(e) = list[i].as_object_mut() {
                            e.extend(m.clone());
                        }
                    }
                    (None, _) => {
                        return Err(ScimError::bad(
                            Some("invalidValue"),
                            "the value of a value path is an object",
                        ))
                    }
                }
            }
            Ok(())
        }
    }
}

/// Applies `ops` to a user's JSON. Attributes Roster does not keep are ignored afterwards by
/// `parse_user`, as they are on a PUT.
pub fn apply_to_user(user: &mut Value, ops: Vec<Operation>) -> Result<(), ScimError> {
    let obj = user.as_object_mut().expect("a rendered user is an object");
    for o in ops {
        if let Some(PatchPath::Attr(p)) = &o.path {
            if ["id", "meta", "groups", "schemas"]
                .iter()
                .any(|n| p.name.eq_ignore_ascii_case(n))
            {
                return Err(ScimError::bad(
                    Some("mutability"),
                    format!("`{p}` cannot be changed"),
                ));
            }
        }
        apply_one(obj, o)?;
    }
    Ok(())
}

/// `ids` join the group, in the order the operations come (an add undoes an earlier remove).
fn add_members(change: &mut MembersChange, ids: Vec<String>) {
    change.remove.retain(|r| !ids.contains(r));
    change.add.extend(ids);
}

/// `ids` leave the group (a remove undoes an earlier add).
fn remove_members(change: &mut MembersChange, ids: Vec<String>) {
    change.add.retain(|a| !ids.contains(a));
    if let Some(list) = change.replace.as_mut() {
        list.retain(|m| !ids.contains(m));
    }
    change.remove.extend(ids);
}

/// A group PATCH as Roster applies it: new names (from the current ones) and member changes.
pub fn apply_to_group(
    current: &GroupFields,
    ops: Vec<Operation>,
) -> Result<(Option<GroupFields>, MembersChange), ScimError> {
    let mut fields = current.clone();
    let mut renamed = false;
    let mut change = MembersChange::default();
    let set_name =
        |fields: &mut GroupFields, name: &str, value: &Value| -> Result<bool, ScimError> {
            let text = value.as_str().map(str::trim);
            if name.eq_ignore_ascii_case("displayName") {
                let t = text.filter(|t| !t.is_empty()).ok_or_else(|| {
                    ScimError::invalid_value("displayName must be a non-empty string")
                })?;
                if t.chars().any(char::is_control) || t.chars().count() > 256 {
                    return Err(ScimError::invalid_value(
                        "displayName must be one line of at most 256 characters",
                    ));
                }
                fields.display_name = t.to_string();
            } else if name.eq_ignore_ascii_case("externalId") {
                fields.external_id = text.filter(|t| !t.is_empty()).map(str::to_string);
            } else {
                return Ok(false);
            }
            Ok(true)
        };
    for o in ops {
        match (&o.path, o.op) {
            (None, Op::Remove) => unreachable!("checked in operations"),
            (None, op) => {
                let Some(Value::Object(attrs)) = &o.value else {
                    return Err(ScimError::bad(
                        Some("invalidValue"),
                        "without a path, the value is an object of attributes",
                    ));
                };
                for (name, value) in attrs {
                    if name.eq_ignore_ascii_case("members") {
                        let ids = member_ids(value)?;
                        if op == Op::Replace {
                            change = MembersChange {
                                replace: Some(ids),
                                ..Default::default()
                            };
                        } else {
                            add_members(&mut change, ids);
                        }
                    } else if name.eq_ignore_ascii_case("id")
                        || name.eq_ignore_ascii_case("schemas")
                        || name.eq_ignore_ascii_case("meta")
                    {
                        // Okta repeats the id in a path-less replace; it cannot change.
                    } else {
                        renamed |= set_name(&mut fields, name, value)?;
                    }
                }
            }
            (Some(PatchPath::Attr(p)), op)
                if p.name.eq_ignore_ascii_case("members") && p.sub_attr.is_none() =>
            {
                match op {
                    Op::Add => {
                        add_members(&mut change, member_ids(o.value.as_ref().expect("checked"))?)
                    }
                    Op::Replace => {
                        change = MembersChange {
                            replace: Some(member_ids(o.value.as_ref().expect("checked"))?),
                            ..Default::default()
                        };
                    }
                    // Entra: `remove members` with the members to remove as its value; without
                    // one, every member.
                    Op::Remove => match &o.value {
                        Some(v) => remove_members(&mut change, member_ids(v)?),
                        None => {
                            change = MembersChange {
                                replace: Some(Vec::new()),
                                ..Default::default()
                            }
                        }
                    },
                }
            }
            (Some(PatchPath::Value(vp)), Op::Remove)
                if vp.attr.name.eq_ignore_ascii_case("members") =>
            {
                // `members[value eq "id"]` (Okta) — the one filter that names members.
                match &vp.filter {
                    ValFilter::Attr(AttrExp::Comparison(p, CompareOp::Eq, CompValue::Str(id)))
                        if p.name.eq_ignore_ascii_case("value") =>
                    {
                        remove_members(&mut change, vec![id.clone()]);
                    }
                    other => {
                        return Err(invalid_path(format!(
                            "members can be removed by `members[value eq \"id\"]`, not `{other}`"
                        )))
                    }
                }
            }
            (Some(PatchPath::Attr(p)), Op::Remove)
                if p.sub_attr.is_none() && p.name.eq_ignore_ascii_case("externalId") =>
            {
                renamed |= fields.external_id.take().is_some();
            }
            (Some(PatchPath::Attr(p)), Op::Add | Op::Replace) if p.sub_attr.is_none() => {
                if !set_name(&mut fields, &p.name, o.value.as_ref().expect("checked"))? {
                    return Err(invalid_path(format!(
                        "a group has no attribute `{p}` Roster keeps"
                    )));
                }
                renamed = true;
            }
            (Some(other), _) => {
                return Err(invalid_path(format!(
                    "`{other}` cannot be patched on a group"
                )))
            }
        }
    }
    Ok((renamed.then_some(fields), change))
}

#[cfg(test)]
mod tests {
    use super::super::resources::parse_user;
    use super::*;
    use serde_json::json;

    fn ops(list: Value) -> Vec<Operation> {
        operations(&json!({"schemas": [super::super::resources::PATCH_SCHEMA], "Operations": list}))
            .unwrap()
    }

    fn user() -> Value {
        json!({"userName": "ada@example.com", "active": true,
               "emails": [{"value": "ada@example.com", "primary": true, "type": "work"}],
               "name": {"givenName": "Ada"}})
    }

    #[test]
    fn okta_deactivates_with_a_pathless_replace() {
        let mut u = user();
        apply_to_user(
            &mut u,
            ops(json!([{"op": "replace", "value": {"active": false}}])),
        )
        .unwrap();
        assert!(!parse_user(&u).unwrap().active);
    }

    #[test]
    fn entra_sends_capitalised_ops_string_booleans_and_value_paths() {
        let mut u = user();
        apply_to_user(&mut u, ops(json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ada.l@example.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Lovelace"},
            {"op": "Add", "value": {"displayName": "Ada L", "name.givenName": "Augusta"}},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"}
        ]))).unwrap();
        let f = parse_user(&u).unwrap();
        assert!(!f.active);
        assert_eq!(f.email, "ada.l@example.com");
        assert_eq!(f.family_name.as_deref(), Some("Lovelace"));
        assert_eq!(f.given_name.as_deref(), Some("Augusta"));
        assert_eq!(f.display_name.as_deref(), Some("Ada L"));
        // An email of a type the user has not: created from the filter.
        let mut u = user();
        apply_to_user(&mut u, ops(json!([{"op": "add", "path": "emails[type eq \"home\"].value", "value": "a@home.example"}]))).unwrap();
        assert_eq!(u["emails"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn what_cannot_be_patched_is_refused() {
        let mut u = user();
        assert!(apply_to_user(
            &mut u,
            ops(json!([{"op": "replace", "path": "id", "value": "x"}]))
        )
        .is_err());
        assert!(operations(&json!({"Operations": [{"op": "move", "path": "a"}]})).is_err());
        assert!(operations(&json!({"Operations": [{"op": "remove"}]})).is_err());
        assert!(
            operations(&json!({"Operations": [{"op": "add", "path": "emails[type eq"}]})).is_err()
        );
        assert!(operations(&json!({"nothing": []})).is_err());
    }

    #[test]
    fn group_membership_as_okta_and_entra_change_it() {
        let g = GroupFields {
            display_name: "Eng".into(),
            external_id: None,
        };
        let (fields, change) = apply_to_group(&g, ops(json!([
            {"op": "add", "path": "members", "value": [{"value": "u1", "display": "a"}, {"value": "u2"}]},
            {"op": "remove", "path": "members[value eq \"u3\"]"},
            {"op": "Remove", "path": "members", "value": [{"value": "u4"}]}
        ]))).unwrap();
        assert_eq!(fields, None, "names unchanged");
        assert_eq!(change.add, vec!["u1", "u2"]);
        assert_eq!(change.remove, vec!["u3", "u4"]);
        let (fields, change) = apply_to_group(
            &g,
            ops(json!([
                {"op": "replace", "value": {"id": "g1", "displayName": "Engineering"}},
                {"op": "replace", "path": "members", "value": [{"value": "u9"}]}
            ])),
        )
        .unwrap();
        assert_eq!(fields.unwrap().display_name, "Engineering");
        assert_eq!(change.replace, Some(vec!["u9".to_string()]));
        assert!(apply_to_group(
            &g,
            ops(json!([{"op": "remove", "path": "members[display eq \"x\"]"}]))
        )
        .is_err());
    }
}
