//! Values templates: a values file ending in `.hbs` (e.g. `prod.yaml.hbs`) is rendered with
//! Handlebars in strict mode before it is parsed as YAML.
//!
//! The context is `environment.name`, `environment.values` and `release.{name, namespace,
//! chart, version, labels}`. Helpers: `env NAME` (empty when unset), `required_env NAME`
//! (an error when unset), `default VALUE FALLBACK`, `quote VALUE` (a YAML double-quoted
//! string), `b64enc VALUE`, `to_yaml VALUE` (flow-style YAML, i.e. JSON, so it is safe on one
//! line). Output is not HTML-escaped. Errors name the file and line.

use base64::Engine as _;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, RenderContext, RenderError, RenderErrorReason,
    ScopedJson,
};
use serde_json::{Value, json};
use std::path::Path;

/// Whether a values file is a template.
pub fn is_template(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "hbs")
}

/// The data a template sees.
pub fn context(env_name: &str, env_values: &Value, release: Option<Value>) -> Value {
    json!({
        "environment": {"name": env_name, "values": env_values},
        "release": release.unwrap_or(Value::Null),
    })
}

/// Render `text` (the content of `file`) with `ctx`.
pub fn render(text: &str, file: &Path, ctx: &Value) -> Result<String, String> {
    render_collecting(text, file, ctx).map(|(out, _)| out)
}

/// Like [`render`], also returning every environment value the template read (`env`,
/// `required_env`): the caller registers them for redaction.
pub fn render_collecting(
    text: &str,
    file: &Path,
    ctx: &Value,
) -> Result<(String, Vec<String>), String> {
    let read = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = render_with(text, file, ctx, &read)?;
    let values = std::mem::take(&mut *read.lock().unwrap_or_else(|p| p.into_inner()));
    Ok((out, values))
}

fn render_with(
    text: &str,
    file: &Path,
    ctx: &Value,
    read: &std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) -> Result<String, String> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    hb.register_helper(
        "env",
        Box::new(Env {
            required: false,
            read: read.clone(),
        }),
    );
    hb.register_helper(
        "required_env",
        Box::new(Env {
            required: true,
            read: read.clone(),
        }),
    );
    hb.register_helper("default", Box::new(Default));
    hb.register_helper(
        "quote",
        Box::new(Unary {
            name: "quote",
            f: quote,
        }),
    );
    hb.register_helper(
        "b64enc",
        Box::new(Unary {
            name: "b64enc",
            f: b64enc,
        }),
    );
    hb.register_helper(
        "to_yaml",
        Box::new(Unary {
            name: "to_yaml",
            f: to_yaml,
        }),
    );
    hb.render_template(text, ctx)
        .map_err(|e| describe(&e, file))
}

fn describe(e: &RenderError, file: &Path) -> String {
    let (line, column) = match e.reason() {
        RenderErrorReason::TemplateError(t) => {
            t.pos().map_or((None, None), |(l, c)| (Some(l), Some(c)))
        }
        _ => (e.line_no, e.column_no),
    };
    let at = match (line, column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", file.display()),
        (Some(l), None) => format!("{}:{l}", file.display()),
        _ => file.display().to_string(),
    };
    let reason = match e.reason() {
        RenderErrorReason::MissingVariable(Some(path)) => format!(
            "`{path}` is not defined (templates are strict: use `default` for optional values)"
        ),
        RenderErrorReason::TemplateError(t) => format!("template syntax error: {}", t.reason()),
        other => other.to_string(),
    };
    format!("{at}: {reason}")
}

fn param<'a>(h: &'a Helper, i: usize, name: &'static str) -> Result<&'a Value, RenderError> {
    h.param(i)
        .filter(|p| !p.is_value_missing())
        .map(|p| p.value())
        .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex(name, i).into())
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

struct Env {
    required: bool,
    /// Every value read, so the caller can register it for redaction.
    read: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl HelperDef for Env {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let name = text_of(param(
            h,
            0,
            if self.required { "required_env" } else { "env" },
        )?);
        if !crate::paths::env_readable(&name) {
            return Err(RenderErrorReason::Other(format!(
                "`{}` is not an environment variable this run may read (argocd generate reads only what the operator allows with --allow-env)",
                crate::term::line(&name)
            ))
            .into());
        }
        match std::env::var(&name) {
            Ok(v) => {
                self.read
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(v.clone());
                Ok(ScopedJson::Derived(Value::String(v)))
            }
            Err(_) if !self.required => Ok(ScopedJson::Derived(Value::String(String::new()))),
            Err(_) => Err(RenderErrorReason::Other(format!(
                "required environment variable `{name}` is not set"
            ))
            .into()),
        }
    }
}

struct Default;

impl HelperDef for Default {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let fallback = param(h, 1, "default")?.clone();
        let value = h
            .param(0)
            .filter(|p| !p.is_value_missing())
            .map(|p| p.value().clone());
        let empty = |v: &Value| matches!(v, Value::Null) || v.as_str().is_some_and(str::is_empty);
        Ok(ScopedJson::Derived(match value {
            Some(v) if !empty(&v) => v,
            _ => fallback,
        }))
    }
}

/// A helper of one argument: `quote`, `b64enc`, `to_yaml`.
struct Unary {
    name: &'static str,
    f: fn(&Value) -> String,
}

impl HelperDef for Unary {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        Ok(ScopedJson::Derived(Value::String((self.f)(param(
            h, 0, self.name,
        )?))))
    }
}

/// A YAML double-quoted string (JSON string syntax is valid YAML).
fn quote(v: &Value) -> String {
    serde_json::to_string(&text_of(v)).expect("a string serializes")
}

fn b64enc(v: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(text_of(v))
}

/// Flow-style YAML, i.e. JSON: safe on one line at any indentation.
fn to_yaml(v: &Value) -> String {
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Value {
        context(
            "prod",
            &json!({"tier": "prod", "workers": {"max": 10}}),
            Some(json!({"name": "airflow", "namespace": "airflow"})),
        )
    }

    fn r(t: &str) -> Result<String, String> {
        render(t, Path::new("prod.yaml.hbs"), &ctx())
    }

    #[test]
    fn renders_context_and_helpers() {
        assert_eq!(
            r("tier: {{environment.values.tier}}\nns: {{release.namespace}}\n").unwrap(),
            "tier: prod\nns: airflow\n"
        );
        assert_eq!(
            r("a: {{quote \"x\\\"y <&>\"}}").unwrap(),
            "a: \"x\\\"y <&>\""
        );
        assert_eq!(r("a: {{b64enc \"hi\"}}").unwrap(), "a: aGk=");
        assert_eq!(
            r("w: {{to_yaml environment.values.workers}}").unwrap(),
            "w: {\"max\":10}"
        );
        assert_eq!(
            r("a: {{default environment.values.nope \"fallback\"}}").unwrap(),
            "a: fallback"
        );
        assert_eq!(
            r("a: {{default environment.values.tier \"fallback\"}}").unwrap(),
            "a: prod"
        );
        assert_eq!(
            r("a: {{env \"HELMWASM_TEST_SURELY_UNSET\"}}").unwrap(),
            "a: "
        );
    }

    #[test]
    fn strict_mode_and_errors_name_file_and_line() {
        let e = r("a: 1\nb: {{environment.values.missing}}\n").unwrap_err();
        assert_eq!(
            e,
            "prod.yaml.hbs:2:4: `environment.values.missing` is not defined (templates are strict: use `default` for optional values)"
        );
        let e = r("a: 1\nb: {{required_env \"HELMWASM_TEST_SURELY_UNSET\"}}\n").unwrap_err();
        assert_eq!(
            e,
            "prod.yaml.hbs:2:4: required environment variable `HELMWASM_TEST_SURELY_UNSET` is not set"
        );
        let e = r("a: 1\nb: {{#if x}\n").unwrap_err();
        assert!(e.starts_with("prod.yaml.hbs:2:"), "{e}");
        assert!(e.contains("template syntax error"), "{e}");
    }
}
