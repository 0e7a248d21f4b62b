//! `airflow-gitops`: what the Airflow chart's docs ("Installing the Chart with Argo CD, Flux,
//! Rancher or Terraform") require when something other than `helm install` applies the
//! render: no Helm hooks, which those tools do not run as Helm does.
//!
//! - `createUserJob` and `migrateDatabaseJob`: `useHelmHooks: false`, `applyCustomEnv: false`;
//! - with `argoCdMigrationHook: true`, `migrateDatabaseJob.jobAnnotations`
//!   `argocd.argoproj.io/hook: Sync`, so Argo CD migrates the database on every sync;
//! - every `extraSecrets` and `extraConfigMaps` entry: `useHelmHooks: false` (the chart makes
//!   them hooks unless told otherwise), with a warning when one asked for hooks explicitly.
//!
//! Run it last, so it sees the entries earlier steps added. It warns when the chart would still
//! generate its keys in hooks (no `airflow-keys` step before it).

use airflow_chart::{Facts, set};
use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, Value, export_plugin, json, values,
};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Annotate the migration Job as an Argo CD Sync hook.
    #[serde(default)]
    pub argo_cd_migration_hook: bool,
}

pub fn apply(
    f: &Facts,
    c: &Config,
    v: &mut Value,
) -> Result<Vec<airflow_chart::Warning>, PluginError> {
    let mut warnings = Vec::new();
    for job in ["createUserJob", "migrateDatabaseJob"] {
        set(f, v, &format!("{job}.useHelmHooks"), json!(false))?;
        set(f, v, &format!("{job}.applyCustomEnv"), json!(false))?;
    }
    if c.argo_cd_migration_hook {
        values::set(
            v,
            r"migrateDatabaseJob.jobAnnotations.argocd\.argoproj\.io/hook",
            json!("Sync"),
        )?;
    }
    for list in ["extraSecrets", "extraConfigMaps"] {
        let Some(Value::Object(entries)) = values::get(v, list).cloned() else {
            continue;
        };
        for (name, entry) in entries {
            if entry.get("useHelmHooks") == Some(&json!(true)) {
                warnings.push((
                    format!("{list}.{}", name.replace('.', "\\.")),
                    format!(
                        "`{list}` entry `{name}` asked for Helm hooks, which GitOps tools do not run as Helm \
                         does: set to `useHelmHooks: false`"
                    ),
                ));
            }
            if entry.is_object() {
                let path = format!("{list}.{}.useHelmHooks", name.replace('.', "\\."));
                values::set(v, &path, json!(false))?;
            }
        }
    }
    if values::get_str(v, "fernetKeySecretName").is_none_or(str::is_empty) {
        warnings.push((
            "fernetKeySecretName".into(),
            "the chart still generates its Fernet key (and other keys) in a Helm hook on every render: \
             run the `airflow-keys` step before this one"
                .into(),
        ));
    }
    Ok(warnings)
}

struct AirflowGitops;

impl Plugin for AirflowGitops {
    fn metadata() -> Metadata {
        Metadata::new(
            "airflow-gitops",
            env!("CARGO_PKG_VERSION"),
            "What the Airflow chart needs under Argo CD, Flux or Terraform: no Helm hooks",
        )
        .config_schema_of::<Config>()
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        airflow_chart::run_values_step(req, "airflow-gitops", apply)
    }
}

export_plugin!(AirflowGitops);

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        airflow_chart::select("1.21.0").unwrap()
    }

    #[test]
    fn jobs_and_extra_objects_lose_their_hooks() {
        let mut v = json!({
            "fernetKeySecretName": "k",
            "extraSecrets": {"a-secret": {"data": "x: eA=="}, "hooked": {"useHelmHooks": true}},
            "extraConfigMaps": {"cfg.v1": {"data": "k: v"}}
        });
        let warnings = apply(&facts(), &Config::default(), &mut v).unwrap();
        for job in ["createUserJob", "migrateDatabaseJob"] {
            assert_eq!(v[job]["useHelmHooks"], false);
            assert_eq!(v[job]["applyCustomEnv"], false);
        }
        assert!(v["migrateDatabaseJob"].get("jobAnnotations").is_none());
        assert_eq!(v["extraSecrets"]["a-secret"]["useHelmHooks"], false);
        assert_eq!(v["extraSecrets"]["a-secret"]["data"], "x: eA==");
        assert_eq!(v["extraSecrets"]["hooked"]["useHelmHooks"], false);
        assert_eq!(v["extraConfigMaps"]["cfg.v1"]["useHelmHooks"], false);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].0, "extraSecrets.hooked");
    }

    #[test]
    fn argo_cd_gets_a_sync_hook_for_migrations_and_a_warning_without_managed_keys() {
        let mut v = json!({});
        let warnings = apply(
            &facts(),
            &Config {
                argo_cd_migration_hook: true,
            },
            &mut v,
        )
        .unwrap();
        assert_eq!(
            v["migrateDatabaseJob"]["jobAnnotations"],
            json!({"argocd.argoproj.io/hook": "Sync"})
        );
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].1.contains("run the `airflow-keys` step"),
            "{warnings:?}"
        );
    }
}
