use super::*;

fn config() -> Config {
    Config {
        host: "host.example.com".into(),
        port: 5432,
        database: "airflow_db".into(),
        user: "your_id".into(),
        password: "your_pw".into(),
        sslmode: None,
        sslrootcert: None,
        metadata_secret_name: Some("prod-mydatabase".into()),
        result_backend_secret_name: Some("result-backend-mydatabase".into()),
        pgbouncer_config_secret_name: None,
        pgbouncer_stats_secret_name: None,
    }
}

fn ctx(values: Value) -> Context {
    let release = Release {
        name: "airflow".into(),
        namespace: "airflow".into(),
        chart: "apache-airflow/airflow".into(),
        chart_version: "1.19.0".into(),
        environment: "prod".into(),
    };
    let facts = airflow_chart::select(&release.chart_version).unwrap();
    Context::from_values(&facts, release, &values)
}

fn secret<'a>(p: &'a Plan, name: &str) -> &'a SecretPlan {
    p.secrets
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no Secret {name} in {p:?}"))
}

#[test]
fn url_matches_the_production_guide_form() {
    assert_eq!(
        connection_url(&config()),
        "postgresql://your_id:your_pw@host.example.com:5432/airflow_db"
    );
}

#[test]
fn special_characters_in_credentials_are_percent_encoded() {
    let c = Config {
        user: "a@b".into(),
        password: "p@ss:w/rd?#%".into(),
        ..config()
    };
    assert_eq!(
        connection_url(&c),
        "postgresql://a%40b:p%40ss%3Aw%2Frd%3F%23%25@host.example.com:5432/airflow_db"
    );
}

#[test]
fn sslmode_goes_in_the_query() {
    let c = Config {
        sslmode: Some("require".into()),
        ..config()
    };
    assert!(connection_url(&c).ends_with("/airflow_db?sslmode=require"));
}

#[test]
fn celery_gets_a_db_plus_result_backend_and_the_metadata_url_has_none() {
    let p = plan(&config(), &ctx(json!({"executor": "CeleryExecutor"}))).unwrap();
    let meta = secret(&p, "prod-mydatabase").get("connection").unwrap();
    assert!(meta.starts_with("postgresql://"));
    assert_eq!(
        secret(&p, "result-backend-mydatabase")
            .get("connection")
            .unwrap(),
        format!("db+{meta}")
    );
    assert!(p.set.contains(&("postgresql.enabled".into(), json!(false))));
}

#[test]
fn non_celery_executors_get_no_result_backend() {
    for executor in ["KubernetesExecutor", "LocalExecutor"] {
        let p = plan(&config(), &ctx(json!({"executor": executor}))).unwrap();
        assert_eq!(p.secrets.len(), 1, "{executor}");
        assert!(
            !p.set
                .iter()
                .any(|(k, _)| k == "data.resultBackendSecretName")
        );
    }
    // Unset means the chart default, CeleryExecutor.
    assert_eq!(plan(&config(), &ctx(json!({}))).unwrap().secrets.len(), 2);
}

#[test]
fn invalid_secret_name_is_rejected_with_a_hint() {
    let c = Config {
        metadata_secret_name: Some("prod_database".into()),
        ..config()
    };
    let PluginError::InvalidConfig(msg) = plan(&c, &ctx(json!({}))).unwrap_err() else {
        panic!("wrong error kind")
    };
    assert!(
        msg.starts_with("`metadataSecretName`: `prod_database` is not a valid"),
        "{msg}"
    );
    assert!(msg.contains("hint: use `prod-database`"), "{msg}");
}

#[test]
fn one_secret_for_both_is_rejected() {
    let c = Config {
        result_backend_secret_name: Some("prod-mydatabase".into()),
        ..config()
    };
    assert!(matches!(
        plan(&c, &ctx(json!({}))),
        Err(PluginError::InvalidConfig(_))
    ));
}

#[test]
fn names_come_from_config_then_values_then_defaults() {
    let c = Config {
        metadata_secret_name: None,
        result_backend_secret_name: None,
        ..config()
    };
    let p = plan(&c, &ctx(json!({}))).unwrap();
    assert_eq!(p.secrets[0].name, "airflow-metadata-connection");
    assert_eq!(p.secrets[1].name, "airflow-result-backend-connection");
    let p = plan(
        &c,
        &ctx(json!({"data": {"metadataSecretName": "from-values"}})),
    )
    .unwrap();
    assert_eq!(p.secrets[0].name, "from-values");
    let p = plan(
        &config(),
        &ctx(json!({"data": {"metadataSecretName": "from-values"}})),
    )
    .unwrap();
    assert_eq!(p.secrets[0].name, "prod-mydatabase");
    assert_eq!(
        p.warnings,
        vec![(
            "data.metadataSecretName".to_owned(),
            "replaced `from-values` from the values with `prod-mydatabase` from the step config"
                .to_owned()
        )]
    );
}

#[test]
fn host_with_scheme_or_port_is_rejected() {
    for host in ["postgresql://h", "h:5432", "h/db", ""] {
        let c = Config {
            host: host.into(),
            ..config()
        };
        assert!(plan(&c, &ctx(json!({}))).is_err(), "{host}");
    }
}

#[test]
fn with_pgbouncer_airflow_goes_through_it_and_pgbouncer_gets_its_own_config() {
    let c = Config {
        sslmode: Some("require".into()),
        ..config()
    };
    let p = plan(&c, &ctx(json!({"pgbouncer": {"enabled": true}}))).unwrap();
    assert_eq!(
        secret(&p, "prod-mydatabase").get("connection").unwrap(),
        "postgresql://your_id:your_pw@airflow-pgbouncer.airflow:6543/airflow-metadata?sslmode=disable"
    );
    assert_eq!(
        secret(&p, "result-backend-mydatabase")
            .get("connection")
            .unwrap(),
        "db+postgresql://your_id:your_pw@airflow-pgbouncer.airflow:6543/airflow-result-backend?sslmode=disable"
    );
    let ini = secret(&p, "airflow-pgbouncer-config")
        .get("pgbouncer.ini")
        .unwrap();
    assert!(
        ini.contains(
            "airflow-metadata = host=host.example.com dbname=airflow_db port=5432 pool_size=10\n"
        ),
        "{ini}"
    );
    assert!(ini.contains("server_tls_sslmode = require\n"), "{ini}");
    assert_eq!(
        secret(&p, "airflow-pgbouncer-config")
            .get("users.txt")
            .unwrap(),
        "\"your_id\" \"your_pw\"\n"
    );
    assert!(
        secret(&p, "airflow-pgbouncer-stats")
            .get("connection")
            .unwrap()
            .ends_with("@127.0.0.1:6543/pgbouncer?sslmode=disable")
    );
    assert!(p.set.contains(&(
        "pgbouncer.configSecretName".into(),
        json!("airflow-pgbouncer-config")
    )));
    assert!(
        secret(&p, "prod-mydatabase")
            .get("kedaConnection")
            .is_none()
    );
}

#[test]
fn keda_bypassing_pgbouncer_gets_a_direct_keda_connection() {
    let v = json!({"pgbouncer": {"enabled": true}, "workers": {"keda": {"enabled": true, "usePgbouncer": false}}});
    let p = plan(&config(), &ctx(v)).unwrap();
    assert_eq!(
        secret(&p, "prod-mydatabase").get("kedaConnection").unwrap(),
        connection_url(&config())
    );
    // With the default usePgbouncer: true KEDA uses AIRFLOW_CONN_AIRFLOW_DB instead.
    let v = json!({"pgbouncer": {"enabled": true}, "workers": {"keda": {"enabled": true}}});
    assert!(
        secret(&plan(&config(), &ctx(v)).unwrap(), "prod-mydatabase")
            .get("kedaConnection")
            .is_none()
    );
}

#[test]
fn quotes_in_pgbouncer_passwords_are_doubled() {
    assert_eq!(pgbouncer::users_txt("u", "a\"b"), "\"u\" \"a\"\"b\"\n");
}

const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

#[test]
fn verify_modes_need_a_ca_and_name_the_option() {
    for mode in ["verify-ca", "verify-full"] {
        let c = Config {
            sslmode: Some(mode.into()),
            ..config()
        };
        let e = plan(&c, &ctx(json!({}))).unwrap_err().to_string();
        assert!(
            e.contains(&format!("`sslmode: {mode}`")) && e.contains("set `sslrootcert`"),
            "{e}"
        );
    }
    let path = Config {
        sslmode: Some("verify-full".into()),
        sslrootcert: Some("/etc/ssl/rds.pem".into()),
        ..config()
    };
    assert!(
        plan(&path, &ctx(json!({})))
            .unwrap_err()
            .to_string()
            .contains("not a path")
    );
    let unused = Config {
        sslmode: Some("require".into()),
        sslrootcert: Some(CA.into()),
        ..config()
    };
    assert!(
        plan(&unused, &ctx(json!({})))
            .unwrap_err()
            .to_string()
            .contains("only `verify-ca` and `verify-full`")
    );
}

#[test]
fn with_pgbouncer_the_ca_goes_through_the_charts_pgbouncer_settings() {
    let c = Config {
        sslmode: Some("verify-full".into()),
        sslrootcert: Some(CA.into()),
        ..config()
    };
    let p = plan(&c, &ctx(json!({"pgbouncer": {"enabled": true}}))).unwrap();
    let ini = secret(&p, "airflow-pgbouncer-config")
        .get("pgbouncer.ini")
        .unwrap();
    assert!(ini.contains("server_tls_sslmode = verify-full\n"), "{ini}");
    assert!(
        ini.contains("server_tls_ca_file = /etc/pgbouncer/root.crt\n"),
        "{ini}"
    );
    assert!(p.set.contains(&("pgbouncer.ssl.ca".into(), json!(CA))));
    assert!(p.mounts.is_empty());
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn without_pgbouncer_the_ca_is_mounted_in_every_pod_and_the_urls_name_it() {
    let c = Config {
        sslmode: Some("verify-full".into()),
        sslrootcert: Some(CA.into()),
        ..config()
    };
    let p = plan(&c, &ctx(json!({}))).unwrap();
    assert!(
        secret(&p, "prod-mydatabase")
            .get("connection")
            .unwrap()
            .ends_with(
                "/airflow_db?sslmode=verify-full&sslrootcert=/etc/airflow-database-ca/root.crt"
            )
    );
    assert_eq!(secret(&p, "airflow-database-ca").get("root.crt"), Some(CA));
    assert_eq!(p.mounts, ["airflow-database-ca"]);
    let mut v = json!({"volumes": [{"name": "other"}, {"name": "airflow-database-ca"}]});
    mount_ca(&mut v, "airflow-database-ca").unwrap();
    assert_eq!(v["volumes"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["volumes"][1]["secret"]["secretName"],
        "airflow-database-ca"
    );
    assert_eq!(
        v["volumeMounts"][0]["mountPath"],
        "/etc/airflow-database-ca"
    );
}

#[test]
fn without_sslmode_the_warning_names_both_hops() {
    let p = plan(&config(), &ctx(json!({"pgbouncer": {"enabled": true}}))).unwrap();
    let (path, message) = &p.warnings[0];
    assert_eq!(path, "pgbouncer.sslmode");
    assert!(
        message.contains("Airflow reaches PgBouncer inside the cluster without TLS")
            && message.contains(
                "PgBouncer reaches the database `host.example.com` with the TLS mode `prefer`"
            ),
        "{message}"
    );
    // A `pgbouncer.sslmode: require` in the values covers the second hop.
    let p = plan(
        &config(),
        &ctx(json!({"pgbouncer": {"enabled": true, "sslmode": "require"}})),
    )
    .unwrap();
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn the_config_schema_is_derived_from_the_config_type_with_its_bounds() {
    use helmwasm_plugin_sdk::Plugin as _;
    let s = crate::AirflowDatabase::metadata().config_schema;
    assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(s["additionalProperties"], false);
    let mut required: Vec<&str> = s["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    required.sort();
    assert_eq!(required, ["database", "host", "password", "user"]);
    let p = &s["properties"];
    assert_eq!(p["port"]["minimum"], 1);
    assert_eq!(p["port"]["maximum"], 65535);
    assert_eq!(p["port"]["default"], 5432);
    assert_eq!(p["host"]["minLength"], 1);
    assert_eq!(p["sslmode"]["enum"].as_array().unwrap().len(), 6);
    assert_eq!(p["sslrootcert"]["minLength"], 1);
    assert!(p.get("metadataSecretName").is_some() && p.get("metadata_secret_name").is_none());
}
