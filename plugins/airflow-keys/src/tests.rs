use super::*;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

/// A fixed byte stream, as the host's seeded randomness is for one seed.
fn counter() -> impl FnMut(&mut [u8]) -> Result<(), PluginError> {
    let mut n = 0u8;
    move |buf: &mut [u8]| {
        for b in buf {
            *b = n;
            n = n.wrapping_add(1);
        }
        Ok(())
    }
}

fn facts() -> Facts {
    airflow_chart::select("1.19.0").unwrap()
}

#[test]
fn the_jwt_secret_is_as_long_as_the_chart_version_makes_it() {
    for (version, chars) in [
        ("1.19.0", 64),
        ("1.20.0", 64),
        ("1.21.0", 128),
        ("1.22.0", 128),
    ] {
        let f = airflow_chart::select(version).unwrap();
        let secrets = apply(
            &f,
            &Config::default(),
            "a",
            "n",
            &mut json!({}),
            &mut counter(),
        )
        .unwrap();
        let jwt = secrets
            .iter()
            .find(|s| s["metadata"]["name"] == "a-managed-jwt-secret")
            .unwrap();
        assert_eq!(data(jwt, "jwt-secret").len(), chars, "{version}");
    }
}

fn data(secret: &Value, key: &str) -> String {
    String::from_utf8(
        STANDARD
            .decode(secret["data"][key].as_str().unwrap())
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn airflow_3_gets_fernet_api_jwt_and_redis_secrets() {
    let mut v = json!({});
    let mut r = counter();
    let secrets = apply(
        &facts(),
        &Config::default(),
        "airflow",
        "airflow",
        &mut v,
        &mut r,
    )
    .unwrap();
    let names: Vec<&str> = secrets
        .iter()
        .map(|s| s["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "airflow-managed-fernet-key",
            "airflow-managed-api-secret-key",
            "airflow-managed-jwt-secret",
            "airflow-managed-redis-password",
            "airflow-managed-broker-url"
        ]
    );
    assert_eq!(v["fernetKeySecretName"], "airflow-managed-fernet-key");
    assert_eq!(
        v["apiSecretKeySecretName"],
        "airflow-managed-api-secret-key"
    );
    assert_eq!(v["jwtSecretName"], "airflow-managed-jwt-secret");
    assert_eq!(
        v["redis"]["passwordSecretName"],
        "airflow-managed-redis-password"
    );
    assert_eq!(
        v["data"]["brokerUrlSecretName"],
        "airflow-managed-broker-url"
    );
    assert!(v.get("webserverSecretKeySecretName").is_none());
    let fernet = data(&secrets[0], "fernet-key");
    assert_eq!(fernet.len(), 44);
    assert_eq!(
        URL_SAFE.decode(&fernet).unwrap(),
        (0u8..32).collect::<Vec<_>>()
    );
    let password = data(&secrets[3], "password");
    assert_eq!(password.len(), 64);
    assert_eq!(
        data(&secrets[4], "connection"),
        format!("redis://:{password}@airflow-redis:6379/0")
    );
    for s in &secrets {
        assert_eq!(s["metadata"]["namespace"], "airflow");
    }
}

#[test]
fn the_same_randomness_gives_the_same_secrets() {
    let run = || {
        let mut v = json!({});
        apply(
            &facts(),
            &Config::default(),
            "a",
            "n",
            &mut v,
            &mut counter(),
        )
        .unwrap()
    };
    assert_eq!(run(), run());
}

#[test]
fn airflow_2_gets_a_webserver_key_and_redis_can_be_off() {
    let mut v = json!({"airflowVersion": "2.10.5", "redis": {"enabled": false}});
    let secrets = apply(
        &facts(),
        &Config::default(),
        "af",
        "ns",
        &mut v,
        &mut counter(),
    )
    .unwrap();
    let names: Vec<&str> = secrets
        .iter()
        .map(|s| s["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["af-managed-fernet-key", "af-managed-webserver-secret-key"]
    );
    assert!(v.get("jwtSecretName").is_none());
    assert!(v["data"].get("brokerUrlSecretName").is_none());
}

#[test]
fn given_keys_are_used_and_checked() {
    let key = URL_SAFE.encode([7u8; 32]);
    let c = Config {
        fernet_key: Some(key.clone()),
        redis_password: Some("p@ss word".into()),
        ..Config::default()
    };
    let mut v = json!({"useStandardNaming": true});
    let secrets = apply(&facts(), &c, "prod", "ns", &mut v, &mut counter()).unwrap();
    assert_eq!(data(&secrets[0], "fernet-key"), key);
    assert_eq!(
        data(&secrets[4], "connection"),
        "redis://:p%40ss+word@prod-airflow-redis:6379/0"
    );
    let bad = Config {
        fernet_key: Some("not-a-key".into()),
        ..Config::default()
    };
    let e = apply(&facts(), &bad, "a", "n", &mut json!({}), &mut counter()).unwrap_err();
    assert!(matches!(e, PluginError::InvalidConfig(m) if m.contains("is not a Fernet key")));
}

#[test]
fn a_secret_name_already_chosen_is_not_replaced_silently() {
    let mut v = json!({"fernetKeySecretName": "mine"});
    let e = apply(
        &facts(),
        &Config::default(),
        "a",
        "n",
        &mut v,
        &mut counter(),
    )
    .unwrap_err();
    assert!(
        matches!(e, PluginError::InvalidValues(m) if m.contains("`fernetKeySecretName` is already `mine`"))
    );
}

#[test]
fn fullname_follows_the_chart_helper() {
    assert_eq!(fullname("airflow", &json!({})), "airflow");
    assert_eq!(
        fullname("prod", &json!({"useStandardNaming": true})),
        "prod-airflow"
    );
    assert_eq!(
        fullname("my-airflow", &json!({"useStandardNaming": true})),
        "my-airflow"
    );
    assert_eq!(
        fullname(
            "x",
            &json!({"useStandardNaming": true, "fullnameOverride": "y"})
        ),
        "y"
    );
}
