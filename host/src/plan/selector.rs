//! Release selectors (`-l`), helmfile's form, and the near miss offered when one matches
//! nothing.

use crate::spec::ReleaseSpec;
use anyhow::{Result, bail};
use std::collections::BTreeSet;

/// A helmfile-style label selector: `key=value` and `key!=value` terms joined by commas, all
/// of which must hold. Releases carry their labels plus `name`, `namespace` and `chart`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(Vec<(String, bool, String)>);

impl Selector {
    pub fn parse(s: &str) -> Result<Selector> {
        let mut terms = Vec::new();
        for term in s.split(',') {
            let (key, eq, value) = if let Some((k, v)) = term.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = term.split_once('=') {
                (k, true, v)
            } else {
                bail!(
                    "invalid selector `{s}`: expected `key=value` or `key!=value` terms separated by commas"
                );
            };
            let key = key.trim();
            if key.is_empty() || value.contains('=') {
                bail!(
                    "invalid selector `{s}`: expected `key=value` or `key!=value` terms separated by commas"
                );
            }
            terms.push((key.to_owned(), eq, value.trim().to_owned()));
        }
        Ok(Selector(terms))
    }

    pub fn matches(&self, r: &ReleaseSpec) -> bool {
        self.0
            .iter()
            .all(|(key, eq, value)| (label(r, key) == Some(value.as_str())) == *eq)
    }

    /// A selector that differs from this one in one `key=value` term, by the nearest label key
    /// or value the releases carry (case first: `team=Data` → `team=data`), and that matches
    /// at least one release; `None` when there is no such near miss.
    pub fn did_you_mean(&self, releases: &[ReleaseSpec]) -> Option<String> {
        let keys: BTreeSet<&str> = ["name", "namespace", "chart"]
            .into_iter()
            .chain(
                releases
                    .iter()
                    .flat_map(|r| r.labels.keys().map(String::as_str)),
            )
            .collect();
        for (i, (key, eq, value)) in self.0.iter().enumerate() {
            if !eq
                || releases
                    .iter()
                    .any(|r| label(r, key) == Some(value.as_str()))
            {
                continue;
            }
            let values: BTreeSet<&str> = releases.iter().filter_map(|r| label(r, key)).collect();
            let term = match crate::names::did_you_mean(value, values) {
                Some(v) => (key.clone(), true, v.to_owned()),
                None => match crate::names::did_you_mean(key, keys.iter().copied()) {
                    Some(k) => (k.to_owned(), true, value.clone()),
                    None => continue,
                },
            };
            let mut fixed = Selector(self.0.clone());
            fixed.0[i] = term;
            if releases.iter().any(|r| fixed.matches(r)) {
                return Some(fixed.to_string());
            }
        }
        None
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (key, eq, value)) in self.0.iter().enumerate() {
            let op = if *eq { "=" } else { "!=" };
            write!(f, "{}{key}{op}{value}", if i > 0 { "," } else { "" })?;
        }
        Ok(())
    }
}

/// What a selector's `key` reads on release `r`: its name, namespace or chart, or a label.
fn label<'a>(r: &'a ReleaseSpec, key: &str) -> Option<&'a str> {
    match key {
        "name" => Some(r.name.as_str()),
        "namespace" => Some(r.namespace.as_str()),
        "chart" => Some(r.chart.as_str()),
        other => r.labels.get(other).map(String::as_str),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::release;

    #[test]
    fn selectors_match_labels_and_builtin_keys() {
        let r = release("airflow", &[("tier", "data")]);
        assert!(Selector::parse("tier=data").unwrap().matches(&r));
        assert!(
            Selector::parse("name=airflow,tier=data")
                .unwrap()
                .matches(&r)
        );
        assert!(
            !Selector::parse("name=airflow,tier!=data")
                .unwrap()
                .matches(&r)
        );
        assert!(Selector::parse("team!=x").unwrap().matches(&r));
        assert!(!Selector::parse("team=x").unwrap().matches(&r));
        assert!(Selector::parse("chart=repo/chart").unwrap().matches(&r));
    }

    #[test]
    fn selectors_suggest_the_nearest_label_key_or_value() {
        let releases = [
            release("airflow", &[("team", "data"), ("tier", "backend")]),
            release("grafana", &[("team", "platform")]),
        ];
        let suggest = |s: &str| Selector::parse(s).unwrap().did_you_mean(&releases);
        assert_eq!(suggest("team=Data").as_deref(), Some("team=data"));
        assert_eq!(suggest("team=platfrom").as_deref(), Some("team=platform"));
        assert_eq!(suggest("Team=data").as_deref(), Some("team=data"));
        assert_eq!(suggest("nmae=grafana").as_deref(), Some("name=grafana"));
        // The other terms are kept, and the fix must select something.
        assert_eq!(
            suggest("tier=backend,team=dta").as_deref(),
            Some("tier=backend,team=data")
        );
        assert_eq!(suggest("tier=backend,team=platfrom"), None);
        assert_eq!(suggest("team=finance"), None);
        assert_eq!(suggest("team!=dta"), None);
    }

    #[test]
    fn bad_selectors_are_rejected() {
        for s in ["", "tier", "=x", "a=b=c", "a=b,"] {
            assert!(Selector::parse(s).is_err(), "{s}");
        }
    }
}
