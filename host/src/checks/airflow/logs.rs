//! Task logs on block storage: `logs.persistence` is one volume shared by the scheduler, the
//! workers and the API server (ReadWriteMany). EBS classes (`gp2`, `gp3`, `io1`, `io2`, `sc1`,
//! `st1`, a name with `ebs`) and the `ebs.csi.aws.com` provisioner (when the pipeline emits the
//! StorageClass) attach to one node only: pods on other nodes cannot mount the logs. EFS
//! (`efs.csi.aws.com`) or another RWX class is needed.

use super::{Ctx, Finding};

use airflow_facts::BLOCK_STORAGE_CLASSES as BLOCK_CLASSES;

pub fn block_storage_for_shared_logs(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.flag("logs.persistence.enabled") || ctx.str("logs.persistence.existingClaim").is_some()
    {
        return Vec::new();
    }
    let Some(class) = ctx.str("logs.persistence.storageClassName") else {
        return Vec::new();
    };
    // A StorageClass the pipeline emits tells its provisioner.
    let ebs_provisioner = ctx.render.manifests.iter().any(|m| {
        let o = &m.object;
        o["kind"] == "StorageClass"
            && o["metadata"]["name"] == class
            && matches!(
                o["provisioner"].as_str(),
                Some("ebs.csi.aws.com" | "kubernetes.io/aws-ebs")
            )
    });
    if !BLOCK_CLASSES.contains(&class) && !class.contains("ebs") && !ebs_provisioner {
        return Vec::new();
    }
    vec![Finding::error(
        "logs.persistence.storageClassName",
        format!(
            "`{class}`{} is block storage (EBS), which one node at a time can mount; the task logs volume is \
             shared by pods on many nodes (ReadWriteMany). Use an EFS class (`efs.csi.aws.com`) or another \
             ReadWriteMany storage class",
            ctx.set_by("logs.persistence.storageClassName")
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::super::test_support::run;
    use super::*;
    use serde_json::json;

    #[test]
    fn ebs_classes_fail_and_efs_passes() {
        for class in ["gp3", "gp2", "io2", "ebs-sc"] {
            let f = run(
                block_storage_for_shared_logs,
                json!({"logs": {"persistence": {"enabled": true, "storageClassName": class}}}),
            );
            assert_eq!(f.len(), 1, "{class}");
        }
        assert!(
            run(
                block_storage_for_shared_logs,
                json!({"logs": {"persistence": {"enabled": true, "storageClassName": "efs-sc"}}})
            )
            .is_empty()
        );
        assert!(
            run(
                block_storage_for_shared_logs,
                json!({"logs": {"persistence": {"enabled": false, "storageClassName": "gp3"}}})
            )
            .is_empty()
        );
    }
}
