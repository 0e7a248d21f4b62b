use super::*;

#[test]
fn versions_select_their_line_or_the_newest() {
    let f = |v: &str| select(v).map(|f| (f.line, f.chart));
    assert_eq!(f("1.19.0"), Ok((Line(1, 19), Line(1, 19))));
    assert_eq!(f("v1.19.2-rc1"), Ok((Line(1, 19), Line(1, 19))));
    assert_eq!(f("1.20.0"), Ok((Line(1, 20), Line(1, 20))));
    assert_eq!(f("~1.21.0"), Ok((Line(1, 21), Line(1, 21))));
    assert_eq!(f("1.21.x"), Ok((Line(1, 21), Line(1, 21))));
    assert_eq!(f("1.22.0"), Ok((Line(1, 21), Line(1, 22))));
    assert!(select("1.22.0").unwrap().is_newer());
    assert!(!select("1.21.3").unwrap().is_newer());
    assert_eq!(select("1.22.0").unwrap().tested(), "1.21.0");
    assert!(matches!(select("1.18.0"), Err(Refusal::TooOld(_))));
    assert!(matches!(select("2.0.0"), Err(Refusal::OtherMajor(_))));
    assert!(matches!(select("25.0.2"), Err(Refusal::OtherMajor(_))));
    assert!(matches!(select("x"), Err(Refusal::NotAVersion(_))));
    assert!(matches!(select(""), Err(Refusal::NotAVersion(_))));
    let two = select("2.0.0").unwrap_err().to_string();
    assert!(
        two.contains("another major version") && two.contains("1.19 to 1.21"),
        "{two}"
    );
}

#[test]
fn keys_move_where_the_chart_moved_them() {
    let (l19, l20, l21) = (
        select("1.19.0").unwrap(),
        select("1.20.0").unwrap(),
        select("1.21.0").unwrap(),
    );
    assert_eq!(l19.path("workers.resources"), "workers.resources");
    assert_eq!(l20.path("workers.resources"), "workers.celery.resources");
    assert_eq!(l19.path("workers.keda.enabled"), "workers.keda.enabled");
    assert_eq!(
        l20.path("workers.keda.enabled"),
        "workers.celery.keda.enabled"
    );
    assert_eq!(
        l20.path("workers.logGroomerSidecar.resources"),
        "workers.logGroomerSidecar.resources"
    );
    assert_eq!(
        l21.path("workers.logGroomerSidecar.resources"),
        "workers.celery.logGroomerSidecar.resources"
    );
    assert_eq!(l19.path("workers.replicas"), "workers.celery.replicas");
    assert_eq!(
        l21.paths("workers.keda.enabled"),
        ["workers.celery.keda.enabled", "workers.keda.enabled"]
    );
    assert!(
        l21.renamed()
            .contains(&("workers.resources", "workers.celery.resources"))
    );
    assert!(
        !l19.renamed()
            .contains(&("workers.resources", "workers.celery.resources"))
    );
}

#[test]
fn versioned_values() {
    let (l19, l20, l21) = (
        select("1.19.0").unwrap(),
        select("1.20.0").unwrap(),
        select("1.21.0").unwrap(),
    );
    assert_eq!(l19.default_airflow_version(), "3.1.7");
    assert_eq!(l20.default_airflow_version(), "3.1.8");
    assert_eq!(l21.default_airflow_version(), "3.2.0");
    assert_eq!(select("1.22.1").unwrap().default_airflow_version(), "3.2.0");
    assert_eq!(l20.jwt_secret_length(), 32);
    assert_eq!(l21.jwt_secret_length(), 128);
    assert_eq!(l21.secret_key("fernetKeySecretName"), "fernet-key");
    assert_eq!(l21.secret_key("redis.passwordSecretName"), "password");
}

#[test]
fn every_fact_a_lookup_names_exists() {
    for (line, _) in LINES {
        let f = Facts {
            line: *line,
            chart: *line,
        };
        // Components, Secret refs and pod annotations name keys of the table.
        assert_eq!(f.components().len(), data::COMPONENTS.len());
        assert_eq!(f.secret_refs().len(), SECRET_REFS.len());
        assert_eq!(f.pod_annotations().len(), 3);
        for k in KEYS {
            assert!(!f.paths(k.name).is_empty(), "{}", k.name);
        }
    }
    assert_eq!(data::TOP_LEVEL_KEYS.len(), 81);
    let mut names: Vec<_> = KEYS.iter().map(|k| k.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), KEYS.len(), "a key is written twice");
}
