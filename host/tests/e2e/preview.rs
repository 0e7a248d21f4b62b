//! `helmwasm preview` on a copy of the example, offline and without a cached chart (the values
//! stage): the watch loop's blocks as files are edited, added, broken, fixed and deleted and a
//! plugin is rebuilt; the server's refusals and that no secret of the example reaches any
//! response; and the page in a real headless Chromium (Debian's, through chromedriver).

use crate::support::{WATCHDOG, copy_dir, root, test_plugin};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `preview` in a copy of the example.
struct Preview {
    child: Child,
    lines: mpsc::Receiver<String>,
    dir: tempfile::TempDir,
    _charts: tempfile::TempDir,
}

impl Preview {
    /// In a copy of the example, for `-e prod`, with an empty `plugins/` folder.
    fn start(extra: &[&str]) -> Preview {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root().join("examples/airflow-eks"), dir.path());
        std::fs::create_dir(dir.path().join("plugins")).unwrap();
        let mut args = vec!["-e", "prod", "--plugin-dir", "plugins"];
        args.extend(extra);
        Preview::start_in(dir, &args)
    }

    /// In `dir`, on its `helmwasm.yaml`.
    fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Preview {
        // An empty chart cache: offline, the chart is not there, so only the values stage runs.
        let charts = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_helmwasm"))
            .current_dir(dir.path())
            .args(["--cache-dir"])
            .arg(charts.path())
            .args(["preview", "-f", "helmwasm.yaml"])
            .args(extra)
            .env("HELMWASM_OFFLINE", "1")
            .env_remove("HELMWASM_HELM")
            .env_remove("HELMWASM_CACHE_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot run helmwasm");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line.unwrap_or_default()).is_err() {
                    break;
                }
            }
        });
        Preview {
            child,
            lines: rx,
            dir,
            _charts: charts,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The next block (up to its blank line), or `None` when none comes within `wait`.
    fn block_within(&self, wait: Duration) -> Option<String> {
        let until = Instant::now() + wait;
        let mut block = String::new();
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).ok()?;
            if line.is_empty() && block.contains("preview: render") {
                return Some(block);
            }
            block.push_str(&line);
            block.push('\n');
        }
    }

    fn block(&self) -> String {
        self.block_within(WATCHDOG)
            .expect("a block within the watchdog")
    }

    /// A line starting with `prefix` (the serving line, say).
    fn line(&self, prefix: &str) -> String {
        let until = Instant::now() + WATCHDOG;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .expect("the line within the watchdog");
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    /// Ctrl-C: the watch ends cleanly.
    fn interrupt(mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let stopped = self.line("preview: stopped");
        assert_eq!(stopped, "preview: stopped");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
}

impl Drop for Preview {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn the_watch_loop_prints_a_block_per_change_and_survives_broken_inputs() {
    let p = Preview::start(&[]);
    let first = p.block();
    assert!(first.contains("preview: render 1 in "), "{first}");
    assert!(first.contains("airflow: "), "{first}");
    assert!(first.contains(" added, 0 changed, 0 removed"), "{first}");
    // An edit to the release's values file: the changed key, old and new, and where it is set.
    let prod = p.path("values/prod.yaml");
    let original = std::fs::read_to_string(&prod).unwrap();
    write(&prod, &original.replace("replicas: 2", "replicas: 3"));
    let edited = p.block();
    assert!(edited.contains("preview: render 2 in "), "{edited}");
    assert!(
        edited.contains("values scheduler.replicas: 2 → 3 (set by values/prod.yaml:3)"),
        "{edited}"
    );
    // A file that is not an input: nothing renders.
    write(&p.path("README.md"), "changed\n");
    assert_eq!(p.block_within(Duration::from_millis(1500)), None);
    // Broken YAML: the render fails, the watch goes on, the last good render stays.
    write(&prod, "scheduler: [\n");
    let broken = p.block();
    assert!(broken.contains("preview: render 3 in "), "{broken}");
    assert!(broken.contains("failed: "), "{broken}");
    assert!(broken.contains("values/prod.yaml"), "{broken}");
    assert!(broken.contains("(the last good render stays)"), "{broken}");
    // Fixed: compared with the last good render (replicas 3).
    write(&prod, &original);
    let fixed = p.block();
    assert!(fixed.contains("preview: render 4 in "), "{fixed}");
    assert!(
        fixed.contains("values scheduler.replicas: 3 → 2"),
        "{fixed}"
    );
    // A plugin added to a plugin folder, then rebuilt: every release renders again.
    std::fs::copy(test_plugin("pause-dags"), p.path("plugins/p.wasm")).unwrap();
    let added = p.block();
    assert!(added.contains("preview: render 5 in "), "{added}");
    assert!(
        added.contains("airflow: 0 added, 0 changed, 0 removed"),
        "{added}"
    );
    std::fs::copy(test_plugin("emit-objects"), p.path("plugins/p.wasm")).unwrap();
    let rebuilt = p.block();
    assert!(rebuilt.contains("preview: render 6 in "), "{rebuilt}");
    // A values file deleted, then put back.
    std::fs::remove_file(&prod).unwrap();
    let deleted = p.block();
    assert!(deleted.contains("failed: "), "{deleted}");
    write(&prod, &original.replace("replicas: 2", "replicas: 4"));
    let back = p.block();
    assert!(back.contains("values scheduler.replicas: 2 → 4"), "{back}");
    p.interrupt();
}

#[test]
fn an_edit_to_one_releases_values_renders_that_release_only() {
    let dir = tempfile::tempdir().unwrap();
    let release = |name: &str| {
        format!(
            "  - name: {name}\n    namespace: x\n    chart: apache-airflow/airflow\n    version: 1.21.0\n    values: [{name}.yaml]\n"
        )
    };
    write(
        &dir.path().join("helmwasm.yaml"),
        &format!(
            "repositories:\n  - name: apache-airflow\n    url: https://airflow.apache.org\nreleases:\n{}{}",
            release("a"),
            release("b")
        ),
    );
    write(&dir.path().join("a.yaml"), "tier: one\n");
    write(&dir.path().join("b.yaml"), "tier: one\n");
    let p = Preview::start_in(dir, &[]);
    let first = p.block();
    assert!(
        first.contains("\n  a: ") && first.contains("\n  b: "),
        "{first}"
    );
    write(&p.path("b.yaml"), "tier: two\n");
    let second = p.block();
    assert!(second.contains("\n  b: "), "{second}");
    assert!(
        !second.contains("\n  a: "),
        "only b renders again:\n{second}"
    );
    assert!(
        second.contains("values tier: \"one\" → \"two\" (set by b.yaml:1)"),
        "{second}"
    );
    // The pipeline file feeds both.
    let text = std::fs::read_to_string(p.path("helmwasm.yaml")).unwrap();
    write(&p.path("helmwasm.yaml"), &format!("{text}\n"));
    let both = p.block();
    assert!(
        both.contains("\n  a: ") && both.contains("\n  b: "),
        "{both}"
    );
    p.interrupt();
}

#[test]
fn the_page_shows_the_diff_against_a_baseline_folder() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples/airflow-eks"), dir.path());
    let run = crate::support::helmwasm_with(
        dir.path(),
        &[
            "template",
            "-f",
            "helmwasm.yaml",
            "-e",
            "prod",
            "--output-dir",
            "base",
        ],
        &[("HELMWASM_OFFLINE", "1"), ("HELMWASM_CACHE_DIR", "")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_baseline(dir, &["--against", "base"], "base");
}

#[test]
fn the_page_shows_the_diff_against_a_git_revision() {
    use crate::support::git;
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples/airflow-eks"), dir.path());
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "example"]);
    assert_baseline(dir, &["--against-rev", "HEAD"], "revision HEAD");
}

/// With `scheduler.replicas` edited to 5 in `dir`, a preview against `baseline` serves the
/// diff from it, named `name`.
fn assert_baseline(dir: tempfile::TempDir, baseline: &[&str], name: &str) {
    let prod = dir.path().join("values/prod.yaml");
    let text = std::fs::read_to_string(&prod).unwrap();
    write(&prod, &text.replace("replicas: 2", "replicas: 5"));
    let mut args = vec!["-e", "prod", "--serve"];
    args.extend(baseline);
    let p = Preview::start_in(dir, &args);
    let (addr, token) = served(&p);
    let (status, _, body) = http(&addr, &format!("/api/state?token={token}"), &addr, None);
    assert_eq!(status, 200);
    let state: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(state["baseline"]["name"], name);
    let diff = state["baseline"]["diff"].as_str().unwrap();
    assert!(
        diff.contains("-   replicas: 2") && diff.contains("+   replicas: 5"),
        "{diff}"
    );
    p.interrupt();
}

/// One HTTP/1.1 request on a fresh connection: status, headers, body.
fn http(addr: &str, target: &str, host: &str, origin: Option<&str>) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WATCHDOG)).unwrap();
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\n{origin}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head[9..12].parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// The page's URL, split: `127.0.0.1:PORT` and the token.
fn served(p: &Preview) -> (String, String) {
    let line = p.line("preview: serving ");
    let url = line
        .strip_prefix("preview: serving http://")
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    let (addr, token) = url.split_once("/?token=").unwrap();
    assert_eq!(token.len(), 64, "{line}");
    (addr.to_owned(), token.to_owned())
}

/// Every secret of the example as the tests know it: the credential files, whole and
/// trimmed, and each in base64; and every Secret data value a `template --show-secrets` of
/// the same pipeline gives, encoded and decoded.
fn example_secrets(dir: &Path) -> Vec<String> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir.join("credentials")).unwrap() {
        let path = e.unwrap().path();
        if path.file_name().unwrap() == "README.md" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for s in [text.clone(), text.trim().to_owned()] {
            out.push(b64.encode(&s));
            out.push(s);
        }
    }
    let run = crate::support::helmwasm_with(
        dir,
        &[
            "template",
            "-f",
            "helmwasm.yaml",
            "-e",
            "prod",
            "--show-secrets",
        ],
        &[("HELMWASM_OFFLINE", "1"), ("HELMWASM_CACHE_DIR", "")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    for doc in run.stdout.split("\n---") {
        if !doc.contains("\nkind: Secret\n") {
            continue;
        }
        let Some(data) = doc.split("\ndata:\n").nth(1) else {
            continue;
        };
        for line in data.lines().take_while(|l| l.starts_with("  ")) {
            if let Some((_, v)) = line.split_once(": ") {
                let v = v.trim().trim_matches('"').to_owned();
                if let Ok(decoded) = b64.decode(&v) {
                    out.push(String::from_utf8_lossy(&decoded).trim().to_owned());
                }
                out.push(v);
            }
        }
    }
    out.retain(|s| s.len() >= 8);
    assert!(out.len() >= 10, "the example's secrets: {out:?}");
    out
}

#[test]
fn the_page_refuses_strangers_and_never_sends_a_secret() {
    for flags in [&[][..], &["--show-secrets"][..]] {
        let mut args = vec!["--serve"];
        args.extend(flags);
        let p = Preview::start(&args);
        // The first block comes before the serving line.
        let (addr, token) = served(&p);
        let ok = |target: &str| {
            let sep = if target.contains('?') { '&' } else { '?' };
            let (status, head, body) =
                http(&addr, &format!("{target}{sep}token={token}"), &addr, None);
            assert_eq!(status, 200, "{target}: {body}");
            assert!(
                head.contains("content-security-policy: default-src 'none'; script-src 'self'"),
                "{head}"
            );
            assert!(head.contains("referrer-policy: no-referrer"), "{head}");
            body
        };
        // Refused: no token, a wrong one, a foreign Host (DNS rebinding), a foreign Origin.
        assert_eq!(http(&addr, "/api/state", &addr, None).0, 401);
        assert_eq!(
            http(
                &addr,
                &format!("/api/state?token={}", "0".repeat(64)),
                &addr,
                None
            )
            .0,
            401
        );
        let with_token = format!("/api/state?token={token}");
        assert_eq!(http(&addr, &with_token, "evil.example", None).0, 403);
        let port = addr.rsplit(':').next().unwrap();
        assert_eq!(
            http(&addr, &with_token, &format!("evil.example:{port}"), None).0,
            403
        );
        assert_eq!(
            http(&addr, &with_token, &addr, Some("http://evil.example")).0,
            403
        );
        assert_eq!(
            http(&addr, &with_token, &addr, Some(&format!("http://{addr}"))).0,
            200
        );
        assert_eq!(
            http(
                &addr,
                &format!("/api/state?token={token}"),
                &format!("localhost:{port}"),
                None
            )
            .0,
            200
        );
        // What a page gets, all of it.
        let mut seen = vec![ok("/"), ok("/app.js"), ok("/app.css")];
        let state = ok("/api/state");
        let json: serde_json::Value = serde_json::from_str(&state).unwrap();
        let values = &json["releases"][0]["values"];
        let mut paths = Vec::new();
        leaves(values, "", &mut paths);
        assert!(paths.len() > 20, "{paths:?}");
        for path in &paths {
            seen.push(ok(&format!(
                "/api/explain?release=airflow&path={}",
                encode(path)
            )));
        }
        seen.push(state);
        let prod = p.path("values/prod.yaml");
        let prod = prod.canonicalize().unwrap();
        assert!(
            ok(&format!(
                "/api/source?file={}",
                encode(prod.to_str().unwrap())
            ))
            .contains("replicas: 2")
        );
        // Not an input the page may show: a secret file, a file outside the inputs.
        for f in [
            p.path("credentials/db-password"),
            PathBuf::from("/etc/passwd"),
        ] {
            let f = f.canonicalize().unwrap();
            let target = format!(
                "/api/source?file={}&token={token}",
                encode(f.to_str().unwrap())
            );
            assert_eq!(http(&addr, &target, &addr, None).0, 404, "{}", f.display());
        }
        for secret in example_secrets(p.dir.path()) {
            for body in &seen {
                if let Some(at) = body.find(&secret) {
                    let around =
                        &body[at.saturating_sub(80)..(at + secret.len() + 20).min(body.len())];
                    panic!(
                        "a secret of the example ({} characters) was sent ({flags:?}), here: {}",
                        secret.len(),
                        around.replace(&secret, "<THE SECRET>")
                    );
                }
            }
        }
        // The event stream announces the current render first.
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(WATCHDOG)).unwrap();
        write!(
            s,
            "GET /api/events?token={token} HTTP/1.1\r\nHost: {addr}\r\n\r\n"
        )
        .unwrap();
        let mut got = String::new();
        let mut buf = [0u8; 4096];
        while !got.contains("data: 1") {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "{got}");
            got.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        assert!(got.contains("event: render"), "{got}");
        p.interrupt();
    }
}

fn leaves(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(v, &p, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, &format!("{path}[{i}]"), out);
            }
        }
        _ => out.push(path.to_owned()),
    }
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Debian's Chromium and its driver (`bash tests/setup` installs them).
fn browser(name: &str) -> PathBuf {
    let path = PathBuf::from("/usr/bin").join(name);
    assert!(
        path.is_file(),
        "{} is missing: `bash tests/setup` installs Debian's chromium and chromium-driver",
        path.display()
    );
    path
}

async fn wait_text(
    c: &fantoccini::Client,
    css: &str,
    what: &str,
    ok: impl Fn(&str) -> bool,
) -> String {
    let until = Instant::now() + WATCHDOG;
    let mut last = String::new();
    while Instant::now() < until {
        if let Ok(e) = c.find(fantoccini::Locator::Css(css)).await {
            last = e.text().await.unwrap_or_default();
            if ok(&last) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css}: no {what} within the watchdog; it shows:\n{last}");
}

#[test]
fn the_page_updates_live_in_chromium() {
    let chromium = browser("chromium");
    let chromedriver = browser("chromedriver");
    let p = Preview::start(&["--serve"]);
    // The first block comes before the serving line.
    let (addr, token) = served(&p);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut driver = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < WATCHDOG, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let prod = p.path("values/prod.yaml");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let caps = serde_json::json!({"goog:chromeOptions": {"binary": chromium, "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1440,1000"]}});
        let mut b = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        );
        b.capabilities(caps.as_object().unwrap().clone());
        let c = b
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a chromedriver session");
        c.goto(&format!("http://{addr}/?token={token}"))
            .await
            .unwrap();
        wait_text(&c, "#render", "first render", |t| t == "1").await;
        wait_text(&c, "#tree", "object tree", |t| t.contains("Secret (11)")).await;
        c.execute("window.helmwasmKept = 'yes'; return null;", vec![])
            .await
            .unwrap();
        // Edit a values file: the page updates by itself, without a reload.
        let text = std::fs::read_to_string(&prod).unwrap();
        write(&prod, &text.replace("replicas: 2", "replicas: 3"));
        let edited = Instant::now();
        wait_text(&c, "#render", "second render", |t| t == "2").await;
        eprintln!(
            "preview: saved → page updated in {:?} (not asserted; see docs/benchmarks.md)",
            edited.elapsed()
        );
        let changes = wait_text(&c, "#changes", "changed key", |t| {
            t.contains("scheduler.replicas")
        })
        .await;
        assert!(changes.contains("set by values/prod.yaml:3"), "{changes}");
        let diff = wait_text(&c, "#diff", "diff", |t| t.contains("replicas: 3")).await;
        assert!(diff.contains("replicas: 2"), "{diff}");
        let kept = c
            .execute("return window.helmwasmKept || null;", vec![])
            .await
            .unwrap();
        assert_eq!(kept, serde_json::json!("yes"), "the page reloaded");
        // A key's history: what `explain` prints.
        c.find(fantoccini::Locator::Css("#changes button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let history = wait_text(&c, "#history", "history", |t| {
            t.contains("values/prod.yaml")
        })
        .await;
        assert!(history.contains("scheduler.replicas"), "{history}");
        // A diagnostic's link opens its file, the line marked.
        c.find(fantoccini::Locator::Css("#diagnostics a.source-link"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_text(&c, "#source", "the linked file", |t| {
            t.contains("releases:")
        })
        .await;
        // An object's YAML, Secret data masked.
        c.find(fantoccini::Locator::Css("#tree button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let yaml = wait_text(&c, "#object", "an object", |t| t.contains("kind: Secret")).await;
        assert!(yaml.contains("<redacted>"), "{yaml}");
        let png = c.screenshot().await.unwrap();
        let to = if std::env::var_os("BLESS").is_some() {
            root().join("docs/preview.png")
        } else {
            root().join("target/preview.png")
        };
        std::fs::write(&to, png).unwrap();
        c.close().await.unwrap();
    });
    let _ = driver.kill();
    let _ = driver.wait();
    p.interrupt();
}
