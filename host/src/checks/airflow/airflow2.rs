//! Keys only Airflow 2 reads. On Airflow 3 the chart renders the UI from `apiServer` and never
//! renders `templates/webserver/`, so `webserver.service.type: LoadBalancer` (and the other
//! keys in the facts' Airflow-2-only list) is silently ignored: every Service stays ClusterIP
//! and the render exits 0. Whoever set such a key (a values file, `--set`, a step), it is an
//! error naming the key that takes effect instead. The chart's own defaults do not count.

use super::{Ctx, Finding};
use serde_json::Value;

pub fn ignored_on_airflow_3(ctx: &Ctx) -> Vec<Finding> {
    let major = ctx.airflow_major();
    if major < 3 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (old, new) in ctx.facts.airflow2_only() {
        let Some(value) = crate::values::get(ctx.user, old) else {
            continue;
        };
        let mut leaves = Vec::new();
        leaves_of(value, old, &mut leaves);
        for path in leaves {
            let instead = format!("{new}{}", &path[old.len()..]);
            out.push(Finding::error(
                &path,
                format!(
                    "has no effect on Airflow {major}{}: the chart renders the UI from `apiServer` for Airflow 3 and reads `{old}` only for Airflow 2; set `{instead}` instead",
                    ctx.set_by(&path)
                ),
            ));
        }
    }
    out
}

/// The paths of the set (not null, not empty) leaves under `value` at `path`.
fn leaves_of(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Null => {}
        Value::Object(m) => {
            for (k, v) in m {
                leaves_of(v, &format!("{path}.{k}"), out);
            }
        }
        Value::Array(a) if a.is_empty() => {}
        _ => out.push(path.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::run_on;
    use super::*;
    use serde_json::json;

    #[test]
    fn a_webserver_service_type_on_airflow_3_names_the_api_server_key() {
        for version in ["1.19.0", "1.20.0", "1.21.0"] {
            let f = run_on(
                version,
                ignored_on_airflow_3,
                json!({"webserver": {"service": {"type": "LoadBalancer"}, "defaultUser": {"username": "a"}}}),
            );
            assert_eq!(f.len(), 1, "{version}: {f:?}");
            assert_eq!(f[0].path, "webserver.service.type");
            assert!(
                f[0].message
                    .starts_with("has no effect on Airflow 3 (set by values.yaml)")
                    && f[0]
                        .message
                        .ends_with("set `apiServer.service.type` instead"),
                "{}",
                f[0].message
            );
        }
    }

    #[test]
    fn airflow_2_and_the_api_server_keys_pass() {
        for version in ["1.19.0", "1.20.0", "1.21.0"] {
            let two = json!({"airflowVersion": "2.11.0", "webserver": {"service": {"type": "LoadBalancer"}}});
            assert!(run_on(version, ignored_on_airflow_3, two).is_empty());
            let three = json!({"apiServer": {"service": {"type": "LoadBalancer"}}, "webserver": {"service": {}, "defaultUser": {"username": "a"}}});
            assert!(run_on(version, ignored_on_airflow_3, three).is_empty());
        }
    }
}
