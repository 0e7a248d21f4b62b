//! `logs-persistence`: task logs on a shared volume (`logs.persistence`), e.g. EFS on EKS.
//! The chart's logs PVC is ReadWriteMany: block-storage classes (EBS) are refused by the host's
//! Airflow rules on the final values, whoever sets the class.

use airflow_chart::{Facts, set};
use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, Value, export_plugin, json,
};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    pub size: String,
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub storage_class_name: Option<String>,
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub existing_claim: Option<String>,
    #[serde(default)]
    pub sub_path: Option<String>,
}

/// Kubernetes quantity with a binary or decimal suffix, e.g. `10Gi`, `500M`.
pub fn is_quantity(s: &str) -> bool {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &s[digits.len()..];
    !digits.is_empty()
        && digits.parse::<f64>().is_ok_and(|n| n > 0.0)
        && ["", "Ki", "Mi", "Gi", "Ti", "Pi", "k", "M", "G", "T", "P"].contains(&suffix)
}

pub fn apply(
    f: &Facts,
    c: &Config,
    v: &mut Value,
) -> Result<Vec<airflow_chart::Warning>, PluginError> {
    if !is_quantity(&c.size) {
        return Err(PluginError::InvalidConfig(format!(
            "`size` `{}` is not a Kubernetes quantity such as `10Gi`",
            c.size
        )));
    }
    set(f, v, "logs.persistence.enabled", json!(true))?;
    set(f, v, "logs.persistence.size", json!(c.size))?;
    if let Some(sc) = &c.storage_class_name {
        // Block storage for the shared logs is a host rule on the final values.
        set(f, v, "logs.persistence.storageClassName", json!(sc))?;
    }
    if let Some(claim) = &c.existing_claim {
        set(f, v, "logs.persistence.existingClaim", json!(claim))?;
    }
    if let Some(sub) = &c.sub_path {
        set(f, v, "logs.persistence.subPath", json!(sub))?;
    }
    Ok(Vec::new())
}

struct LogsPersistence;

impl Plugin for LogsPersistence {
    fn metadata() -> Metadata {
        Metadata::new(
            "logs-persistence",
            env!("CARGO_PKG_VERSION"),
            "Airflow task logs on a ReadWriteMany volume (e.g. EFS)",
        )
        .config_schema_of::<Config>()
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        airflow_chart::run_values_step(req, "logs-persistence", apply)
    }
}

export_plugin!(LogsPersistence);

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        airflow_chart::select("1.21.0").unwrap()
    }

    #[test]
    fn sets_logs_persistence() {
        let mut v = json!({});
        let c = Config {
            size: "10Gi".into(),
            storage_class_name: Some("efs-sc".into()),
            ..Config::default()
        };
        assert!(apply(&facts(), &c, &mut v).unwrap().is_empty());
        assert_eq!(
            v,
            json!({"logs": {"persistence": {"enabled": true, "size": "10Gi", "storageClassName": "efs-sc"}}})
        );
    }

    #[test]
    fn bad_sizes_are_rejected() {
        for bad in ["10GB", "ten", "", "-1Gi"] {
            assert!(
                apply(
                    &facts(),
                    &Config {
                        size: bad.into(),
                        ..Config::default()
                    },
                    &mut json!({})
                )
                .is_err(),
                "{bad}"
            );
        }
    }
}
