//! SCIM filters (RFC 7644 §3.4.2.2), parsed by the `scim_v2` crate, translated into SQL over the
//! columns Roster keeps, so that a lookup by `userName` or `externalId` is an index lookup
//! inside one organization, never a scan of every record. Attributes Roster does not keep, and
//! operators that make no sense for them, are an `invalidFilter` error, never ignored.

use crate::server::db::scim::{Bind, Condition};
use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, ValFilter};

/// The resource a filter is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    User,
    Group,
}

/// A column a filter may name, and how its values compare.
#[derive(Debug, Clone, Copy)]
enum Column {
    /// Compared as given (`caseExact`).
    Exact(&'static str),
    /// Compared without case: the column holds the lower-cased value.
    Folded(&'static str),
    Boolean(&'static str),
    /// `members.value`: a group whose members include the user.
    Member,
}

fn column(resource: Resource, path: &AttrPath) -> Result<Column, String> {
    let name = path.name.to_ascii_lowercase();
    let sub = path.sub_attr.as_deref().map(str::to_ascii_lowercase);
    use Column::*;
    Ok(match (resource, name.as_str(), sub.as_deref()) {
        (_, "id", None) => Exact("id"),
        (_, "externalid", None) => Exact("external_id"),
        (Resource::User, "username", None) => Folded("user_name_key"),
        (Resource::User, "emails", None | Some("value")) => Folded("email"),
        (Resource::User, "displayname", None) => Folded("lower(display_name)"),
        (Resource::User, "name", Some("givenname")) => Folded("lower(given_name)"),
        (Resource::User, "name", Some("familyname")) => Folded("lower(family_name)"),
        (Resource::User, "active", None) => Boolean("active"),
        (Resource::Group, "displayname", None) => Folded("display_name_key"),
        (Resource::Group, "members", None | Some("value")) => Member,
        _ => return Err(format!("filtering on `{path}` is not supported")),
    })
}

/// `co`, `sw` and `ew` as a LIKE pattern, with the pattern's own characters escaped.
fn like(value: &str, op: &CompareOp) -> String {
    let escaped = value
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    match op {
        CompareOp::Co => format!("%{escaped}%"),
        CompareOp::Sw => format!("{escaped}%"),
        _ => format!("%{escaped}"),
    }
}

struct Builder {
    resource: Resource,
    binds: Vec<Bind>,
    /// The number of the first placeholder (`$1` is the organization).
    first: usize,
}

impl Builder {
    fn placeholder(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        format!("${}", self.first + self.binds.len() - 1)
    }

    fn attr(&mut self, exp: &AttrExp) -> Result<String, String> {
        match exp {
            AttrExp::Present(path) => Ok(match column(self.resource, path)? {
                Column::Exact(c) | Column::Folded(c) => format!("({c} IS NOT NULL AND {c} <> '')"),
                Column::Boolean(_) => "TRUE".into(),
                Column::Member => "EXISTS (SELECT 1 FROM scim_group_members pm WHERE pm.group_id = scim_groups.id)".into(),
            }),
            AttrExp::Comparison(path, op, value) => self.comparison(path, op, value),
        }
    }

    fn comparison(
        &mut self,
        path: &AttrPath,
        op: &CompareOp,
        value: &CompValue,
    ) -> Result<String, String> {
        let col = column(self.resource, path)?;
        if let Column::Boolean(c) = col {
            let v = match value {
                CompValue::True => true,
                CompValue::False => false,
                CompValue::Str(s) if s.eq_ignore_ascii_case("true") => true,
                CompValue::Str(s) if s.eq_ignore_ascii_case("false") => false,
                _ => return Err(format!("`{path}` compares with true or false")),
            };
            let p = self.placeholder(Bind::Bool(v));
            return match op {
                CompareOp::Eq => Ok(format!("{c} = {p}")),
                CompareOp::Ne => Ok(format!("{c} <> {p}")),
                _ => Err(format!("`{path}` supports eq and ne")),
            };
        }
        let text = match value {
            CompValue::Str(s) => s.clone(),
            CompValue::Null if matches!(op, CompareOp::Eq | CompareOp::Ne) => {
                return match col {
                    Column::Exact(c) | Column::Folded(c) => Ok(if *op == CompareOp::Eq {
                        format!("({c} IS NULL OR {c} = '')")
                    } else {
                        format!("({c} IS NOT NULL AND {c} <> '')")
                    }),
                    _ => Err(format!("`{path}` cannot be null")),
                };
            }
            other => return Err(format!("`{path}` compares with a string, not {other}")),
        };
        if let Column::Member = col {
            if *op != CompareOp::Eq {
                return Err("members supports eq".into());
            }
            let p = self.placeholder(Bind::Text(text));
            return Ok(format!(
                "EXISTS (SELECT 1 FROM scim_group_members pm WHERE pm.group_id = scim_groups.id AND pm.scim_user_id = {p})"
            ));
        }
        let (c, text) = match col {
            Column::Folded(c) => (c, text.to_lowercase()),
            Column::Exact(c) => (c, text),
            _ => unreachable!("handled above"),
        };
        Ok(match op {
            CompareOp::Eq => format!("{c} = {}", self.placeholder(Bind::Text(text))),
            CompareOp::Ne => format!(
                "({c} IS NULL OR {c} <> {})",
                self.placeholder(Bind::Text(text))
            ),
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
                let pattern = like(&text, op);
                format!(
                    "{c} LIKE {} ESCAPE '\\'",
                    self.placeholder(Bind::Text(pattern))
                )
            }
            CompareOp::Gt => format!("{c} > {}", self.placeholder(Bind::Text(text))),
            CompareOp::Ge => format!("{c} >= {}", self.placeholder(Bind::Text(text))),
            CompareOp::Lt => format!("{c} < {}", self.placeholder(Bind::Text(text))),
            CompareOp::Le => format!("{c} <= {}", self.placeholder(Bind::Text(text))),
        })
    }

    fn filter(&mut self, f: &Filter) -> Result<String, String> {
        Ok(match f {
            Filter::Attr(exp) => self.attr(exp)?,
            Filter::Not(inner) => format!("NOT ({})", self.filter(inner)?),
            Filter::And(a, b) => format!("({}) AND ({})", self.filter(a)?, self.filter(b)?),
            Filter::Or(a, b) => format!("({}) OR ({})", self.filter(a)?, self.filter(b)?),
            // `emails[value eq "…"]`, `members[value eq "…"]`: the sub-attributes of the one
            // multi-valued attribute Roster keeps per resource.
            Filter::ValuePath(vp) => {
                let parent = vp.attr.clone();
                self.val_filter(&parent, &vp.filter)?
            }
        })
    }

    fn val_filter(&mut self, parent: &AttrPath, f: &ValFilter) -> Result<String, String> {
        let scoped = |path: &AttrPath| AttrPath {
            uri: parent.uri.clone(),
            name: parent.name.clone(),
            sub_attr: Some(path.name.clone()),
        };
        Ok(match f {
            ValFilter::Attr(AttrExp::Present(path)) => {
                self.attr(&AttrExp::Present(scoped(path)))?
            }
            ValFilter::Attr(AttrExp::Comparison(path, op, value)) => {
                self.comparison(&scoped(path), op, value)?
            }
            ValFilter::Not(inner) => format!("NOT ({})", self.val_filter(parent, inner)?),
            ValFilter::And(a, b) => format!(
                "({}) AND ({})",
                self.val_filter(parent, a)?,
                self.val_filter(parent, b)?
            ),
            ValFilter::Or(a, b) => format!(
                "({}) OR ({})",
                self.val_filter(parent, a)?,
                self.val_filter(parent, b)?
            ),
        })
    }
}

/// Parses `raw` and translates it for `resource`, with placeholders from `$2`.
pub fn condition(resource: Resource, raw: &str) -> Result<Condition, String> {
    if raw.trim().is_empty() {
        return Ok(Condition::default());
    }
    let parsed: Filter = raw
        .parse()
        .map_err(|e| format!("the filter does not parse: {e}"))?;
    let mut b = Builder {
        resource,
        binds: Vec::new(),
        first: 2,
    };
    let sql = b.filter(&parsed)?;
    Ok(Condition {
        sql,
        binds: b.binds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Bind {
        Bind::Text(s.into())
    }

    #[test]
    fn lookups_the_identity_providers_send_become_index_conditions() {
        let c = condition(Resource::User, r#"userName eq "Ada@Example.com""#).unwrap();
        assert_eq!(c.sql, "user_name_key = $2");
        assert_eq!(
            c.binds,
            vec![text("ada@example.com")],
            "userName compares without case"
        );
        let c = condition(Resource::User, r#"externalId eq "00u1" and active eq true"#).unwrap();
        assert_eq!(c.sql, "(external_id = $2) AND (active = $3)");
        assert_eq!(c.binds, vec![text("00u1"), Bind::Bool(true)]);
        let c = condition(
            Resource::User,
            r#"emails[type eq "work" or value eq "a@b.c"]"#,
        );
        assert!(c.is_err(), "the type of an email is not kept: {c:?}");
        let c = condition(
            Resource::User,
            r#"emails[value eq "A@b.c"] or userName sw "x_%""#,
        )
        .unwrap();
        assert_eq!(c.sql, "(email = $2) OR (user_name_key LIKE $3 ESCAPE '\\')");
        assert_eq!(c.binds, vec![text("a@b.c"), text("x\\_\\%%")]);
        let c = condition(Resource::Group, r#"displayName eq "Engineering""#).unwrap();
        assert_eq!(c.sql, "display_name_key = $2");
        let c = condition(Resource::Group, r#"members[value eq "u1"]"#).unwrap();
        assert!(c.sql.contains("pm.scim_user_id = $2"), "{}", c.sql);
    }

    #[test]
    fn what_roster_cannot_answer_is_refused() {
        assert!(condition(Resource::User, "userName eq").is_err());
        assert!(condition(Resource::User, r#"title eq "x""#).is_err());
        assert!(condition(Resource::User, r#"active gt true"#).is_err());
        assert!(condition(Resource::Group, r#"userName eq "x""#).is_err());
        assert!(condition(Resource::User, "userName eq 3").is_err());
        assert_eq!(
            condition(Resource::User, "  ").unwrap(),
            Condition::default()
        );
    }
}
