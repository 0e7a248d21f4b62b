//! `cargo bench -p helmwasm --bench plugin_call`: one plugin call on ~100 KB of values, each in
//! a fresh store as the pipeline makes it, against native parse + modify + serialize of the
//! same JSON. Prints medians; asserts nothing (figures go to docs/benchmarks.md). The
//! whole-process comparisons are `host/benches/compare.py`.

use helmwasm::runtime::{Limits, ReleaseContext, Request, Runtime};
use serde_json::{Map, Value, json};
use std::time::{Duration, Instant};

const ROUNDS: usize = 60;

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

fn time(mut f: impl FnMut()) -> Duration {
    f(); // warm-up
    median(
        (0..ROUNDS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// About 100 KB of values shaped like a chart's: nested maps, lists and strings.
fn values() -> Value {
    let mut m = Map::new();
    for i in 0..400 {
        m.insert(
            format!("component{i}"),
            json!({
                "enabled": i % 2 == 0,
                "replicas": i,
                "image": {"repository": format!("registry.example.com/team/app-{i}"), "tag": "1.2.3"},
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}},
                "args": ["--flag", "--other-flag", format!("--id={i}")],
            }),
        );
    }
    Value::Object(m)
}

fn main() {
    let values = values();
    let text = values.to_string();
    let cache = std::env::temp_dir().join("helmwasm-bench-cache");
    let runtime = Runtime::new(Some(cache)).expect("runtime");
    let builtin = helmwasm::builtin::PLUGINS
        .iter()
        .find(|b| b.plugin.name == "celery-workers")
        .expect("celery-workers is built in");
    let plugin = runtime
        .load_digested(builtin.plugin.bytes, builtin.plugin.digest)
        .expect("plugin loads");
    let request = Request {
        release: ReleaseContext {
            name: "airflow".into(),
            namespace: "airflow".into(),
            chart: "airflow".into(),
            chart_version: "1.19.0".into(),
            environment: "prod".into(),
        },
        values: text.clone(),
        environment_values: "{}".into(),
        config: json!({"executor": "CeleryExecutor", "replicas": 2}).to_string(),
    };
    // The call: a fresh store and instance, the values copied in, the plugin's own parse,
    // change and print, the response copied out.
    let call = time(|| {
        let (result, _) = runtime.run(&plugin, Limits::default(), &request, None);
        let response = result.expect("no trap").expect("no plugin error");
        std::hint::black_box(response);
    });
    // What the pipeline adds around it: the host's parse of the returned values.
    let host_parse = time(|| {
        let (result, _) = runtime.run(&plugin, Limits::default(), &request, None);
        let response = result.expect("no trap").expect("no plugin error");
        let out: Value = serde_json::from_str(&response.values).expect("JSON");
        std::hint::black_box(out);
    });
    let native = time(|| {
        let mut v: Value = serde_json::from_str(&text).expect("JSON");
        v["executor"] = json!("CeleryExecutor");
        v["workers"] = json!({"replicas": 2});
        let out = serde_json::to_string(&v).expect("serializes");
        std::hint::black_box(out);
    });
    println!(
        "values: {} bytes, {ROUNDS} rounds, medians\nplugin call (celery-workers, fresh store): {:.3} ms\nthe call and the host's parse of its values: {:.3} ms\nnative parse + modify + serialize: {:.3} ms\nratio call / native: {:.2}x",
        text.len(),
        call.as_secs_f64() * 1e3,
        host_parse.as_secs_f64() * 1e3,
        native.as_secs_f64() * 1e3,
        call.as_secs_f64() / native.as_secs_f64()
    );
}
