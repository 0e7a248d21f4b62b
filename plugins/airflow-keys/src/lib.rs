//! `airflow-keys`: the keys the Airflow chart would generate with `randAlphaNum` on every render
//! (Fernet key, API secret key and JWT secret for Airflow 3, webserver secret key for Airflow 2,
//! the built-in Redis password and its broker URL), emitted as Secrets and wired in through the
//! chart's `*SecretName` values.
//!
//! Without this step two renders of the chart differ, so every `helm upgrade` or GitOps sync
//! restarts pods, and a regenerated Fernet key leaves stored connections unreadable. Each key
//! is given by reference in `with:`, or derived from the host's secure randomness, which is
//! keyed by the pipeline's `randomSeed` and the release, step and plugin: the same pipeline and
//! seed give the same keys on every render, and nobody without the seed can predict them.

use airflow_chart::Facts;
use base64::Engine as _;
use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, Value, export_plugin, json, k8s, values,
};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// A Fernet key (32 bytes, URL-safe base64), usually a secret reference.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub fernet_key: Option<String>,
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub api_secret_key: Option<String>,
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub jwt_secret: Option<String>,
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub webserver_secret_key: Option<String>,
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub redis_password: Option<String>,
}

/// One managed key: the values path naming its Secret and the Secret's name suffix; the data
/// key the chart reads comes from the shared chart facts.
struct Key {
    value_path: &'static str,
    suffix: &'static str,
}

const FERNET: Key = Key {
    value_path: "fernetKeySecretName",
    suffix: "fernet-key",
};
const API: Key = Key {
    value_path: "apiSecretKeySecretName",
    suffix: "api-secret-key",
};
const JWT: Key = Key {
    value_path: "jwtSecretName",
    suffix: "jwt-secret",
};
const WEBSERVER: Key = Key {
    value_path: "webserverSecretKeySecretName",
    suffix: "webserver-secret-key",
};
const REDIS: Key = Key {
    value_path: "redis.passwordSecretName",
    suffix: "redis-password",
};
const BROKER: Key = Key {
    value_path: "data.brokerUrlSecretName",
    suffix: "broker-url",
};

/// Where random bytes come from: the host's seeded randomness in a plugin, anything in tests.
pub type Random<'a> = &'a mut dyn FnMut(&mut [u8]) -> Result<(), PluginError>;

fn host_random(buf: &mut [u8]) -> Result<(), PluginError> {
    getrandom::fill(buf).map_err(|e| {
        PluginError::Internal(format!(
            "no secure randomness ({e}): set the pipeline's `randomSeed`, or give every key by reference"
        ))
    })
}

/// A valid Fernet key: 32 random bytes, URL-safe base64 with padding (44 characters).
pub fn fernet_key(random: Random) -> Result<String, PluginError> {
    let mut bytes = [0u8; 32];
    random(&mut bytes)?;
    Ok(base64::engine::general_purpose::URL_SAFE.encode(bytes))
}

/// A secret of `n` random bytes as lowercase hex (URL-safe, so it can sit in a broker URL).
fn hex_secret(random: Random, n: usize) -> Result<String, PluginError> {
    let mut bytes = vec![0u8; n];
    random(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Check a Fernet key given by the user: Airflow cannot decrypt anything with a malformed one.
fn check_fernet(key: &str) -> Result<(), PluginError> {
    let decoded = base64::engine::general_purpose::URL_SAFE.decode(key.trim());
    match decoded {
        Ok(b) if b.len() == 32 => Ok(()),
        _ => Err(PluginError::InvalidConfig(
            "`fernetKey` is not a Fernet key (32 bytes, URL-safe base64, 44 characters); make one \
             with `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
                .into(),
        )),
    }
}

/// The chart's `airflow.fullname`: the release name, unless `useStandardNaming` is on.
pub fn fullname(release: &str, v: &Value) -> String {
    if !airflow_chart::flag(v, "useStandardNaming", false) {
        return release.to_owned();
    }
    if let Some(o) = values::get_str(v, "fullnameOverride").filter(|s| !s.is_empty()) {
        return trunc63(o);
    }
    let name = values::get_str(v, "nameOverride")
        .filter(|s| !s.is_empty())
        .unwrap_or("airflow");
    if release.contains(name) {
        trunc63(release)
    } else {
        trunc63(&format!("{release}-{name}"))
    }
}

fn trunc63(s: &str) -> String {
    s.chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// Set the `*SecretName` values and return the Secrets to emit, in a fixed order.
pub fn apply(
    f: &Facts,
    c: &Config,
    release: &str,
    namespace: &str,
    v: &mut Value,
    random: Random,
) -> Result<Vec<Value>, PluginError> {
    let mut secrets = Vec::new();
    let mut manage = |key: &Key, secret: String, v: &mut Value| -> Result<(), PluginError> {
        let path = f.path(key.value_path);
        if let Some(existing) = values::get_str(v, path).filter(|s| !s.is_empty()) {
            return Err(PluginError::InvalidValues(format!(
                "`{path}` is already `{existing}`: this step would replace that Secret; drop one of the two"
            )));
        }
        let name = format!("{release}-managed-{}", key.suffix);
        k8s::check_subdomain(&name).map_err(PluginError::InvalidValues)?;
        values::set(v, path, json!(name))?;
        secrets.push(k8s::secret(
            &name,
            namespace,
            [(f.secret_key(key.value_path), secret.as_bytes())],
        ));
        Ok(())
    };

    let fernet = match &c.fernet_key {
        Some(k) => {
            check_fernet(k)?;
            k.trim().to_owned()
        }
        None => fernet_key(random)?,
    };
    manage(&FERNET, fernet, v)?;
    if airflow_chart::airflow_major(f, v)? >= 3 {
        if airflow_chart::fact_flag(f, v, "apiServer.enabled", true) {
            let api = given_or(&c.api_secret_key, random)?;
            manage(&API, api, v)?;
            // As long as the chart's own (128 characters from chart 1.21), never under 64.
            let jwt = given_or_len(&c.jwt_secret, random, f.jwt_secret_length().max(64))?;
            manage(&JWT, jwt, v)?;
        }
    } else {
        let web = given_or(&c.webserver_secret_key, random)?;
        manage(&WEBSERVER, web, v)?;
    }
    if airflow_chart::fact_flag(f, v, "redis.enabled", true) {
        let password = given_or(&c.redis_password, random)?;
        let host = format!("{}-redis", fullname(release, v));
        let url = format!("redis://:{}@{host}:6379/0", query_escape(&password));
        manage(&REDIS, password, v)?;
        manage(&BROKER, url, v)?;
    }
    Ok(secrets)
}

fn given_or(given: &Option<String>, random: Random) -> Result<String, PluginError> {
    given_or_len(given, random, 64)
}

/// The key given, or `chars` random hex characters (`chars` even).
fn given_or_len(
    given: &Option<String>,
    random: Random,
    chars: usize,
) -> Result<String, PluginError> {
    match given {
        Some(s) if !s.is_empty() => Ok(s.clone()),
        Some(_) => Err(PluginError::InvalidConfig("a key is empty".into())),
        None => hex_secret(random, chars / 2),
    }
}

/// Go's `url.QueryEscape`, as the chart's `urlquery` applies it to the Redis password.
fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

struct AirflowKeys;

impl Plugin for AirflowKeys {
    fn metadata() -> Metadata {
        Metadata::new(
            "airflow-keys",
            env!("CARGO_PKG_VERSION"),
            "The Airflow chart's generated keys as reproducible Secrets (Fernet, API, JWT, webserver, Redis)",
        )
        .config_schema_of::<Config>()
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        let facts = airflow_chart::facts(&req.release, "airflow-keys")?;
        let config: Config = req.config()?;
        let mut out = Response::new(req.values);
        let secrets = apply(
            &facts,
            &config,
            &req.release.name,
            &req.release.namespace,
            &mut out.values,
            &mut host_random,
        )?;
        for s in secrets {
            out.emit(s);
        }
        Ok(out)
    }
}

export_plugin!(AirflowKeys);

#[cfg(test)]
mod tests;
