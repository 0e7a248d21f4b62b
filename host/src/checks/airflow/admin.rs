//! The UI's admin user. In charts 1.19 to 1.21, `createUserJob.args` takes every field from
//! `webserver.defaultUser` when that map is set at all, else from `createUserJob.defaultUser`
//! (chart default: `admin` / `admin`). So the password that counts is the one of the map that
//! wins, and a partial `webserver.defaultUser` gives the Job empty arguments (AIRFLOW.md §7).
//!
//! The password is judged by the value that reaches the create-user Job, wherever it comes
//! from: a literal in the values, or the Secret an env var of the Job reads when its `-p`
//! argument is `$(VAR)` (what `airflow-ui` does), found among the Secrets the steps emitted or
//! the chart's `extraSecrets`. A Secret made outside the render, or a lint placeholder, cannot
//! be judged and is not. [`crate::checks::password`] says why a value is weak, without it.

use super::secrets::{Found, secret_value};
use super::{Ctx, Finding};
use crate::checks::password;
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
/// `airflow-ui` step does with the password in a Secret): the variable's name.
fn password_env(ctx: &Ctx) -> Option<String> {
    let args = ctx.get("createUserJob.args").and_then(Value::as_array)?;
    args.windows(2).find_map(|w| {
        let a = w[1].as_str()?;
        (w[0] == "-p" && a.starts_with("$(") && a.ends_with(')'))
            .then(|| a[2..a.len() - 1].to_owned())
    })
}

/// The admin password the create-user Job gets: its value when the render holds it (`None`:
/// a Secret made outside, or a lint placeholder), where it comes from (for the message), and
/// the values path to report at.
struct Reaching {
    value: Option<String>,
    whence: String,
    path: String,
}

fn reaching_password(ctx: &Ctx) -> Reaching {
    let Some(var) = password_env(ctx) else {
        let user = effective_user(ctx);
        let path = format!("{user}.password");
        let default = ctx.facts.default_admin_password();
        let why = if user == "webserver.defaultUser" {
            " — the chart takes every field of the create-user Job from `webserver.defaultUser` when it is set, \
             whatever `createUserJob.defaultUser` says"
        } else {
            ""
        };
        return Reaching {
            value: Some(ctx.str(&path).unwrap_or(default).to_owned()),
            whence: format!("`{path}`{}{why}", ctx.set_by(&path)),
            path,
        };
    };
    let env = ctx
        .get("createUserJob.env")
        .and_then(Value::as_array)
        .and_then(|env| {
            env.iter()
                .find(|e| e["name"].as_str() == Some(var.as_str()))
        });
    let path = "createUserJob.env".to_owned();
    let unknown = |whence: String| Reaching {
        value: None,
        whence,
        path: path.clone(),
    };
    let Some(env) = env else {
        return unknown(format!(
            "the env var `{var}`, which `createUserJob.env` does not set"
        ));
    };
    if let Some(v) = env["value"].as_str() {
        return Reaching {
            value: Some(v.to_owned()),
            whence: format!(
                "the env var `{var}` of `createUserJob.env`{}",
                ctx.set_by(&path)
            ),
            path,
        };
    }
    let r = &env["valueFrom"]["secretKeyRef"];
    let (Some(name), Some(key)) = (r["name"].as_str(), r["key"].as_str()) else {
        return unknown(format!("the env var `{var}`"));
    };
    let whence =
        |from: &str| format!("Secret `{name}` key `{key}` ({from}), through the env var `{var}`");
    match secret_value(ctx.render, ctx.values, name, key) {
        Some((value, found)) => Reaching {
            value,
            whence: whence(&match found {
                Found::Emitted { step, plugin } => format!("emitted by step {step} (`{plugin}`)"),
                Found::Extra => format!("`extraSecrets.{name}`"),
            }),
            path,
        },
        None => unknown(whence("not in the render")),
    }
}

/// The UI admin password judged by its value: an error behind a LoadBalancer or Ingress, a
/// warning on a cluster-internal Service. The message never shows it.
pub fn weak_admin_password(ctx: &Ctx) -> Vec<Finding> {
    // No create-user Job, no admin user (the chart's `createUserJob.isEnabled`).
    let enabled = match effective_user(ctx) {
        "webserver.defaultUser" => ctx.get("webserver.defaultUser.enabled"),
        _ => ctx.get("createUserJob.enabled"),
    };
    if enabled == Some(&Value::Bool(false)) {
        return Vec::new();
    }
    let reaching = reaching_password(ctx);
    let Some(value) = reaching.value else {
        return Vec::new();
    };
    if value.contains(crate::secrets::PLACEHOLDER_PREFIX) {
        return Vec::new();
    }
    let user = effective_user(ctx);
    let username = ctx
        .str(&format!("{user}.username"))
        .unwrap_or_default()
        .to_owned();
    let context = ["airflow", "admin", username.as_str()];
    let Some(weak) = password::judge(&value, ctx.facts.default_admin_password(), &context) else {
        return Vec::new();
    };
    let fix = "set a strong one by reference (`airflow-ui` `defaultUser.password: ref+env://…` or `ref+file://…`)";
    match exposure(ctx) {
        Some((at, how)) => vec![Finding::error(
            &at,
            format!(
                "the UI is exposed by {how} while the admin password the create-user Job gets {weak}: \
                 it comes from {}; {fix}, or keep the UI internal",
                reaching.whence
            ),
        )],
        None => vec![Finding::warning(
            &reaching.path,
            format!(
                "the admin password the create-user Job gets {weak}: it comes from {}; the UI is only \
                 reachable inside the cluster, but anyone there can sign in as admin; {fix}",
                reaching.whence
            ),
        )],
    }
}

/// Values set `webserver.defaultUser` while a step set the UI's user under
/// `createUserJob.defaultUser`: the chart takes every field from the former, so the step's
/// user is ignored. Names both, with where each was set. (A step replacing the user's own
/// `createUserJob.defaultUser` fields is the generic "step replaced your value" warning.)
pub fn who_sets_the_user(ctx: &Ctx) -> Vec<Finding> {
    let Some(Value::Object(m)) = ctx.get("webserver.defaultUser") else {
        return Vec::new();
    };
    if m.is_empty() {
        return Vec::new();
    }
    let mut by_steps: Vec<(String, String)> = Vec::new();
    for f in FIELDS {
        let path = format!("createUserJob.defaultUser.{f}");
        if let Some(o @ crate::provenance::Origin::Step { .. }) = ctx.provenance.of(&path) {
            by_steps.push((format!("`{f}`"), o.to_string()));
        }
    }
    // The password of `airflow-ui` reaches the Job through `createUserJob.args`, which reads
    // every other field from `webserver.defaultUser` too.
    let Some((_, step)) = by_steps.first().cloned() else {
        return Vec::new();
    };
    let fields: Vec<String> = by_steps.into_iter().map(|(f, _)| f).collect();
    vec![Finding::warning(
        "webserver.defaultUser",
        format!(
            "the chart takes the admin user from `webserver.defaultUser`{}, not from `createUserJob.defaultUser`, \
             whose {} {step} set: the step's user is ignored. Remove `webserver.defaultUser` from the values to \
             use the step's, or drop the user from the step",
            ctx.set_by("webserver.defaultUser"),
            fields.join(", ")
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
    use super::super::Severity;
    use super::super::test_support::{run, run_emitting};
    use super::*;
    use base64::Engine as _;
    use serde_json::json;

    const STRONG: &str = "N7w#q2LxT9v!bR4m-admin";

    /// Whether a message shows the password: quoted, or anywhere when it is no common word
    /// (`admin` is in "admin password" and `airflow-ui`'s name).
    fn shows(message: &str, password: &str) -> bool {
        message.contains(&format!("`{password}`"))
            || (!password.eq_ignore_ascii_case("admin") && message.contains(password))
    }

    fn lb() -> Value {
        json!({"apiServer": {"service": {"type": "LoadBalancer"}},
               "createUserJob": {"defaultUser": {"username": "admin", "password": STRONG}}})
    }

    /// Values that give the create-user Job its password from Secret `ui` key `password`, as
    /// `airflow-ui` does.
    fn from_secret(service: &str) -> Value {
        json!({"apiServer": {"service": {"type": service}},
               "createUserJob": {"args": ["--", "-p", "$(AIRFLOW_ADMIN_PASSWORD)"],
                                 "env": [{"name": "AIRFLOW_ADMIN_PASSWORD",
                                          "valueFrom": {"secretKeyRef": {"name": "ui", "key": "password"}}}]}})
    }

    fn secret(password: &str) -> Value {
        let b64 = base64::engine::general_purpose::STANDARD.encode(password);
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ui"}, "data": {"password": b64}})
    }

    #[test]
    fn a_load_balancer_with_a_strong_password_is_fine() {
        assert!(run(weak_admin_password, lb()).is_empty());
    }

    #[test]
    fn weak_literal_passwords_behind_a_load_balancer_fail_without_showing_them() {
        for (password, why) in [
            ("admin", "is the chart's default password"),
            ("Admin", "is the chart's default password"),
            ("password123", "is one of the most common passwords"),
            ("x7#Kq!2v", "is 8 characters long"),
        ] {
            let mut v = lb();
            v["createUserJob"]["defaultUser"]["password"] = json!(password);
            let f = run(weak_admin_password, v);
            assert_eq!(f.len(), 1, "{password}");
            assert_eq!(f[0].severity, Severity::Error);
            assert!(f[0].message.contains(why), "{}", f[0].message);
            assert!(
                f[0].message
                    .contains("`createUserJob.defaultUser.password` (set by values.yaml)"),
                "{}",
                f[0].message
            );
            assert!(!shows(&f[0].message, password), "{}", f[0].message);
        }
        // Left at the chart default.
        let f = run(
            weak_admin_password,
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
        let f = run(weak_admin_password, v);
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
    fn a_password_read_from_a_secret_is_judged_by_its_value() {
        for weak in ["admin", "Admin", "password123"] {
            let f = run_emitting(
                weak_admin_password,
                from_secret("LoadBalancer"),
                vec![secret(weak)],
            );
            assert_eq!(f.len(), 1, "{weak}");
            assert_eq!(f[0].severity, Severity::Error);
            assert!(
                f[0].message.contains(
                    "it comes from Secret `ui` key `password` (emitted by step 1 (`airflow-ui`)), through the env var `AIRFLOW_ADMIN_PASSWORD`"
                ),
                "{}",
                f[0].message
            );
            assert!(!shows(&f[0].message, weak), "{}", f[0].message);
        }
        assert!(
            run_emitting(
                weak_admin_password,
                from_secret("LoadBalancer"),
                vec![secret(STRONG)]
            )
            .is_empty()
        );
        // stringData, and a Secret from the chart's extraSecrets.
        let mut s = secret(STRONG);
        s["stringData"] = json!({"password": "admin"});
        assert_eq!(
            run_emitting(weak_admin_password, from_secret("LoadBalancer"), vec![s]).len(),
            1
        );
        let mut v = from_secret("LoadBalancer");
        v["extraSecrets"] = json!({"ui": {"stringData": "password: Admin\n"}});
        let f = run(weak_admin_password, v);
        assert!(
            f[0].message.contains("(`extraSecrets.ui`)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn what_the_render_cannot_see_is_not_judged() {
        // A Secret made outside the render, and lint's placeholder.
        assert!(run(weak_admin_password, from_secret("LoadBalancer")).is_empty());
        let placeholder = format!("{}0123456789ab", crate::secrets::PLACEHOLDER_PREFIX);
        assert!(
            run_emitting(
                weak_admin_password,
                from_secret("LoadBalancer"),
                vec![secret(&placeholder)]
            )
            .is_empty()
        );
    }

    #[test]
    fn without_the_create_user_job_there_is_no_password_to_judge() {
        let mut v = lb();
        v["createUserJob"]["defaultUser"]["password"] = json!("admin");
        v["createUserJob"]["enabled"] = json!(false);
        assert!(run(weak_admin_password, v).is_empty());
        let v = json!({"apiServer": {"service": {"type": "LoadBalancer"}},
                       "webserver": {"defaultUser": {"enabled": false, "password": "admin"}}});
        assert!(run(weak_admin_password, v).is_empty());
    }

    #[test]
    fn a_weak_password_on_a_cluster_internal_service_is_a_warning() {
        let f = run_emitting(
            weak_admin_password,
            from_secret("ClusterIP"),
            vec![secret("admin")],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].path, "createUserJob.env");
        assert!(
            f[0].message.contains("only reachable inside the cluster"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn an_ingress_counts_as_exposure() {
        let f = run(
            weak_admin_password,
            json!({"ingress": {"apiServer": {"enabled": true}}}),
        );
        assert!(
            f[0].message.starts_with("the UI is exposed by an Ingress"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].severity, Severity::Error);
    }

    #[test]
    fn a_leftover_webserver_default_user_beside_a_step_user_names_both() {
        use crate::provenance::{Origin, Provenance};
        let user = json!({"role": "Admin", "username": "old", "email": "old@x.y", "firstName": "a",
                          "lastName": "b", "password": STRONG});
        let mut provenance = Provenance::default();
        provenance.record(
            &json!({}),
            &json!({"webserver": {"defaultUser": user}}),
            &Origin::Layer {
                label: "values/airflow.yaml".into(),
                line: Some(7),
                key: "releases[0].values[0]".into(),
            },
            None,
        );
        let values = json!({"webserver": {"defaultUser": user},
                            "createUserJob": {"defaultUser": {"username": "ops", "email": "ops@x.y"}}});
        provenance.record(
            &json!({"webserver": {"defaultUser": user}}),
            &values,
            &Origin::Step {
                number: 10,
                plugin: "airflow-ui".into(),
            },
            None,
        );
        let f = super::super::test_support::run_with(who_sets_the_user, values.clone(), provenance);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(
            f[0].message,
            "the chart takes the admin user from `webserver.defaultUser` (set by values/airflow.yaml:7), not from \
             `createUserJob.defaultUser`, whose `username`, `email` step 10 (`airflow-ui`) set: the step's user is \
             ignored. Remove `webserver.defaultUser` from the values to use the step's, or drop the user from the step"
        );
        // No step set the user: nothing to say here.
        assert!(
            run(
                who_sets_the_user,
                json!({"webserver": {"defaultUser": user}})
            )
            .is_empty()
        );
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
