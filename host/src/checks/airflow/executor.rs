//! An executor written by the user (a values file or `--set`) and replaced by a step: the step
//! wins silently unless someone says so.

use super::{Ctx, Finding};

pub fn replaced_by_a_step(ctx: &Ctx) -> Vec<Finding> {
    ctx.provenance
        .overridden
        .iter()
        .filter(|o| o.path == "executor" && !o.value.is_null() && o.user_value != o.value)
        .map(|o| {
            Finding::warning(
                "executor",
                format!(
                    "{} replaced the executor {} (set by {}) with {}; remove one of the two",
                    o.by, o.user_value, o.user_origin, o.value
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::run_with;
    use super::*;
    use crate::provenance::{Origin, Provenance};
    use serde_json::json;

    #[test]
    fn a_step_replacing_the_users_executor_is_named() {
        let mut p = Provenance::default();
        let file = Origin::Layer {
            label: "values.yaml".into(),
            line: Some(3),
            key: "releases[0].values[0]".into(),
        };
        let step = Origin::Step {
            number: 1,
            plugin: "celery-workers".into(),
        };
        p.record(
            &json!({}),
            &json!({"executor": "KubernetesExecutor"}),
            &file,
            None,
        );
        p.record(
            &json!({"executor": "KubernetesExecutor"}),
            &json!({"executor": "CeleryExecutor"}),
            &step,
            None,
        );
        let f = run_with(replaced_by_a_step, json!({"executor": "CeleryExecutor"}), p);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "step 1 (`celery-workers`) replaced the executor \"KubernetesExecutor\" (set by values.yaml:3) with \"CeleryExecutor\"; remove one of the two"
        );
    }

    #[test]
    fn a_step_setting_the_executor_alone_is_fine() {
        let mut p = Provenance::default();
        let step = Origin::Step {
            number: 1,
            plugin: "celery-workers".into(),
        };
        p.record(
            &json!({}),
            &json!({"executor": "CeleryExecutor"}),
            &step,
            None,
        );
        assert!(run_with(replaced_by_a_step, json!({"executor": "CeleryExecutor"}), p).is_empty());
    }
}
