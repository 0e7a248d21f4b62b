//! Kubernetes object helpers: Secrets shaped like `kubectl create secret generic` output and
//! RFC 1123 name checks.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// A `v1/Secret` with `data` holding the standard base64 of each value, keys sorted — the
/// object `kubectl create secret generic NAME -n NS --from-literal=K=V --dry-run=client`
/// prints, without its `creationTimestamp: null`.
pub fn secret<'a>(
    name: &str,
    namespace: &str,
    data: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Value {
    let data: Map<String, Value> = data
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::String(STANDARD.encode(v))))
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    })
}

/// Check that `name` is a valid object name for Secrets, ConfigMaps and most kinds: an
/// RFC 1123 subdomain (at most 253 characters of lowercase letters, digits, `-` and `.`,
/// starting and ending with a letter or digit). The error says what to use instead.
pub fn check_subdomain(name: &str) -> Result<(), String> {
    let valid_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.chars().all(valid_char)
        && alnum(name.chars().next())
        && alnum(name.chars().last())
        && name
            .split('.')
            .all(|part| alnum(part.chars().next()) && alnum(part.chars().last()));
    if ok {
        return Ok(());
    }
    let mut msg = format!(
        "`{name}` is not a valid Kubernetes object name: it must be an RFC 1123 subdomain \
         (lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit, \
         at most 253 characters)"
    );
    let suggestion = suggest_subdomain(name);
    if !suggestion.is_empty() && suggestion != name {
        msg.push_str(&format!("; hint: use `{suggestion}`"));
    }
    Err(msg)
}

/// The nearest valid name: lowercased, `_` and other characters turned into `-`, trimmed.
fn suggest_subdomain(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '.') => c,
            _ => '-',
        })
        .collect();
    let trimmed = mapped.trim_matches(|c: char| c == '-' || c == '.');
    trimmed.chars().take(253).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_matches_kubectl_shape() {
        let s = secret(
            "db",
            "airflow",
            [("connection", b"postgresql://u:p@h:5432/d".as_slice())],
        );
        assert_eq!(
            s,
            json!({"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": "db", "namespace": "airflow"},
                   "data": {"connection": "cG9zdGdyZXNxbDovL3U6cEBoOjU0MzIvZA=="}})
        );
    }

    #[test]
    fn subdomain_rules() {
        for ok in ["prod-mydatabase", "a", "a.b-c", "0db"] {
            assert_eq!(check_subdomain(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "prod_database",
            "Prod",
            "-a",
            "a-",
            "a..b",
            &"a".repeat(254),
        ] {
            assert!(check_subdomain(bad).is_err(), "{bad}");
        }
        let err = check_subdomain("prod_database").unwrap_err();
        assert!(err.ends_with("hint: use `prod-database`"), "{err}");
    }
}
