//! PgBouncer on while Airflow bypasses it: the chart builds PgBouncer's `pgbouncer.ini` from
//! `data.metadataConnection` (defaults: host `RELEASE-postgresql`, database `postgres`), never
//! from `data.metadataSecretName`. With a hand-made metadata Secret and no
//! `pgbouncer.configSecretName`, PgBouncer targets a database that does not exist and Airflow
//! talks straight to the database (AIRFLOW.md section 7).

use super::{Ctx, Finding};

pub fn bypass(ctx: &Ctx) -> Vec<Finding> {
    let (Some(secret), true, None) = (
        ctx.str("data.metadataSecretName"),
        ctx.flag("pgbouncer.enabled"),
        ctx.str("pgbouncer.configSecretName"),
    ) else {
        return Vec::new();
    };
    vec![Finding::error(
        "pgbouncer.enabled",
        format!(
            "PgBouncer is on{} but Airflow bypasses it: `data.metadataSecretName` is `{secret}`{}, while the \
             chart configures PgBouncer from `data.metadataConnection` (host RELEASE-postgresql, database \
             postgres). Let the `airflow-database` step (after `pgbouncer`) write both, or set \
             `pgbouncer.configSecretName` to a Secret with PgBouncer's own `pgbouncer.ini` and `users.txt`",
            ctx.set_by("pgbouncer.enabled"),
            ctx.set_by("data.metadataSecretName"),
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::super::test_support::run;
    use super::*;
    use serde_json::json;

    #[test]
    fn the_hand_written_shape_is_a_bypass() {
        let f = run(
            bypass,
            json!({"pgbouncer": {"enabled": true}, "data": {"metadataSecretName": "prod-db"}}),
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.starts_with("PgBouncer is on (set by values.yaml) but Airflow bypasses it: `data.metadataSecretName` is `prod-db` (set by values.yaml)"), "{}", f[0].message);
    }

    #[test]
    fn a_pgbouncer_config_or_pgbouncer_off_is_fine() {
        assert!(run(bypass, json!({"pgbouncer": {"enabled": true, "configSecretName": "c"}, "data": {"metadataSecretName": "m"}})).is_empty());
        assert!(
            run(
                bypass,
                json!({"pgbouncer": {"enabled": false}, "data": {"metadataSecretName": "m"}})
            )
            .is_empty()
        );
        assert!(run(bypass, json!({"pgbouncer": {"enabled": true}})).is_empty());
    }
}
