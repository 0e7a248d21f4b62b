//! `airflow-ui`: exposes the Airflow UI through a Service of the chosen type on the component
//! the release's Airflow version actually renders — `apiServer` on Airflow 3 (chart 1.19's
//! default 3.1.7), `webserver` on Airflow 2 — and sets the default user under
//! `createUserJob.defaultUser`, the key chart 1.19 reads.
//!
//! A LoadBalancer with the default admin password unchanged is an error; settings for the
//! component the version does not render are warned about (they have no effect).

use airflow_chart::airflow_major;
use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, Value, export_plugin, json, values,
};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_type")]
    pub service_type: String,
    #[serde(default)]
    pub load_balancer_source_ranges: Vec<String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub default_user: Option<DefaultUser>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DefaultUser {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
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

pub fn apply(c: &Config, v: &mut Value) -> Result<Vec<(String, String)>, PluginError> {
    let major = airflow_major(v)?;
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
        if let Some(value) = value {
            values::set(v, &format!("createUserJob.defaultUser.{key}"), json!(value))?;
        }
    }
    // Settings the chosen Airflow version ignores. (`webserver.defaultUser` is not one of them:
    // chart 1.19 takes the create-user Job's arguments from it whenever it is set.)
    let path = format!("{unused}.service");
    if values::get(v, &path).is_some_and(|x| !x.is_null()) {
        warnings.push((
            path.clone(),
            format!("has no effect: chart 1.19 renders `{ui}` for Airflow {major}, not `{unused}`"),
        ));
    }
    Ok(warnings)
}

struct AirflowUi;

impl Plugin for AirflowUi {
    fn metadata() -> Metadata {
        Metadata::new("airflow-ui", env!("CARGO_PKG_VERSION"), "Expose the Airflow UI (apiServer on Airflow 3, webserver on 2) and set the default user")
            .config_schema(config_schema())
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        airflow_chart::run_values_step(req, "airflow-ui", apply)
    }
}

pub fn config_schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "serviceType": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"], "default": "ClusterIP"},
            "loadBalancerSourceRanges": {"type": "array", "items": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            "defaultUser": {
                "type": "object", "additionalProperties": false,
                "properties": {
                    "username": {"type": "string", "minLength": 1},
                    "password": {"type": "string", "minLength": 1},
                    "email": {"type": "string"},
                    "firstName": {"type": "string"},
                    "lastName": {"type": "string"},
                    "role": {"type": "string"}
                }
            }
        }
    })
}

export_plugin!(AirflowUi);

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(apply(&lb(), &mut v).unwrap().is_empty());
        assert_eq!(
            v["apiServer"]["service"],
            json!({"type": "LoadBalancer", "loadBalancerSourceRanges": ["203.0.113.0/24"]})
        );
        assert_eq!(v["createUserJob"]["defaultUser"]["password"], "s3cret-pass");
        assert!(v.get("webserver").is_none());
    }

    #[test]
    fn airflow_2_exposes_the_webserver() {
        let mut v = json!({"airflowVersion": "2.10.5"});
        apply(&lb(), &mut v).unwrap();
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
        assert!(apply(&c, &mut json!({})).is_ok());
    }

    #[test]
    fn settings_for_the_other_component_are_warned_about() {
        let mut v = json!({"webserver": {"service": {"type": "LoadBalancer"}, "defaultUser": {"enabled": true}}});
        let w = apply(&lb(), &mut v).unwrap();
        let paths: Vec<&str> = w.iter().map(|(p, _)| p.as_str()).collect();
        // `webserver.defaultUser` is not "without effect": chart 1.19 uses it when set.
        assert_eq!(paths, ["webserver.service"]);
        assert!(
            w[0].1
                .starts_with("has no effect: chart 1.19 renders `apiServer` for Airflow 3")
        );
    }

    #[test]
    fn bad_cidrs_are_rejected() {
        let c = Config {
            load_balancer_source_ranges: vec!["10.0.0.0".into()],
            ..lb()
        };
        assert!(apply(&c, &mut json!({})).is_err());
        assert!(is_cidr("2001:db8::/32"));
    }
}
