//! The UI's admin user. In charts 1.19 to 1.21, `createUserJob.args` takes every field from
//! `webserver.defaultUser` when that map is set at all, else from `createUserJob.defaultUser`
//! (chart default: `admin` / `admin`). So the password that counts is the one of the map that
//! wins, and a partial `webserver.defaultUser` gives the Job empty arguments (AIRFLOW.md §7).

use super::{Ctx, Finding};
use serde_json::Value;

/// The fields `createUserJob.args` reads.
const FIELDS: &[&str] = &[
    "role",
    "username",
    "email",
    "firstName",
    "lastName",
    "password",
];

/// The map whose fields the create-user Job uses.
fn effective_user(ctx: &Ctx) -> &'static str {
    match ctx.get("webserver.defaultUser") {
        Some(Value::Object(m)) if !m.is_empty() => "webserver.defaultUser",
        _ => "createUserJob.defaultUser",
    }
}

/// How the UI is reachable from outside the cluster, if it is.
fn exposure(ctx: &Ctx) -> Option<(String, String)> {
    let ui = if ctx.airflow_major() >= 3 {
        "apiServer"
    } else {
        "webserver"
    };
    let service = format!("{ui}.service.type");
    if ctx.str(&service) == Some("LoadBalancer") {
        return Some((
            service.clone(),
            format!(
                "a LoadBalancer (`{service}`, set by {})",
                ctx.origin(&service)
            ),
        ));
    }
    let ingress = if ui == "apiServer" {
        "ingress.apiServer.enabled"
    } else {
        "ingress.web.enabled"
    };
    ctx.flag(ingress).then(|| {
        (
            ingress.to_owned(),
            format!("an Ingress (`{ingress}`, set by {})", ctx.origin(ingress)),
        )
    })
}

/// `createUserJob.args` overridden so that `-p` reads an env var (`$(VAR)`, as the
/// `airflow-ui` step does with the password in a Secret): the password is not in the values.
fn password_from_env(ctx: &Ctx) -> bool {
    let Some(args) = ctx.get("createUserJob.args").and_then(Value::as_array) else {
        return false;
    };
    args.windows(2).any(|w| {
        w[0] == "-p"
            && w[1]
                .as_str()
                .is_some_and(|a| a.starts_with("$(") && a.ends_with(')'))
    })
}

pub fn exposed_default_password(ctx: &Ctx) -> Vec<Finding> {
    let Some((at, how)) = exposure(ctx) else {
        return Vec::new();
    };
    if password_from_env(ctx) {
        return Vec::new();
    }
    let user = effective_user(ctx);
    let path = format!("{user}.password");
    let default = ctx.facts.default_admin_password();
    let password = ctx.str(&path).unwrap_or(default);
    if password != default {
        return Vec::new();
    }
    let why = if user == "webserver.defaultUser" {
        " — the chart takes every field of the create-user Job from `webserver.defaultUser` when it is set, \
         whatever `createUserJob.defaultUser` says"
    } else {
        ""
    };
    vec![Finding::error(
        &at,
        format!(
            "the UI is exposed by {how} while the admin user the chart creates has the default password \
             `admin`: `{path}`{}{why}; set a strong password there (e.g. `ref+file://…`), or keep the UI internal",
            ctx.set_by(&path)
        ),
    )]
}

pub fn partial_webserver_user(ctx: &Ctx) -> Vec<Finding> {
    let Some(Value::Object(m)) = ctx.get("webserver.defaultUser") else {
        return Vec::new();
    };
    if m.is_empty() {
        return Vec::new();
    }
    let missing: Vec<&str> = FIELDS
        .iter()
        .copied()
        .filter(|f| m.get(*f).and_then(Value::as_str).is_none_or(str::is_empty))
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    vec![Finding::error(
        "webserver.defaultUser",
        format!(
            "`webserver.defaultUser` is set{} but lacks {}: the chart then takes every field of the \
             create-user Job from it, so the Job gets empty arguments. Complete it, or remove it and use \
             `createUserJob.defaultUser`",
            ctx.set_by("webserver.defaultUser"),
            missing
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::super::test_support::run;
    use super::*;
    use serde_json::json;

    fn lb() -> Value {
        json!({"apiServer": {"service": {"type": "LoadBalancer"}},
               "createUserJob": {"defaultUser": {"username": "admin", "password": "s3cret-Pa55"}}})
    }

    #[test]
    fn a_load_balancer_with_a_strong_password_is_fine() {
        assert!(run(exposed_default_password, lb()).is_empty());
    }

    #[test]
    fn the_chart_default_password_behind_a_load_balancer_fails() {
        let mut v = lb();
        v["createUserJob"]["defaultUser"]["password"] = json!("admin");
        let f = run(exposed_default_password, v);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .contains("`createUserJob.defaultUser.password` (set by values.yaml)"),
            "{}",
            f[0].message
        );
        // Left at the chart default.
        let f = run(
            exposed_default_password,
            json!({"apiServer": {"service": {"type": "LoadBalancer"}}}),
        );
        assert!(
            f[0].message.contains("(the chart's default)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn a_leftover_webserver_default_user_wins_as_in_chart_1_19() {
        let mut v = lb();
        v["webserver"] = json!({"defaultUser": {"role": "Admin", "username": "admin", "email": "a@b.c",
                                "firstName": "a", "lastName": "b", "password": "admin"}});
        let f = run(exposed_default_password, v);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("`webserver.defaultUser.password`")
                && f[0]
                    .message
                    .contains("whatever `createUserJob.defaultUser` says"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn a_password_read_from_a_secret_is_not_the_default() {
        let v = json!({"apiServer": {"service": {"type": "LoadBalancer"}},
                       "createUserJob": {"args": ["--", "-p", "$(AIRFLOW_ADMIN_PASSWORD)"]}});
        assert!(run(exposed_default_password, v).is_empty());
    }

    #[test]
    fn an_ingress_counts_as_exposure() {
        let f = run(
            exposed_default_password,
            json!({"ingress": {"apiServer": {"enabled": true}}}),
        );
        assert!(
            f[0].message.starts_with("the UI is exposed by an Ingress"),
            "{}",
            f[0].message
        );
        assert!(run(exposed_default_password, json!({})).is_empty());
    }

    #[test]
    fn a_partial_webserver_default_user_fails() {
        let f = run(
            partial_webserver_user,
            json!({"webserver": {"defaultUser": {"username": "u", "password": "p"}}}),
        );
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .contains("lacks `role`, `email`, `firstName`, `lastName`"),
            "{}",
            f[0].message
        );
        assert!(
            run(
                partial_webserver_user,
                json!({"webserver": {"defaultUser": {}}})
            )
            .is_empty()
        );
        assert!(run(partial_webserver_user, json!({})).is_empty());
    }
}
