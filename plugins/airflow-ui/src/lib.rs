//! `airflow-ui`: exposes the Airflow UI through a Service of the chosen type on the component
//! the release's Airflow version actually renders — `apiServer` on Airflow 3 (the default of
//! every chart line the facts know), `webserver` on Airflow 2 — and sets the default user under
//! `createUserJob.defaultUser`, the key the chart reads (1.19 to 1.21).
//!
//! The admin password given here never enters the values: it is emitted as a Secret that the
//! create-user Job reads through an env var ([`password_secret`]). Settings for the component
//! the version does not render are warned about (they have no effect).

use airflow_chart::{Facts, airflow_major};
use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, Value, export_plugin, json, values,
};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_type")]
    #[schemars(extend("enum" = ["ClusterIP", "NodePort", "LoadBalancer"]))]
    pub service_type: String,
    #[serde(default)]
    pub load_balancer_source_ranges: Vec<String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub default_user: Option<DefaultUser>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DefaultUser {
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub username: Option<String>,
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub password: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
}

fn default_type() -> String {
    "ClusterIP".into()
}

/// `apiServer` for Airflow 3, `webserver` for Airflow 2.
pub fn ui_component(major: u64) -> &'static str {
    if major >= 3 { "apiServer" } else { "webserver" }
}

fn is_cidr(s: &str) -> bool {
    let Some((addr, bits)) = s.split_once('/') else {
        return false;
    };
    let bits: Option<u8> = bits.parse().ok();
    if addr.contains(':') {
        addr.parse::<std::net::Ipv6Addr>().is_ok() && bits.is_some_and(|b| b <= 128)
    } else {
        addr.parse::<std::net::Ipv4Addr>().is_ok() && bits.is_some_and(|b| b <= 32)
    }
}

pub fn apply(f: &Facts, c: &Config, v: &mut Value) -> Result<Vec<(String, String)>, PluginError> {
    let major = airflow_major(f, v)?;
    let ui = ui_component(major);
    let unused = if ui == "apiServer" {
        "webserver"
    } else {
        "apiServer"
    };
    let mut warnings = Vec::new();
    if let Some(bad) = c.load_balancer_source_ranges.iter().find(|r| !is_cidr(r)) {
        return Err(PluginError::InvalidConfig(format!(
            "`loadBalancerSourceRanges`: `{bad}` is not a CIDR such as `203.0.113.0/24`"
        )));
    }
    let user = c.default_user.clone().unwrap_or_default();
    // A UI exposed with the chart's default password is a host rule on the final values: it
    // knows which default user the chart will use (`webserver.defaultUser` wins when set).
    if c.service_type == "LoadBalancer" && c.load_balancer_source_ranges.is_empty() {
        warnings.push((
            format!("{ui}.service.loadBalancerSourceRanges"),
            "no source ranges: the LoadBalancer is reachable from any address".into(),
        ));
    }
    values::set(v, &format!("{ui}.service.type"), json!(c.service_type))?;
    if !c.load_balancer_source_ranges.is_empty() {
        values::set(
            v,
            &format!("{ui}.service.loadBalancerSourceRanges"),
            json!(c.load_balancer_source_ranges),
        )?;
    }
    if !c.annotations.is_empty() {
        values::set(
            v,
            &format!("{ui}.service.annotations"),
            json!(c.annotations),
        )?;
    }
    let fields = [
        ("username", &user.username),
        ("password", &user.password),
        ("email", &user.email),
        ("firstName", &user.first_name),
        ("lastName", &user.last_name),
        ("role", &user.role),
    ];
    for (key, value) in fields {
        // The password goes to a Secret (see `password_secret`), never into the values.
        if key == "password" {
            continue;
        }
        if let Some(value) = value {
            values::set(v, &format!("createUserJob.defaultUser.{key}"), json!(value))?;
        }
    }
    // Settings the chosen Airflow version ignores. (`webserver.defaultUser` is not one of them:
    // the chart takes the create-user Job's arguments from it whenever it is set.)
    let path = format!("{unused}.service");
    if values::get(v, &path).is_some_and(|x| !x.is_null()) {
        warnings.push((
            path.clone(),
            format!(
                "has no effect: chart {} renders `{ui}` for Airflow {major}, not `{unused}`",
                f.chart
            ),
        ));
    }
    Ok(warnings)
}

/// The env var the create-user Job reads the admin password from.
pub const PASSWORD_ENV: &str = "AIRFLOW_ADMIN_PASSWORD";

/// Keep the admin password out of the values, the Helm release and the Job's arguments: emit it
/// as a Secret, give the create-user Job an env var from it (`createUserJob.env`), and override
/// `createUserJob.args` with the chart's own (1.19 to 1.21) but `-p "$(AIRFLOW_ADMIN_PASSWORD)"`, which
/// the kubelet expands when the container starts. Returns the Secret to emit.
pub fn password_secret(
    password: &str,
    release: &str,
    namespace: &str,
    v: &mut Value,
) -> Result<Value, PluginError> {
    let name = format!("{release}-admin-password");
    let field = |f: &str| {
        format!(
            "{{{{ if .Values.webserver.defaultUser }}}}{{{{ .Values.webserver.defaultUser.{f} }}}}\
             {{{{ else }}}}{{{{ .Values.createUserJob.defaultUser.{f} }}}}{{{{ end }}}}"
        )
    };
    let args = json!([
        "bash",
        "-c",
        "exec \\\nairflow {{ semverCompare \">=2.0.0\" .Values.airflowVersion | ternary \"users create\" \"create_user\" }} \"$@\"",
        "--",
        "-r",
        field("role"),
        "-u",
        field("username"),
        "-e",
        field("email"),
        "-f",
        field("firstName"),
        "-l",
        field("lastName"),
        "-p",
        format!("$({PASSWORD_ENV})"),
    ]);
    values::set(v, "createUserJob.args", args)?;
    let mut env: Vec<Value> = values::get(v, "createUserJob.env")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    env.retain(|e| e["name"] != PASSWORD_ENV);
    env.push(json!({"name": PASSWORD_ENV, "valueFrom": {"secretKeyRef": {"name": name, "key": "password"}}}));
    values::set(v, "createUserJob.env", Value::Array(env))?;
    values::remove(v, "createUserJob.defaultUser.password");
    Ok(helmwasm_plugin_sdk::k8s::secret(
        &name,
        namespace,
        [("password", password.as_bytes())],
    ))
}

struct AirflowUi;

impl Plugin for AirflowUi {
    fn metadata() -> Metadata {
        Metadata::new("airflow-ui", env!("CARGO_PKG_VERSION"), "Expose the Airflow UI (apiServer on Airflow 3, webserver on 2) and set the default user")
            .config_schema_of::<Config>()
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        let password = req
            .config::<Config>()?
            .default_user
            .and_then(|u| u.password);
        let (release, namespace) = (req.release.name.clone(), req.release.namespace.clone());
        let mut out = airflow_chart::run_values_step(req, "airflow-ui", apply)?;
        if let Some(password) = password {
            let secret = password_secret(&password, &release, &namespace, &mut out.values)?;
            out.emit(secret);
        }
        Ok(out)
    }
}

export_plugin!(AirflowUi);

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        airflow_chart::select("1.21.0").unwrap()
    }

    #[test]
    fn the_password_goes_to_a_secret_the_job_reads() {
        let mut v = json!({"createUserJob": {"defaultUser": {"password": "old"}, "env": [{"name": "X", "value": "1"}]}});
        let s = password_secret("s3cret", "airflow", "ns", &mut v).unwrap();
        assert_eq!(s["metadata"]["name"], "airflow-admin-password");
        assert_eq!(s["data"]["password"], "czNjcmV0");
        assert!(v["createUserJob"]["defaultUser"].get("password").is_none());
        let args = v["createUserJob"]["args"].as_array().unwrap();
        assert_eq!(args[args.len() - 2], "-p");
        assert_eq!(args[args.len() - 1], "$(AIRFLOW_ADMIN_PASSWORD)");
        assert!(!v.to_string().contains("s3cret"));
        assert_eq!(
            v["createUserJob"]["env"][1]["valueFrom"]["secretKeyRef"]["name"],
            "airflow-admin-password"
        );
        assert_eq!(v["createUserJob"]["env"][0]["name"], "X");
    }

    fn lb() -> Config {
        Config {
            service_type: "LoadBalancer".into(),
            load_balancer_source_ranges: vec!["203.0.113.0/24".into()],
            annotations: BTreeMap::new(),
            default_user: Some(DefaultUser {
                password: Some("s3cret-pass".into()),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn airflow_3_exposes_the_api_server() {
        let mut v = json!({});
        assert!(apply(&facts(), &lb(), &mut v).unwrap().is_empty());
        assert_eq!(
            v["apiServer"]["service"],
            json!({"type": "LoadBalancer", "loadBalancerSourceRanges": ["203.0.113.0/24"]})
        );
        // The password is not a value: `run` emits it as a Secret (`password_secret`).
        assert!(v["createUserJob"]["defaultUser"].get("password").is_none());
        assert!(!v.to_string().contains("s3cret-pass"));
        assert!(v.get("webserver").is_none());
    }

    #[test]
    fn airflow_2_exposes_the_webserver() {
        let mut v = json!({"airflowVersion": "2.10.5"});
        apply(&facts(), &lb(), &mut v).unwrap();
        assert_eq!(v["webserver"]["service"]["type"], "LoadBalancer");
    }

    /// The default password behind a LoadBalancer is judged by the host on the final values
    /// (where `webserver.defaultUser` may win); the step itself does not refuse it.
    #[test]
    fn the_default_password_is_left_to_the_host_rule() {
        let c = Config {
            default_user: None,
            ..lb()
        };
        assert!(apply(&facts(), &c, &mut json!({})).is_ok());
    }

    #[test]
    fn settings_for_the_other_component_are_warned_about() {
        let mut v = json!({"webserver": {"service": {"type": "LoadBalancer"}, "defaultUser": {"enabled": true}}});
        let w = apply(&facts(), &lb(), &mut v).unwrap();
        let paths: Vec<&str> = w.iter().map(|(p, _)| p.as_str()).collect();
        // `webserver.defaultUser` is not "without effect": chart 1.19 uses it when set.
        assert_eq!(paths, ["webserver.service"]);
        assert!(
            w[0].1
                .starts_with("has no effect: chart 1.21 renders `apiServer` for Airflow 3")
        );
    }

    #[test]
    fn bad_cidrs_are_rejected() {
        let c = Config {
            load_balancer_source_ranges: vec!["10.0.0.0".into()],
            ..lb()
        };
        assert!(apply(&facts(), &c, &mut json!({})).is_err());
        assert!(is_cidr("2001:db8::/32"));
    }
}
