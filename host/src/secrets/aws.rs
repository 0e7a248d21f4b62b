//! `ref+awssecrets://NAME[?region=R&version_stage=S&version_id=V][#/json/pointer]` (AWS Secrets
//! Manager) and `ref+awsssm://PATH/TO/PARAM[?region=R]` (SSM Parameter Store, decrypted), the
//! scheme names vals uses.
//!
//! The AWS SDK does the talking: its standard credential chain (environment, shared profile,
//! web identity as EKS IRSA sets it up, EKS Pod Identity / container credentials, instance
//! metadata), its region chain unless the reference names one, and its standard endpoint
//! override `AWS_ENDPOINT_URL` (also how a private VPC endpoint or a local test endpoint is
//! reached). Every reference of a run is resolved once: [`Backend::prefetch`] fetches them
//! concurrently on one current-thread runtime and keeps the results for the run.
//! Errors name the reference, the service and the region, never a value.

use super::{Backend, Reference};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    SecretsManager,
    Ssm,
}

pub struct AwsBackend {
    service: Service,
    runtime: OnceLock<Result<tokio::runtime::Runtime, String>>,
    /// Results by reference text, for the run.
    cache: Mutex<HashMap<String, Result<String, String>>>,
}

/// What a reference asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    name: String,
    region: Option<String>,
    version_stage: Option<String>,
    version_id: Option<String>,
}

impl AwsBackend {
    pub fn new(service: Service) -> Self {
        AwsBackend {
            service,
            runtime: OnceLock::new(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn what(&self) -> &'static str {
        match self.service {
            Service::SecretsManager => "AWS Secrets Manager",
            Service::Ssm => "AWS SSM Parameter Store",
        }
    }

    fn target(&self, r: &Reference) -> Result<Target, String> {
        let (path, query) = match r.location.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (r.location.as_str(), None),
        };
        if path.trim_matches('/').is_empty() {
            return Err(format!("`{}` names no {}", r.raw, self.noun()));
        }
        let mut t = Target {
            name: match self.service {
                Service::SecretsManager => path.to_owned(),
                // vals: `ref+awsssm://path/to/param` is the parameter `/path/to/param`.
                Service::Ssm => format!("/{}", path.trim_start_matches('/')),
            },
            region: None,
            version_stage: None,
            version_id: None,
        };
        for pair in query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|p| !p.is_empty())
        {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if v.is_empty() {
                return Err(format!("`{k}` in `{}` has no value", r.raw));
            }
            match (k, self.service) {
                ("region", _) => t.region = Some(v.to_owned()),
                ("version_stage", Service::SecretsManager) => t.version_stage = Some(v.to_owned()),
                ("version_id", Service::SecretsManager) => t.version_id = Some(v.to_owned()),
                _ => {
                    return Err(format!(
                        "`{}`: unknown parameter `{k}` (known: {})",
                        r.raw,
                        match self.service {
                            Service::SecretsManager => "region, version_stage, version_id",
                            Service::Ssm => "region",
                        }
                    ));
                }
            }
        }
        Ok(t)
    }

    fn noun(&self) -> &'static str {
        match self.service {
            Service::SecretsManager => "secret",
            Service::Ssm => "parameter",
        }
    }

    fn runtime(&self) -> Result<&tokio::runtime::Runtime, String> {
        self.runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the AWS client runtime: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Fetch every target concurrently: (reference text, result).
    fn fetch_all(
        &self,
        refs: Vec<(String, Target, Option<String>)>,
    ) -> Vec<(String, Result<String, String>)> {
        let runtime = match self.runtime() {
            Ok(r) => r,
            Err(e) => {
                return refs
                    .into_iter()
                    .map(|(raw, _, _)| (raw, Err(e.clone())))
                    .collect();
            }
        };
        let service = self.service;
        let what = self.what();
        let noun = self.noun();
        runtime.block_on(async move {
            // One SDK config per region asked for (None: the default chain's).
            let mut configs: HashMap<Option<String>, aws_config::SdkConfig> = HashMap::new();
            for (_, t, _) in &refs {
                if !configs.contains_key(&t.region) {
                    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                    if let Some(r) = &t.region {
                        loader = loader.region(aws_config::Region::new(r.clone()));
                    }
                    configs.insert(t.region.clone(), loader.load().await);
                }
            }
            let mut tasks = tokio::task::JoinSet::new();
            for (i, (raw, t, fragment)) in refs.into_iter().enumerate() {
                let config = configs[&t.region].clone();
                tasks.spawn(async move {
                    let region = config
                        .region()
                        .map(|r| r.to_string())
                        .unwrap_or_else(|| "no region".to_owned());
                    let result = match service {
                        Service::SecretsManager => secrets_manager(&config, &t).await,
                        Service::Ssm => ssm(&config, &t).await,
                    };
                    let result = result
                        .map_err(|e| e.message(what, noun, &t.name, &region))
                        .and_then(|value| match &fragment {
                            Some(pointer) => super::pointer_in(&value, pointer)
                                .map_err(|e| format!("the {noun} `{}`: {e}", t.name)),
                            None => Ok(value),
                        });
                    (i, raw, result)
                });
            }
            let mut out = Vec::new();
            while let Some(done) = tasks.join_next().await {
                if let Ok(r) = done {
                    out.push(r);
                }
            }
            out.sort_by_key(|(i, _, _)| *i);
            out.into_iter().map(|(_, raw, r)| (raw, r)).collect()
        })
    }
}

/// Why a call failed, in terms a user can act on.
enum Failure {
    NotFound,
    Denied(String),
    Binary,
    Other(String),
}

impl Failure {
    fn message(&self, what: &str, noun: &str, name: &str, region: &str) -> String {
        match self {
            Failure::NotFound => format!("{what} has no {noun} `{name}` (region {region})"),
            Failure::Denied(code) => format!(
                "{what} refused to read the {noun} `{name}` (region {region}, {code}): the credentials helmwasm found (environment, profile, web identity, EKS Pod Identity or instance role) are not allowed to read it"
            ),
            Failure::Binary => {
                format!("the {noun} `{name}` is binary; helmwasm reads text secrets (SecretString)")
            }
            Failure::Other(m) => {
                format!("cannot read the {noun} `{name}` from {what} (region {region}): {m}")
            }
        }
    }
}

/// Classify an SDK error: its service error code when there is one, else the cause chain
/// (no credentials, no network), which holds no secret.
fn classify<E, R>(
    e: aws_sdk_secretsmanager::error::SdkError<E, R>,
    not_found: fn(&E) -> bool,
    status: fn(&R) -> u16,
) -> Failure
where
    E: aws_sdk_secretsmanager::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let http = e.raw_response().map(status);
    if let Some(service) = e.as_service_error() {
        if not_found(service) {
            return Failure::NotFound;
        }
        let code = service.code().map(str::to_owned);
        let denied = code.as_deref().is_some_and(|c| {
            c.contains("AccessDenied")
                || c.contains("UnrecognizedClient")
                || c.contains("InvalidSignature")
        }) || matches!(http, Some(401 | 403));
        let code = code.unwrap_or_else(|| format!("HTTP {}", http.unwrap_or_default()));
        if denied {
            return Failure::Denied(code);
        }
        return Failure::Other(format!(
            "{code}: {}",
            crate::term::line(service.message().unwrap_or_default())
        ));
    }
    // No service answer (no credentials, no network): the cause chain's messages.
    let mut chain = vec![e.to_string()];
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    chain.dedup();
    Failure::Other(crate::term::line(&chain.join(": ")))
}

async fn secrets_manager(config: &aws_config::SdkConfig, t: &Target) -> Result<String, Failure> {
    let client = aws_sdk_secretsmanager::Client::new(config);
    let out = client
        .get_secret_value()
        .secret_id(&t.name)
        .set_version_stage(t.version_stage.clone())
        .set_version_id(t.version_id.clone())
        .send()
        .await
        .map_err(|e| {
            classify(
                e,
                |s| s.is_resource_not_found_exception(),
                |r| r.status().as_u16(),
            )
        })?;
    match out.secret_string() {
        Some(s) => Ok(s.to_owned()),
        None => Err(Failure::Binary),
    }
}

async fn ssm(config: &aws_config::SdkConfig, t: &Target) -> Result<String, Failure> {
    let client = aws_sdk_ssm::Client::new(config);
    let out = client
        .get_parameter()
        .name(&t.name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| {
            classify(
                e,
                |s: &aws_sdk_ssm::operation::get_parameter::GetParameterError| {
                    s.is_parameter_not_found()
                },
                |r| r.status().as_u16(),
            )
        })?;
    out.parameter()
        .and_then(|p| p.value())
        .map(str::to_owned)
        .ok_or(Failure::NotFound)
}

impl Backend for AwsBackend {
    fn scheme(&self) -> &'static str {
        match self.service {
            Service::SecretsManager => "awssecrets",
            Service::Ssm => "awsssm",
        }
    }

    fn check_shape(&self, r: &Reference) -> Result<(), String> {
        self.target(r)?;
        match (&r.fragment, self.service) {
            (Some(_), Service::Ssm) => Err("`ref+awsssm://` takes no `#` fragment".into()),
            (Some(f), _) if !f.starts_with('/') => Err(format!(
                "the fragment `#{f}` is not a JSON pointer: write `#/{f}`"
            )),
            _ => Ok(()),
        }
    }

    fn prefetch(&self, refs: &[&Reference]) {
        let mut todo = Vec::new();
        {
            let cache = self.cache.lock().expect("the cache lock");
            for r in refs {
                if cache.contains_key(&r.raw) || todo.iter().any(|(raw, _, _)| raw == &r.raw) {
                    continue;
                }
                if let Ok(t) = self.target(r) {
                    todo.push((r.raw.clone(), t, r.fragment.clone()));
                }
            }
        }
        if todo.is_empty() {
            return;
        }
        let results = self.fetch_all(todo);
        self.cache.lock().expect("the cache lock").extend(results);
    }

    fn fetch(&self, r: &Reference, _base: &Path) -> Result<String, String> {
        self.check_shape(r)?;
        if let Some(hit) = self.cache.lock().expect("the cache lock").get(&r.raw) {
            return hit.clone();
        }
        self.prefetch(&[r]);
        self.cache
            .lock()
            .expect("the cache lock")
            .get(&r.raw)
            .cloned()
            .unwrap_or_else(|| Err(format!("cannot read `{}`", r.raw)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap().unwrap()
    }

    #[test]
    fn references_parse_as_vals_writes_them() {
        let sm = AwsBackend::new(Service::SecretsManager);
        let t = sm
            .target(&r(
                "ref+awssecrets://airflow/db?region=eu-west-1&version_stage=AWSPREVIOUS#/password",
            ))
            .unwrap();
        assert_eq!(
            t,
            Target {
                name: "airflow/db".into(),
                region: Some("eu-west-1".into()),
                version_stage: Some("AWSPREVIOUS".into()),
                version_id: None
            }
        );
        let ssm = AwsBackend::new(Service::Ssm);
        assert_eq!(
            ssm.target(&r("ref+awsssm://airflow/admin")).unwrap().name,
            "/airflow/admin"
        );
        assert_eq!(
            ssm.target(&r("ref+awsssm:///airflow/admin")).unwrap().name,
            "/airflow/admin"
        );
        assert!(
            ssm.check_shape(&r("ref+awsssm://a?version_stage=x"))
                .is_err()
        );
        assert!(ssm.check_shape(&r("ref+awsssm://a#/x")).is_err());
        assert!(sm.check_shape(&r("ref+awssecrets://a#x")).is_err());
        assert!(sm.check_shape(&r("ref+awssecrets://a?region=")).is_err());
        assert!(
            sm.check_shape(&r("ref+awssecrets://a?region=us-east-1#/k"))
                .is_ok()
        );
    }
}
