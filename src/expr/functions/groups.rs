//! Group membership and group-list functions (Okta's Expression Language reference).
//!
//! * `isMemberOfGroup*`: case-sensitive; the regex variant strips one leading and one trailing
//!   `/` and matches the whole name (Okta documents neither; this is our choice).
//! * `getFilteredGroups`: more matching groups than `limit` is an error (Okta's guide "Customize
//!   tokens returned from Okta with a static allowlist" says both that `limit` caps the result and
//!   that an error is returned; we return the error); `null` results of the group expression are
//!   dropped, duplicates removed.
//! * `Groups.*`: the pattern is matched case-insensitively against group names, like a
//!   `GROUPS` claim's filter; no match gives `null` (inferred from Okta's own example
//!   `Groups.startsWith("OKTA", "TEST", 100) ?: {}`), more than `limit` is an error.
//! * `user.getGroups`: criteria are AND-ed, values in a set OR-ed; `group.profile.name` defaults
//!   to `STARTS_WITH`, where a trailing `.*` is dropped (Okta's documented `'Engineering.*'`
//!   example matches "Engineering Users" only that way).

use std::borrow::Cow;

use crate::expr::MAX_ARRAY_LEN;
use crate::expr::ast::Prepared;
use crate::expr::context::{GroupData, UserData};
use crate::expr::error::EvalErrorKind;
use crate::expr::eval::{Evaluator, Scope, list};
use crate::expr::functions::{Func, group_name_pattern, int_arg, required_text};
use crate::expr::parser::parse;
use crate::expr::value::{Value, equals};

type R<'x> = Result<Value<'x>, EvalErrorKind>;

pub(super) fn call<'x>(
    ev: &'x Evaluator<'_>,
    func: Func,
    name: &'static str,
    args: Vec<Value<'x>>,
    prepared: &'x Prepared,
) -> R<'x> {
    let ctx = ev.ctx;
    let groups: &[GroupData<'_>] = ctx.user.as_ref().map_or(&[], |u| u.groups);
    ev.charge(groups.len())?;
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    let any = |pred: &dyn Fn(&GroupData<'_>) -> bool| Ok(Value::Bool(groups.iter().any(pred)));
    match func {
        Func::MemberOfGroupName => {
            let n = required_text(name, arg(0))?;
            any(&|g| g.name == n)
        }
        Func::MemberOfGroup => {
            let id = required_text(name, arg(0))?;
            any(&|g| g.id == id)
        }
        Func::MemberOfAnyGroup => {
            let mut ids = Vec::new();
            for a in &args {
                for v in a.elements()?.unwrap_or_else(|| vec![a.clone()]) {
                    ids.push(required_text(name, &v)?);
                }
            }
            any(&|g| ids.iter().any(|id| g.id == id))
        }
        Func::MemberOfGroupNameStartsWith => {
            let p = required_text(name, arg(0))?;
            any(&|g| g.name.starts_with(&*p))
        }
        Func::MemberOfGroupNameContains => {
            let p = required_text(name, arg(0))?;
            any(&|g| g.name.contains(&*p))
        }
        Func::MemberOfGroupNameRegex => {
            let built;
            let (regex, dynamic): (&regex::Regex, bool) = match prepared {
                Prepared::Regex(r) => (r, false),
                _ => {
                    let p = required_text(name, arg(0))?;
                    built = ev.dynamic_regex(name, group_name_pattern(&p), |p| {
                        crate::expr::functions::build_dynamic_regex(p, true)
                    })?;
                    (&built, true)
                }
            };
            for group in groups {
                if ev.is_match(regex, group.name, dynamic)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        Func::GetFilteredGroups => filtered_groups(ev, name, groups, &args, prepared),
        Func::GroupsContains | Func::GroupsStartsWith | Func::GroupsEndsWith => {
            let app = required_text(name, arg(0))?;
            let pattern = required_text(name, arg(1))?.to_lowercase();
            let limit = limit(ev, name, arg(2))?;
            let matched: Vec<Value<'x>> = groups
                .iter()
                .filter(|g| from_app(g, &app))
                .filter(|g| {
                    let n = g.name.to_lowercase();
                    match func {
                        Func::GroupsContains => n.contains(&pattern),
                        Func::GroupsStartsWith => n.starts_with(&pattern),
                        _ => n.ends_with(&pattern),
                    }
                })
                .map(|g| Value::str(g.name))
                .collect();
            if matched.is_empty() {
                return Ok(Value::Null);
            }
            too_many(name, limit, matched.len())?;
            list(matched)
        }
        Func::HasDirectoryUser => Ok(Value::Bool(ctx.directory_users.len() == 1)),
        Func::HasWorkdayUser => Ok(Value::Bool(ctx.workday_users.len() == 1)),
        Func::FindDirectoryUser => Ok(only(ctx.directory_users)),
        Func::FindWorkdayUser => Ok(only(ctx.workday_users)),
        _ => Ok(Value::Null),
    }
}

fn only<'x>(users: &'x [&'x crate::expr::context::JsonMap]) -> Value<'x> {
    match users {
        [one] => Value::JsonObject(one),
        _ => Value::Null,
    }
}

/// Whether a group comes from `app`: `OKTA` for Okta-mastered groups, else an app instance id
/// or app name.
fn from_app(g: &GroupData<'_>, app: &str) -> bool {
    if app.eq_ignore_ascii_case("OKTA") {
        matches!(g.group_type, "OKTA_GROUP" | "BUILT_IN")
    } else {
        g.source_id == Some(app) || g.source_app_name.is_some_and(|n| n.eq_ignore_ascii_case(app))
    }
}

/// The `limit` argument: 1..=`max_group_limit` (capped at [`MAX_ARRAY_LEN`]).
fn limit(ev: &Evaluator<'_>, name: &str, v: &Value<'_>) -> Result<usize, EvalErrorKind> {
    let max = ev.ctx.max_group_limit.clamp(1, MAX_ARRAY_LEN);
    let n = int_arg(name, v)?;
    usize::try_from(n)
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| EvalErrorKind::InvalidValue {
            op: name.into(),
            reason: format!("limit {n} is outside 1..={max}"),
        })
}

fn too_many(function: &'static str, limit: usize, found: usize) -> Result<(), EvalErrorKind> {
    if found > limit {
        Err(EvalErrorKind::TooManyGroups { function, limit, found })
    } else {
        Ok(())
    }
}

fn filtered_groups<'x>(
    ev: &'x Evaluator<'_>,
    name: &'static str,
    groups: &'x [GroupData<'x>],
    args: &[Value<'x>],
    prepared: &'x Prepared,
) -> R<'x> {
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    let allow = match arg(0) {
        Value::Str(s) => s.split(',').map(|p| Cow::Owned(p.trim().to_owned())).collect(),
        v => v
            .elements()?
            .ok_or_else(|| EvalErrorKind::Type {
                op: name.into(),
                expected: "array of group ids",
                found: v.type_name(),
            })?
            .iter()
            .map(|i| required_text(name, i))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let limit = limit(ev, name, arg(2))?;
    let matched: Vec<&'x GroupData<'x>> = groups.iter().filter(|g| allow.iter().any(|id| g.id == id)).collect();
    too_many(name, limit, matched.len())?;
    let dynamic;
    let expr = match prepared {
        Prepared::GroupExpr(e) => &**e,
        _ => {
            let src = required_text(name, arg(1))?;
            dynamic = parse(&src, true).map_err(|e| EvalErrorKind::GroupExpression(Box::new(e)))?;
            &dynamic
        }
    };
    let mut out: Vec<Value<'x>> = Vec::with_capacity(matched.len());
    for g in matched {
        let scope = Scope {
            group: Some(g),
            this: None,
        };
        let v = ev.eval(expr, &scope).map_err(|e| e.kind)?;
        // Detach from `expr`, which may be local to this call.
        let v = Value::from_owned_json(v.to_json()?);
        if !v.is_null() && !out.iter().any(|o| equals(o, &v)) {
            out.push(v);
        }
    }
    list(out)
}

/// One `user.getGroups` criterion.
#[derive(Default)]
struct Criterion<'x> {
    ids: Option<Vec<Cow<'x, str>>>,
    source_ids: Option<Vec<Cow<'x, str>>>,
    types: Option<Vec<Cow<'x, str>>>,
    names: Option<Vec<Cow<'x, str>>>,
    exact: bool,
}

impl Criterion<'_> {
    fn matches(&self, g: &GroupData<'_>) -> bool {
        let one_of = |set: &Option<Vec<Cow<'_, str>>>, v: Option<&str>| {
            set.as_ref().is_none_or(|s| v.is_some_and(|v| s.iter().any(|x| x == v)))
        };
        let name_ok = self.names.as_ref().is_none_or(|names| {
            names.iter().any(|n| {
                if self.exact {
                    g.name == n
                } else {
                    g.name.starts_with(n.strip_suffix(".*").unwrap_or(n))
                }
            })
        });
        name_ok
            && one_of(&self.ids, Some(g.id))
            && one_of(&self.source_ids, g.source_id)
            && one_of(&self.types, Some(g.group_type))
    }
}

fn criterion<'x>(name: &str, v: &Value<'x>) -> Result<Criterion<'x>, EvalErrorKind> {
    let entries: Vec<(Cow<'x, str>, Value<'x>)> = match v {
        Value::Map(m) => m.clone(),
        Value::JsonObject(o) => o
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), Value::from_json(v)))
            .collect(),
        other => {
            return Err(EvalErrorKind::Type {
                op: name.into(),
                expected: "criterion map such as {'group.type': {'OKTA_GROUP'}}",
                found: other.type_name(),
            });
        }
    };
    let invalid = |reason: String| EvalErrorKind::InvalidValue {
        op: name.into(),
        reason,
    };
    let mut c = Criterion::default();
    let mut operator = None;
    for (key, value) in entries {
        let values = || -> Result<Vec<Cow<'x, str>>, EvalErrorKind> {
            value
                .elements()?
                .unwrap_or_else(|| vec![value.clone()])
                .iter()
                .map(|v| required_text(name, v))
                .collect()
        };
        match &*key {
            "group.id" => c.ids = Some(values()?),
            "group.source.id" => c.source_ids = Some(values()?),
            "group.type" => c.types = Some(values()?),
            "group.profile.name" => c.names = Some(values()?),
            "operator" => operator = Some(required_text(name, &value)?),
            other => return Err(invalid(format!("unknown criterion key {other:?}"))),
        }
    }
    if let Some(op) = operator {
        if c.names.is_none() {
            return Err(invalid("\"operator\" applies only to group.profile.name".into()));
        }
        c.exact = match &*op {
            "EXACT" => true,
            "STARTS_WITH" => false,
            other => return Err(invalid(format!("unknown operator {other:?} (EXACT or STARTS_WITH)"))),
        };
    }
    Ok(c)
}

/// `user.getGroups(criterion…)` → the matching groups, in the user's order.
pub(crate) fn get_groups<'x>(ev: &Evaluator<'_>, user: &'x UserData<'x>, args: &[Value<'x>]) -> R<'x> {
    let name = "getGroups";
    let criteria = args.iter().map(|a| criterion(name, a)).collect::<Result<Vec<_>, _>>()?;
    ev.charge(user.groups.len())?;
    let out: Vec<Value<'x>> = user
        .groups
        .iter()
        .filter(|g| criteria.iter().all(|c| c.matches(g)))
        .map(Value::Group)
        .collect();
    list(out)
}

#[cfg(test)]
mod tests {
    use crate::expr::{Context, EvalErrorKind, Expression, GroupData, JsonMap, UserData};
    use serde_json::{Value as Json, json};

    fn run(src: &str, groups: &[GroupData<'_>]) -> Result<Json, EvalErrorKind> {
        let profile = JsonMap::new();
        let ctx = Context {
            user: Some(UserData {
                id: "00u1",
                status: "ACTIVE",
                profile: &profile,
                groups,
            }),
            ..Context::new(time::OffsetDateTime::UNIX_EPOCH)
        };
        let e = Expression::parse(src).map_err(|e| EvalErrorKind::InvalidValue {
            op: "parse".into(),
            reason: e.to_string(),
        })?;
        e.evaluate(&ctx).map_err(|e| e.kind)
    }

    #[test]
    fn criteria_and_sets() {
        // Reference §1.6.6: a set inside one criterion is OR-ed, criteria are AND-ed.
        let gs = [
            GroupData::new("1", "Sales EU", "OKTA_GROUP"),
            GroupData::new("2", "Sales US", "APP_GROUP"),
            GroupData::new("3", "Support", "OKTA_GROUP"),
        ];
        let r = run(
            "user.getGroups({'group.id': {'1', '2', '3'}}, {'group.type': 'OKTA_GROUP'}).![id]",
            &gs,
        );
        assert_eq!(r, Ok(json!(["1", "3"])));
        let r = run("user.getGroups({'group.profile.name': {'Sales', 'Supp'}}).![name]", &gs);
        assert_eq!(r, Ok(json!(["Sales EU", "Sales US", "Support"])));
        let r = run(
            "user.getGroups({'group.profile.name': 'Sales', 'operator': 'EXACT'})",
            &gs,
        );
        assert_eq!(r, Ok(json!([])));
        let r = run(
            "user.getGroups({'group.profile.name': 'Sales', 'operator': 'FUZZY'})",
            &gs,
        );
        assert!(matches!(r, Err(EvalErrorKind::InvalidValue { .. })));
    }

    #[test]
    fn no_user_means_no_membership() {
        let ctx = Context::new(time::OffsetDateTime::UNIX_EPOCH);
        let e = Expression::parse("isMemberOfGroupName('x') || user.getGroups() == null");
        let r = e.map(|e| e.evaluate(&ctx).map_err(|e| e.kind));
        assert_eq!(r, Ok(Ok(json!(true))));
    }

    #[test]
    fn group_names_are_case_sensitive_for_predicates_only() {
        // Appendix B: isMemberOfGroupName* is case-sensitive; Groups.* patterns are not.
        let gs = [GroupData::new("1", "Admins", "OKTA_GROUP")];
        assert_eq!(run("isMemberOfGroupNameContains('admin')", &gs), Ok(json!(false)));
        assert_eq!(run("Groups.contains('OKTA', 'admin', 5)", &gs), Ok(json!(["Admins"])));
        assert_eq!(run("Groups.contains('okta', 'ADMIN', 5)", &gs), Ok(json!(["Admins"])));
        assert_eq!(run("Groups.contains('0oaOther', 'admin', 5)", &gs), Ok(Json::Null));
    }
}
