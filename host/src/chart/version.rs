//! What a release's `version:` asks for, told straight: an exact version (`1.19.0`, `v1.19.0`)
//! is that version and nothing else, as in Helm and helmfile; a range must look like one — an
//! operator (`~1.19`, `^1.19.0`, `>=1.19, <1.20`, `=1.19`) or a wildcard (`1.19.x`, `1.19.*`).
//! A bare partial version (`1.19`) is neither, and is refused with both spellings, instead of
//! being read as the caret range `^1.19` (which takes 1.21).

/// A parsed `version:`.
#[derive(Debug, Clone, PartialEq)]
pub enum Wanted {
    Exact(semver::Version),
    Range(semver::VersionReq),
}

impl Wanted {
    pub fn parse(text: &str) -> Result<Wanted, String> {
        let t = text.trim();
        if let Ok(v) = semver::Version::parse(t.trim_start_matches('v')) {
            return Ok(Wanted::Exact(v));
        }
        let operator = t.contains(['^', '~', '<', '>', '=', '*'])
            || t.split(['.', ',', ' '])
                .any(|part| part.eq_ignore_ascii_case("x"));
        if !operator {
            let exact = match t.trim_start_matches('v').split('.').count() {
                1 => format!("{}.0.0", t.trim_start_matches('v')),
                _ => format!("{}.0", t.trim_start_matches('v')),
            };
            return Err(format!(
                "`{t}` is neither an exact version nor a range: write the exact version (`{exact}`), or a range \
                 that says so (`~{t}` or `{t}.x` for the newest {t}, `>={exact}` for anything newer)"
            ));
        }
        semver::VersionReq::parse(t)
            .map(Wanted::Range)
            .map_err(|e| format!("`{t}` is not a version range: {e}"))
    }

    /// Whether a chart version (as an index or `Chart.yaml` spells it) is what is wanted.
    /// Pre-releases match a range only when it names one, as in Helm.
    pub fn matches(&self, version: &str) -> bool {
        let Ok(v) = semver::Version::parse(version.trim().trim_start_matches('v')) else {
            return false;
        };
        match self {
            Wanted::Exact(w) => *w == v,
            Wanted::Range(r) => r.matches(&v),
        }
    }

    pub fn is_exact(&self) -> bool {
        matches!(self, Wanted::Exact(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_version_is_exact() {
        let w = Wanted::parse("1.15.0").unwrap();
        assert!(w.is_exact());
        assert!(w.matches("1.15.0") && w.matches("v1.15.0"));
        assert!(!w.matches("1.19.0"), "not ^1.15.0");
        assert!(Wanted::parse("v1.19.0").unwrap().matches("1.19.0"));
    }

    #[test]
    fn ranges_look_like_ranges() {
        for (range, yes, no) in [
            ("~1.19", "1.19.4", "1.20.0"),
            ("~1.19.0", "1.19.4", "1.20.0"),
            ("^1.19.0", "1.21.0", "2.0.0"),
            (">=1.19, <1.20", "1.19.9", "1.20.0"),
            ("1.19.x", "1.19.2", "1.20.0"),
            ("1.19.*", "1.19.2", "1.20.0"),
            ("=1.19", "1.19.1", "1.20.0"),
        ] {
            let w = Wanted::parse(range).unwrap_or_else(|e| panic!("{range}: {e}"));
            assert!(!w.is_exact());
            assert!(w.matches(yes), "{range} takes {yes}");
            assert!(!w.matches(no), "{range} refuses {no}");
        }
        assert!(!Wanted::parse("~1.20.0").unwrap().matches("1.20.0-rc1"));
    }

    #[test]
    fn a_bare_partial_version_is_refused_with_both_spellings() {
        let e = Wanted::parse("1.19").unwrap_err();
        assert!(
            e.contains("write the exact version (`1.19.0`)") && e.contains("`~1.19` or `1.19.x`"),
            "{e}"
        );
        assert!(Wanted::parse("1").is_err());
        assert!(
            Wanted::parse(">=banana")
                .unwrap_err()
                .contains("not a version range")
        );
    }
}
