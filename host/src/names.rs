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

/// The closest candidate to `word`, if one is genuinely close: the same but for case or
/// separators (`-`, `_`, `.`, space), or a small edit distance for its length (one edit up to
/// five characters, two up to ten, three beyond; a swap of neighbours is one). A candidate
/// that only extends or shortens the word (`grafana` for `grafana-tls`) is not close unless it
/// is one character off.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let bare = |s: &str| -> String {
        s.to_lowercase()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
            .collect()
    };
    let candidates: Vec<&'a str> = candidates.into_iter().filter(|k| *k != word).collect();
    // Case first (`Prod` finds `prod`), then separators (`git_ssh_key` finds `git-ssh-key`).
    if let Some(k) = candidates.iter().find(|k| k.to_lowercase() == lower) {
        return Some(k);
    }
    let word_bare = bare(word);
    if let Some(k) = candidates.iter().find(|k| bare(k) == word_bare) {
        return Some(k);
    }
    let distance = |k: &str| strsim::damerau_levenshtein(&lower, &k.to_lowercase());
    let allowed = |k: &str| {
        let shorter = lower.chars().count().min(k.chars().count());
        let base = match shorter {
            0..=5 => 1,
            6..=10 => 2,
            _ => 3,
        };
        let k = k.to_lowercase();
        let affix = k.starts_with(&lower)
            || lower.starts_with(&k)
            || k.ends_with(&lower)
            || lower.ends_with(&k);
        if affix { 1 } else { base }
    };
    candidates
        .into_iter()
        .filter(|k| distance(k) <= allowed(k) && shares_the_difference(&lower, &k.to_lowercase()))
        .min_by(|a, b| distance(a).cmp(&distance(b)).then_with(|| a.cmp(b)))
}

/// Where two words differ (between their common start and end), they differ by one edit or
/// still share something: `airflow-db` and `airflow-ui` differ in all of `db`/`ui`, which is
/// another word, not a typo.
fn shares_the_difference(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let start = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let end = a[start..]
        .iter()
        .rev()
        .zip(b[start..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ra, rb): (String, String) = (
        a[start..a.len() - end].iter().collect(),
        b[start..b.len() - end].iter().collect(),
    );
    let d = strsim::damerau_levenshtein(&ra, &rb);
    d <= 1 || d < ra.chars().count().max(rb.chars().count())
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
        assert_eq!(did_you_mean("gitSshkey", ["gitSshKey"]), Some("gitSshKey"));
        assert_eq!(
            did_you_mean("git_ssh_key", ["git-ssh-key"]),
            Some("git-ssh-key")
        );
        assert_eq!(
            did_you_mean("conection", ["connection"]),
            Some("connection")
        );
        assert_eq!(
            did_you_mean("connections", ["connection"]),
            Some("connection")
        );
    }

    #[test]
    fn a_mere_prefix_or_a_far_word_is_no_suggestion() {
        assert_eq!(did_you_mean("grafana-tls", ["grafana"]), None);
        assert_eq!(did_you_mean("grafana", ["grafana-tls"]), None);
        assert_eq!(did_you_mean("sshKey", ["gitSshKey"]), None);
        assert_eq!(did_you_mean("admin-user", ["admin-password"]), None);
        assert_eq!(did_you_mean("abc", ["xyz"]), None);
        assert_eq!(
            did_you_mean("airflow-db", ["airflow-ui", "airflow-database"]),
            None
        );
        assert_eq!(did_you_mean("teh", ["the"]), Some("the"));
        // Short words get one edit at most.
        assert_eq!(did_you_mean("dev", ["prod"]), None);
        assert_eq!(did_you_mean("prd", ["prod"]), Some("prod"));
    }
}
