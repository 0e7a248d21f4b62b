//! `ref+awssecrets://` and `ref+awsssm://` against a local AWS endpoint: moto's server mode
//! on 127.0.0.1 (from PyPI, installed by `tests/setup`), reached through the SDKs' standard
//! `AWS_ENDPOINT_URL`. Values resolve and stay redacted; a missing secret and a denied call
//! give clear errors; lint needs no AWS at all.

use crate::support::{helmwasm_with, project};
use std::process::{Child, Stdio};

/// A moto server on a free port of 127.0.0.1, stopped on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    /// `auth_after`: enforce IAM authentication after that many calls (moto's
    /// `INITIAL_NO_AUTH_ACTION_COUNT`), so set-up calls pass and later ones are checked.
    fn start(auth_after: Option<usize>) -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = crate::support::python3();
        cmd.args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        if let Some(n) = auth_after {
            cmd.env("INITIAL_NO_AUTH_ACTION_COUNT", n.to_string());
        }
        let child = cmd.spawn().expect(
            "python3 with moto[server] (tests/setup installs it: pip install 'moto[server]')",
        );
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        // Watchdog, not a timing assertion: wait until it accepts connections.
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "moto did not start (is moto[server] installed? `bash tests/setup`)"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        moto
    }

    /// Run a boto3 snippet against this endpoint (`kw` holds the client arguments).
    fn python(&self, code: &str) -> String {
        let out = crate::support::python3()
            .args([
                "-c",
                &format!(
                    "import boto3, json\nkw = dict(endpoint_url='{}', region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')\n{code}",
                    self.url
                ),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const DB_PASSWORD: &str = "aws-dummy-db-pw-9f2";
const ADMIN_PASSWORD: &str = "aws-dummy-admin-pw-77";

fn pipeline(secret: &str) -> String {
    format!(
        "releases:\n- name: airflow\n  namespace: airflow\n  chart: apache-airflow/airflow\n  version: 1.19.0\n  steps:\n  - plugin: airflow-database\n    with: {{host: db.example.com, database: d, user: u, password: \"ref+awssecrets://{secret}#/password\", sslmode: require}}\n  - plugin: airflow-ui\n    with: {{serviceType: ClusterIP, defaultUser: {{username: admin, password: \"ref+awsssm://airflow/admin\", email: a@example.com}}}}\n"
    )
}

fn aws_env<'a>(url: &'a str, key: &'a str, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("AWS_ENDPOINT_URL", url),
        ("AWS_ACCESS_KEY_ID", key),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_REGION", "us-east-1"),
        ("AWS_CONFIG_FILE", "/nonexistent"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("HELMWASM_OFFLINE", "1"),
    ]
}

#[test]
fn aws_references_resolve_against_a_local_endpoint_and_stay_redacted() {
    let moto = Moto::start(None);
    moto.python(&format!(
        "boto3.client('secretsmanager', **kw).create_secret(Name='airflow/db', SecretString=json.dumps({{'password': '{DB_PASSWORD}'}}))\nboto3.client('ssm', **kw).put_parameter(Name='/airflow/admin', Value='{ADMIN_PASSWORD}', Type='SecureString')"
    ));
    let dir = project(&pipeline("airflow/db"));
    let env = aws_env(&moto.url, "test", "test");
    let shown = helmwasm_with(dir.path(), &["template", "--show-secrets"], &env);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    use base64::Engine as _;
    let decoded: String = shown
        .stdout
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("connection: ")
                .or(l.trim().strip_prefix("password: "))
        })
        .filter_map(|v| {
            base64::engine::general_purpose::STANDARD
                .decode(v.trim_matches('"'))
                .ok()
        })
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        decoded.contains(DB_PASSWORD),
        "the Secrets Manager value reached the connection URL"
    );
    assert!(
        decoded.contains(ADMIN_PASSWORD),
        "the SSM value reached the admin password Secret"
    );
    // Redacted everywhere by default, and in -vv logs.
    let run = helmwasm_with(dir.path(), &["-vv", "template"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for secret in [DB_PASSWORD, ADMIN_PASSWORD] {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
    }
    // A missing secret: a clear error naming the reference, the service and the region.
    std::fs::write(
        dir.path().join("helmwasm.yaml"),
        pipeline("airflow/missing"),
    )
    .unwrap();
    let missing = helmwasm_with(dir.path(), &["template"], &env);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains(
            "`ref+awssecrets://airflow/missing#/password`: AWS Secrets Manager has no secret `airflow/missing` (region us-east-1)"
        ),
        "{}",
        missing.stderr
    );
    // lint checks references for shape only: no AWS needed at all.
    let lint = helmwasm_with(
        dir.path(),
        &["lint"],
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("HELMWASM_OFFLINE", "1"),
        ],
    );
    assert_eq!(lint.code, 0, "{}", lint.stdout);
}

#[test]
fn a_denied_aws_call_is_a_clear_error() {
    // IAM is enforced after three set-up calls: a user without any policy, its key, a secret.
    let moto = Moto::start(Some(3));
    let keys = moto.python(
        "iam = boto3.client('iam', **kw)\niam.create_user(UserName='ci')\nk = iam.create_access_key(UserName='ci')['AccessKey']\nboto3.client('secretsmanager', **kw).create_secret(Name='airflow/db', SecretString='{\"password\": \"x\"}')\nprint(k['AccessKeyId'], k['SecretAccessKey'])",
    );
    let (key, secret) = keys.trim().split_once(' ').unwrap();
    let dir = project(&pipeline("airflow/db"));
    let run = helmwasm_with(dir.path(), &["template"], &aws_env(&moto.url, key, secret));
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "AWS Secrets Manager refused to read the secret `airflow/db` (region us-east-1,"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(secret), "the secret key is not echoed");
}
