//! KEDA settings without effect: KEDA uses `cooldownPeriod` only when it scales a workload down
//! to zero, so with `minReplicaCount` above 0 it does nothing.

use super::{Ctx, Finding};

pub fn settings_without_effect(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.flag("workers.keda.enabled") {
        return Vec::new();
    }
    let written =
        crate::values::get(ctx.user, "workers.keda.cooldownPeriod").is_some_and(|v| !v.is_null());
    let min = ctx
        .get("workers.keda.minReplicaCount")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    if !written || min == 0 {
        return Vec::new();
    }
    vec![Finding::warning(
        "workers.keda.cooldownPeriod",
        format!(
            "has no effect{}: KEDA uses it only to scale down to zero, and `workers.keda.minReplicaCount` is {min}{}",
            ctx.set_by("workers.keda.cooldownPeriod"),
            ctx.set_by("workers.keda.minReplicaCount")
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::super::test_support::run;
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
}
