//! `extraSecrets` and `extraConfigMaps` entries become objects named by their keys (after the
//! chart's `tpl`, so `{{ .Release.Name }}-x` is allowed): each name must be an RFC 1123
//! subdomain, or the API server refuses the whole release.

use super::{Ctx, Finding};

pub fn names(ctx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for list in ["extraSecrets", "extraConfigMaps"] {
        let Some(map) = ctx.get(list).and_then(|v| v.as_object()) else {
            continue;
        };
        for name in map.keys() {
            let rendered = name
                .replace("{{ .Release.Name }}", &ctx.render.name)
                .replace("{{.Release.Name}}", &ctx.render.name);
            if rendered.contains("{{") {
                continue; // other template expressions: only helm knows the name
            }
            if let Err(e) = crate::names::check_subdomain(&rendered) {
                let path = format!("{list}.{}", name.replace('.', "\\."));
                out.push(Finding::error(
                    &path,
                    format!("`{name}`{}: {e}", ctx.set_by(&format!("{list}.{name}"))),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::run;
    use super::*;
    use serde_json::json;

    #[test]
    fn names_must_be_rfc_1123_after_the_release_name() {
        let ok = json!({"extraSecrets": {"{{ .Release.Name }}-conn": {}, "a.b-c": {}},
                        "extraConfigMaps": {"{{ include \"x\" . }}": {}}});
        assert!(run(names, ok).is_empty());
        let f = run(
            names,
            json!({"extraSecrets": {"Weird_Name": {}}, "extraConfigMaps": {"x_y": {}}}),
        );
        assert_eq!(f.len(), 2);
        assert!(
            f[0].message
                .starts_with("`Weird_Name` (set by values.yaml): "),
            "{}",
            f[0].message
        );
    }
}
