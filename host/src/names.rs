//! Kubernetes names and near-miss suggestions: the one place for RFC 1123 rules and
//! did-you-mean, used by the pipeline file checks, the registry and the render checks.

/// An RFC 1123 label: at most 63 lowercase letters, digits and `-`, alphanumeric at both ends
/// (namespaces, release names, plugin names).
pub fn check_dns_label(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid name: use at most 63 lowercase letters, digits and `-`, \
             starting and ending with a letter or digit"
        ))
    }
}

/// An RFC 1123 subdomain (object names such as Secrets and ConfigMaps): at most 253
/// characters, dot-separated parts of lowercase letters, digits and `-`, each alphanumeric at
/// both ends. The message suggests the fixed name where one exists (`prod_db` → `prod-db`).
pub fn check_subdomain(name: &str) -> Result<(), String> {
    if is_subdomain(name) {
        return Ok(());
    }
    let fixed: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == '_' || c == ' ' { '-' } else { c })
        .collect();
    let hint = if fixed != name && is_subdomain(&fixed) {
        format!("; did you mean `{fixed}`?")
    } else {
        String::new()
    };
    Err(format!(
        "`{name}` is not a valid object name (RFC 1123 subdomain: lowercase letters, digits, `-`, `.`){hint}"
    ))
}

fn is_subdomain(name: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name
            .split('.')
            .all(|p| alnum(p.chars().next()) && alnum(p.chars().last()))
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Case never matters for the suggestion: `Prod` finds `prod` first of all.
    let lower = word.to_lowercase();
    let candidates: Vec<&'a str> = candidates.into_iter().filter(|k| *k != word).collect();
    if let Some(k) = candidates.iter().find(|k| k.to_lowercase() == lower) {
        return Some(k);
    }
    let score = |k: &str| strsim::jaro_winkler(&lower, &k.to_lowercase());
    candidates
        .into_iter()
        .filter(|k| strsim::damerau_levenshtein(&lower, &k.to_lowercase()) <= 3 || score(k) >= 0.88)
        .max_by(|a, b| score(a).total_cmp(&score(b)).then_with(|| b.cmp(a)))
}

/// A DNS label made from any text: lowercase, other characters as `-`, at most 63 long.
pub fn dns_label_from(text: &str) -> String {
    let mapped: String = text
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let cut: String = mapped.trim_matches('-').chars().take(63).collect();
    match cut.trim_end_matches('-') {
        "" => "repository".to_owned(),
        s => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_subdomains() {
        assert!(check_dns_label("airflow").is_ok());
        assert!(check_dns_label("Airflow").is_err());
        assert!(check_dns_label(&"a".repeat(64)).is_err());
        assert!(check_subdomain("airflow.metadata-db").is_ok());
        let e = check_subdomain("prod_database").unwrap_err();
        assert!(e.ends_with("did you mean `prod-database`?"), "{e}");
        assert!(check_subdomain("-x").is_err());
        assert!(check_subdomain("a..b").is_err());
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("airflow-metadta", ["airflow-metadata", "other"]),
            Some("airflow-metadata")
        );
        assert_eq!(did_you_mean("zzz", ["airflow-metadata"]), None);
        assert_eq!(did_you_mean("same", ["same"]), None);
        assert_eq!(did_you_mean("Prod", ["dev", "prod"]), Some("prod"));
        assert_eq!(did_you_mean("PROD", ["production", "prod"]), Some("prod"));
        assert_eq!(
            did_you_mean("helmwasm.yml", ["helmwasm.yaml", "values.yaml"]),
            Some("helmwasm.yaml")
        );
    }
}
