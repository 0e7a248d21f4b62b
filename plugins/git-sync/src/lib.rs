//! `git-sync`: DAGs from a git repository through the chart's git-sync sidecar (chart 1.19,
//! git-sync v4). Replaces the hand-written `base64 <key> -w 0` + `extraSecrets` block and the
//! `dags.gitSync` values.
//!
//! SSH: the step emits the key Secret (key `gitSshKey`, the bytes of the key file, like
//! `kubectl create secret generic NAME --from-file=gitSshKey=KEY`) and sets
//! `dags.gitSync.sshKeySecret` and `knownHosts`. HTTPS: it emits the credentials Secret with
//! all four keys the chart reads. `ref` is kept equal to the branch (git-sync v4 reads `ref`).

mod ssh;

use helmwasm_plugin_sdk::{
    Metadata, Plugin, PluginError, Request, Response, Value, export_plugin, json, k8s, values,
};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[schemars(length(min = 1))]
    pub repo: String,
    #[serde(default = "default_branch")]
    pub branch: String,
    #[serde(default = "default_rev")]
    pub rev: String,
    #[serde(default = "default_depth")]
    pub depth: u64,
    #[serde(default)]
    pub sub_path: Option<String>,
    #[serde(default)]
    pub ssh: Option<Ssh>,
    #[serde(default)]
    pub https: Option<Https>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ssh {
    /// The private key file's content (not base64).
    #[schemars(length(min = 1))]
    pub private_key: String,
    #[serde(default)]
    pub secret_name: Option<String>,
    #[serde(default)]
    pub known_hosts: Option<String>,
    #[serde(default)]
    pub allow_insecure_host_keys: bool,
}

#[derive(Debug, Clone, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Https {
    #[schemars(length(min = 1))]
    pub username: String,
    #[schemars(length(min = 1))]
    pub password: String,
    #[serde(default)]
    pub secret_name: Option<String>,
}

fn default_branch() -> String {
    "main".into()
}
fn default_rev() -> String {
    "HEAD".into()
}
fn default_depth() -> u64 {
    1
}

/// `git@host:org/repo.git` or `ssh://…`.
pub fn is_ssh_url(repo: &str) -> bool {
    repo.starts_with("ssh://")
        || (!repo.contains("://") && repo.contains('@') && repo.contains(':'))
}

/// What the step emits and sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub secret: Option<(String, Vec<(String, String)>)>,
    pub git_sync: Value,
    /// (values path, message).
    pub warnings: Vec<(String, String)>,
}

pub fn plan(c: &Config, release: &str) -> Result<Plan, PluginError> {
    let invalid = |m: String| PluginError::InvalidConfig(m);
    if c.repo.trim().is_empty() {
        return Err(invalid("`repo` must not be empty".into()));
    }
    let ssh_url = is_ssh_url(&c.repo);
    let mut git_sync = json!({
        "enabled": true,
        "repo": c.repo,
        "branch": c.branch,
        "ref": c.branch,
        "rev": c.rev,
        "depth": c.depth,
    });
    if let Some(sub) = &c.sub_path {
        git_sync["subPath"] = json!(sub);
    }
    let mut warnings = Vec::new();
    let secret = match (&c.ssh, &c.https) {
        (Some(_), Some(_)) => return Err(invalid("set either `ssh` or `https`, not both".into())),
        (Some(ssh), None) => {
            if !ssh_url {
                return Err(invalid(format!(
                    "`ssh.privateKey` is set but `repo` `{}` is not an SSH URL; use the SSH form \
                     (`git@github.com:org/repo.git`) or `https` credentials",
                    c.repo
                )));
            }
            check_private_key(&ssh.private_key)?;
            let (mut key, had_cr) = ssh::normalise_line_ends(&ssh.private_key);
            if had_cr {
                warnings.push((
                    "dags.gitSync.sshKeySecret".to_owned(),
                    "`ssh.privateKey` had CRLF line ends (OpenSSH cannot load such a key): emitted with LF"
                        .to_owned(),
                ));
            }
            if ssh::is_encrypted(&key) {
                return Err(invalid(
                    "`ssh.privateKey` is protected by a passphrase, which git-sync cannot use: give it a \
                     key without one (`ssh-keygen -p -N '' -f KEY` removes it from a copy), ideally a \
                     read-only deploy key"
                        .into(),
                ));
            }
            match ssh.known_hosts.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(kh) => {
                    check_known_hosts(kh)?;
                    let (host, port) = ssh::host_and_port(&c.repo).ok_or_else(|| {
                        invalid(format!("cannot read the host of `repo` `{}`", c.repo))
                    })?;
                    let name = ssh::lookup_name(&host, port);
                    if !ssh::covers(kh, &name) {
                        let listed: Vec<&str> = kh
                            .lines()
                            .filter_map(|l| l.split_whitespace().find(|f| !f.starts_with('@')))
                            .filter(|f| !f.starts_with('#'))
                            .collect();
                        return Err(invalid(format!(
                            "`ssh.knownHosts` has no key for `{name}`, the host of `repo` `{}` (it lists \
                             {}); add that host's key (`ssh-keyscan{} {host}`, checked against the \
                             published fingerprints)",
                            c.repo,
                            listed.join(", "),
                            if port == 22 { String::new() } else { format!(" -p {port}") }
                        )));
                    }
                    git_sync["knownHosts"] = json!(format!("{kh}\n"));
                }
                None if ssh.allow_insecure_host_keys => warnings.push((
                    "dags.gitSync.knownHosts".to_owned(),
                    "no `ssh.knownHosts`: git-sync will not check the server's host key (open to man-in-the-middle attacks)".to_owned(),
                )),
                None => {
                    return Err(invalid(
                        "`ssh.knownHosts` is missing: without it the chart turns host key checking off. Add the \
                         server's key (`ssh-keyscan -t rsa github.com`, verified against the published \
                         fingerprints) or set `ssh.allowInsecureHostKeys: true` to accept the risk"
                            .into(),
                    ));
                }
            }
            let name = ssh
                .secret_name
                .clone()
                .unwrap_or_else(|| format!("{release}-git-ssh-key"));
            k8s::check_subdomain(&name).map_err(|e| invalid(format!("`ssh.secretName`: {e}")))?;
            git_sync["sshKeySecret"] = json!(name);
            if !key.ends_with('\n') {
                key.push('\n'); // OpenSSH rejects a key file without its final newline
            }
            Some((name, vec![("gitSshKey".to_owned(), key)]))
        }
        (None, Some(https)) => {
            if ssh_url {
                return Err(invalid(format!(
                    "`https` credentials are set but `repo` `{}` is an SSH URL; use the https:// URL",
                    c.repo
                )));
            }
            let name = https
                .secret_name
                .clone()
                .unwrap_or_else(|| format!("{release}-git-credentials"));
            k8s::check_subdomain(&name).map_err(|e| invalid(format!("`https.secretName`: {e}")))?;
            git_sync["credentialsSecret"] = json!(name);
            let data = ["GIT_SYNC_USERNAME", "GITSYNC_USERNAME"]
                .iter()
                .map(|k| (k.to_string(), https.username.clone()))
                .chain(
                    ["GIT_SYNC_PASSWORD", "GITSYNC_PASSWORD"]
                        .iter()
                        .map(|k| (k.to_string(), https.password.clone())),
                )
                .collect();
            Some((name, data))
        }
        (None, None) => {
            if ssh_url {
                return Err(invalid(format!(
                    "`repo` `{}` is an SSH URL but no `ssh.privateKey` is set",
                    c.repo
                )));
            }
            None
        }
    };
    Ok(Plan {
        secret,
        git_sync,
        warnings,
    })
}

fn check_private_key(key: &str) -> Result<(), PluginError> {
    let k = key.trim_start();
    if k.starts_with("-----BEGIN ") && k.contains("PRIVATE KEY-----") {
        return Ok(());
    }
    Err(PluginError::InvalidConfig(
        "`ssh.privateKey` must be the private key file's content (`-----BEGIN OPENSSH PRIVATE KEY-----` …), \
         not its base64 or a path; helmwasm encodes it for the Secret"
            .into(),
    ))
}

fn check_known_hosts(kh: &str) -> Result<(), PluginError> {
    for (i, line) in kh.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let key_type_at = usize::from(fields.first().is_some_and(|f| f.starts_with('@')));
        let ok = fields.len() >= key_type_at + 3
            && (fields[key_type_at + 1].starts_with("ssh-")
                || fields[key_type_at + 1].starts_with("ecdsa-"))
            && !fields[key_type_at + 2].contains(['{', '}']);
        if !ok {
            return Err(PluginError::InvalidConfig(format!(
                "`ssh.knownHosts` line {} is not `HOST KEYTYPE KEY` (e.g. `github.com ssh-ed25519 AAAA…`)",
                i + 1
            )));
        }
    }
    Ok(())
}

struct GitSync;

impl Plugin for GitSync {
    fn metadata() -> Metadata {
        Metadata::new("git-sync", env!("CARGO_PKG_VERSION"), "DAGs from git via the chart's git-sync sidecar, SSH key or HTTPS credentials as Secrets")
            .config_schema_of::<Config>()
    }

    fn run(req: Request) -> Result<Response, PluginError> {
        airflow_chart::facts(&req.release, "git-sync")?;
        let config: Config = req.config()?;
        let plan = plan(&config, &req.release.name)?;
        let mut out = Response::new(req.values);
        if let Some((name, data)) = &plan.secret {
            out.emit(k8s::secret(
                name,
                &req.release.namespace,
                data.iter().map(|(k, v)| (k.as_str(), v.as_bytes())),
            ));
        }
        if values::get(&out.values, "dags.gitSync.sshKey").is_some_and(|v| !v.is_null()) {
            out.warning("`dags.gitSync.sshKey` puts the private key in the values; removed in favour of the emitted Secret", Some("dags.gitSync.sshKey"));
            values::remove(&mut out.values, "dags.gitSync.sshKey");
        }
        for (key, value) in plan.git_sync.as_object().expect("object") {
            values::set(
                &mut out.values,
                &format!("dags.gitSync.{key}"),
                value.clone(),
            )?;
        }
        for (path, w) in plan.warnings {
            out.warning(w, Some(&path));
        }
        Ok(out)
    }
}

export_plugin!(GitSync);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_schema_is_derived_from_the_config_types() {
        use helmwasm_plugin_sdk::Plugin as _;
        let s = GitSync::metadata().config_schema;
        assert_eq!(s["required"], json!(["repo"]));
        assert_eq!(s["properties"]["repo"]["minLength"], 1);
        assert_eq!(s["properties"]["branch"]["default"], "main");
        assert_eq!(s["properties"]["depth"]["default"], 1);
        // Nested types are definitions, each closed and with its own required fields.
        let ssh = &s["definitions"]["Ssh"];
        assert_eq!(ssh["additionalProperties"], false);
        assert_eq!(ssh["required"], json!(["privateKey"]));
        assert_eq!(ssh["properties"]["privateKey"]["minLength"], 1);
        let https = &s["definitions"]["Https"];
        assert_eq!(https["required"], json!(["username", "password"]));
    }

    const KEY: &str =
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
    const KH: &str = "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

    fn ssh_config() -> Config {
        Config {
            repo: "git@github.com:org/dags.git".into(),
            branch: "main".into(),
            rev: "HEAD".into(),
            depth: 1,
            sub_path: Some("dags".into()),
            ssh: Some(Ssh {
                private_key: KEY.into(),
                secret_name: Some("ssh-value".into()),
                known_hosts: Some(KH.into()),
                allow_insecure_host_keys: false,
            }),
            https: None,
        }
    }

    #[test]
    fn ssh_emits_the_key_secret_and_sets_git_sync() {
        let p = plan(&ssh_config(), "airflow").unwrap();
        assert_eq!(
            p.secret,
            Some(("ssh-value".into(), vec![("gitSshKey".into(), KEY.into())]))
        );
        assert_eq!(
            p.git_sync,
            json!({"enabled": true, "repo": "git@github.com:org/dags.git", "branch": "main", "ref": "main", "rev": "HEAD",
                   "depth": 1, "subPath": "dags", "sshKeySecret": "ssh-value", "knownHosts": format!("{KH}\n")})
        );
    }

    #[test]
    fn missing_known_hosts_is_an_error_unless_allowed() {
        let mut c = ssh_config();
        c.ssh.as_mut().unwrap().known_hosts = None;
        let PluginError::InvalidConfig(m) = plan(&c, "a").unwrap_err() else {
            panic!()
        };
        assert!(m.starts_with("`ssh.knownHosts` is missing"), "{m}");
        c.ssh.as_mut().unwrap().allow_insecure_host_keys = true;
        let p = plan(&c, "a").unwrap();
        assert_eq!(p.warnings.len(), 1);
        assert!(p.git_sync.get("knownHosts").is_none());
    }

    #[test]
    fn ssh_key_with_an_https_repo_is_an_error() {
        let c = Config {
            repo: "https://github.com/org/dags.git".into(),
            ..ssh_config()
        };
        let PluginError::InvalidConfig(m) = plan(&c, "a").unwrap_err() else {
            panic!()
        };
        assert!(m.contains("is not an SSH URL"), "{m}");
    }

    #[test]
    fn base64_or_placeholder_keys_are_rejected() {
        let mut c = ssh_config();
        c.ssh.as_mut().unwrap().private_key = "LS0tLS1CRUdJTi...".into();
        assert!(plan(&c, "a").is_err());
        let mut c = ssh_config();
        c.ssh.as_mut().unwrap().known_hosts = Some("github.com ssh-rsa {ssh-rsa-value}".into());
        assert!(plan(&c, "a").is_err());
    }

    #[test]
    fn a_crlf_key_is_emitted_with_lf_and_a_warning() {
        let mut c = ssh_config();
        c.ssh.as_mut().unwrap().private_key = KEY.replace('\n', "\r\n");
        let p = plan(&c, "a").unwrap();
        assert_eq!(p.secret.unwrap().1[0].1, KEY);
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].1.contains("CRLF"), "{:?}", p.warnings);
    }

    #[test]
    fn a_passphrase_protected_key_is_refused() {
        let mut c = ssh_config();
        c.ssh.as_mut().unwrap().private_key =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
                .into();
        let PluginError::InvalidConfig(m) = plan(&c, "a").unwrap_err() else {
            panic!()
        };
        assert!(m.contains("protected by a passphrase"), "{m}");
    }

    #[test]
    fn known_hosts_must_cover_the_repository_host() {
        let mut c = ssh_config();
        c.repo = "git@gitlab.com:org/dags.git".into();
        let PluginError::InvalidConfig(m) = plan(&c, "a").unwrap_err() else {
            panic!()
        };
        assert!(
            m.starts_with("`ssh.knownHosts` has no key for `gitlab.com`, the host of `repo` `git@gitlab.com:org/dags.git` (it lists github.com)"),
            "{m}"
        );
        c.repo = "ssh://git@github.com:2222/org/dags.git".into();
        let PluginError::InvalidConfig(m) = plan(&c, "a").unwrap_err() else {
            panic!()
        };
        assert!(
            m.contains("no key for `[github.com]:2222`")
                && m.contains("ssh-keyscan -p 2222 github.com"),
            "{m}"
        );
        c.ssh.as_mut().unwrap().known_hosts = Some(format!("[github.com]:2222 {}", &KH[11..]));
        assert!(plan(&c, "a").is_ok());
    }

    #[test]
    fn key_gets_its_final_newline() {
        let mut c = ssh_config();
        c.ssh.as_mut().unwrap().private_key = KEY.trim_end().into();
        assert_eq!(plan(&c, "a").unwrap().secret.unwrap().1[0].1, KEY);
    }

    #[test]
    fn https_credentials_fill_all_four_keys() {
        let c = Config {
            repo: "https://github.com/org/dags.git".into(),
            ssh: None,
            https: Some(Https {
                username: "bot".into(),
                password: "tok".into(),
                secret_name: None,
            }),
            ..ssh_config()
        };
        let (name, data) = plan(&c, "airflow").unwrap().secret.unwrap();
        assert_eq!(name, "airflow-git-credentials");
        let keys: Vec<&str> = data.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "GIT_SYNC_USERNAME",
                "GITSYNC_USERNAME",
                "GIT_SYNC_PASSWORD",
                "GITSYNC_PASSWORD"
            ]
        );
        let c2 = Config {
            repo: "git@github.com:org/dags.git".into(),
            ..c
        };
        assert!(plan(&c2, "a").is_err());
    }

    #[test]
    fn url_kinds() {
        assert!(is_ssh_url("git@github.com:org/repo.git"));
        assert!(is_ssh_url("ssh://git@github.com/org/repo.git"));
        assert!(!is_ssh_url("https://github.com/org/repo.git"));
        assert!(!is_ssh_url("https://user@github.com/org/repo.git"));
    }
}
