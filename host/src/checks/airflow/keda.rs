//! KEDA settings without effect: KEDA uses `cooldownPeriod` only when it scales a workload down
//! to zero, so with `minReplicaCount` above 0 it does nothing.

use super::{Ctx, Finding};

pub fn settings_without_effect(ctx: &Ctx) -> Vec<Finding> {
    if !ctx
        .fact("workers.keda.enabled")
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
    {
        return Vec::new();
    }
    // A cooldown someone wrote (not the chart's default), at whichever path they wrote it.
    let Some(cooldown) = ctx.facts.first_set("workers.keda.cooldownPeriod", |p| {
        crate::values::get(ctx.user, p)
            .is_some_and(|v| !v.is_null())
            .then_some(p)
    }) else {
        return Vec::new();
    };
    let min = ctx
        .fact("workers.keda.minReplicaCount")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    if min == 0 {
        return Vec::new();
    }
    let min_path = ctx.fact_path("workers.keda.minReplicaCount");
    vec![Finding::warning(
        cooldown,
        format!(
            "has no effect{}: KEDA uses it only to scale down to zero, and `{min_path}` is {min}{}",
            ctx.set_by(cooldown),
            ctx.set_by(min_path)
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{run, run_on};
    use super::*;
    use serde_json::json;

    #[test]
    fn cooldown_with_a_minimum_above_zero_is_warned_about() {
        let f = run(
            settings_without_effect,
            json!({"workers": {"keda": {"enabled": true, "minReplicaCount": 2, "cooldownPeriod": 30}}}),
        );
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .starts_with("has no effect (set by values.yaml)"),
            "{}",
            f[0].message
        );
        assert!(run(settings_without_effect, json!({"workers": {"keda": {"enabled": true, "minReplicaCount": 0, "cooldownPeriod": 30}}})).is_empty());
        assert!(
            run(
                settings_without_effect,
                json!({"workers": {"keda": {"enabled": true, "minReplicaCount": 2}}})
            )
            .is_empty()
        );
    }

    #[test]
    fn from_chart_1_20_under_workers_celery_keda() {
        let keda = json!({"enabled": true, "minReplicaCount": 2, "cooldownPeriod": 30});
        let f = run_on(
            "1.21.0",
            settings_without_effect,
            json!({"workers": {"celery": {"keda": keda}}}),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].path, "workers.celery.keda.cooldownPeriod");
        assert!(
            f[0].message
                .contains("`workers.celery.keda.minReplicaCount` is 2"),
            "{}",
            f[0].message
        );
        // The deprecated spelling still counts: the chart reads it when the new one is unset.
        let f = run_on(
            "1.20.0",
            settings_without_effect,
            json!({"workers": {"keda": keda, "celery": {"keda": {"enabled": null}}}}),
        );
        assert_eq!(f[0].path, "workers.keda.cooldownPeriod");
        // The new spelling wins: a minimum of 0 there means the cooldown matters.
        let values = json!({"workers": {"keda": keda, "celery": {"keda": {"minReplicaCount": 0}}}});
        assert!(run_on("1.21.0", settings_without_effect, values).is_empty());
    }
}
