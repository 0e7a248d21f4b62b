//! Judging a password by its value, for any rule that finds one (the Airflow UI's admin
//! password today): the chart's default in any letter case, a well-known password, one a
//! maintained strength estimator finds weak ([`zxcvbn`], Dropbox's estimator with its
//! dictionaries of common passwords, names and words), or one shorter than [`MIN_LENGTH`].
//! The verdict never holds the password, so a message can say why without showing it.

use zxcvbn::matching::patterns::MatchPattern;

/// The shortest password helmwasm accepts for a user exposed outside the cluster (OWASP ASVS
/// 4.0 §2.1.1 asks at least 12 characters).
pub const MIN_LENGTH: usize = 12;

/// The lowest zxcvbn score accepted (3: "safely unguessable", ~10^10 guesses).
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// Why a password is weak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Weakness {
    /// The chart's own default, in any letter case.
    ChartDefault,
    /// One of the most common passwords (zxcvbn's list), in any letter case.
    WellKnown,
    /// Shorter than [`MIN_LENGTH`], with its length.
    Short(usize),
    /// Guessable by the estimator: its score (0–4) and its first suggestion, if any.
    Guessable(u8, Option<String>),
}

impl std::fmt::Display for Weakness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Weakness::ChartDefault => {
                write!(f, "is the chart's default password (in some letter case)")
            }
            Weakness::WellKnown => write!(f, "is one of the most common passwords"),
            Weakness::Short(n) => write!(
                f,
                "is {n} characters long, shorter than the {MIN_LENGTH} helmwasm asks"
            ),
            Weakness::Guessable(score, hint) => {
                write!(
                    f,
                    "is easy to guess (zxcvbn strength {score} of 4, at least 3 needed)"
                )?;
                if let Some(h) = hint {
                    write!(f, ": {h}")?;
                }
                Ok(())
            }
        }
    }
}

/// Build zxcvbn's dictionaries now (its first call takes ~15 ms; later ones well under one).
pub fn warm_up() {
    let _ = zxcvbn::zxcvbn("helmwasm-warm-up", &[]);
}

/// Verdicts of this process, by password, chart default and context: 500 releases with one
/// admin password ask once (each zxcvbn call takes ~0.25 ms). Held in memory only.
type Verdicts = std::collections::HashMap<(String, String, Vec<String>), Option<Weakness>>;
static VERDICTS: std::sync::LazyLock<std::sync::Mutex<Verdicts>> =
    std::sync::LazyLock::new(Default::default);

/// Whether `password` is weak, and why. `context` are words an attacker would try first
/// (the user name, the release): the estimator counts them as guessed.
pub fn judge(password: &str, chart_default: &str, context: &[&str]) -> Option<Weakness> {
    let key = (
        password.to_owned(),
        chart_default.to_owned(),
        context.iter().map(|c| (*c).to_owned()).collect(),
    );
    if let Some(v) = crate::parallel::lock(&VERDICTS).get(&key) {
        return v.clone();
    }
    let verdict = judge_once(password, chart_default, context);
    crate::parallel::lock(&VERDICTS).insert(key, verdict.clone());
    verdict
}

fn judge_once(password: &str, chart_default: &str, context: &[&str]) -> Option<Weakness> {
    if password.eq_ignore_ascii_case(chart_default) {
        return Some(Weakness::ChartDefault);
    }
    let entropy = zxcvbn::zxcvbn(password, context);
    let whole = password.chars().count();
    let well_known = entropy.sequence().iter().any(|m| {
        m.token.chars().count() == whole
            // zxcvbn 3.1 does not export `DictionaryType`; its `Debug` name is the list's.
            && matches!(&m.pattern, MatchPattern::Dictionary(d)
                if format!("{:?}", d.dictionary_name) == "Passwords" && !d.reversed)
    });
    if well_known {
        return Some(Weakness::WellKnown);
    }
    if whole < MIN_LENGTH {
        return Some(Weakness::Short(whole));
    }
    if entropy.score() < MIN_SCORE {
        let hint = entropy
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| w.to_string());
        return Some(Weakness::Guessable(entropy.score() as u8, hint));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_default_in_any_case() {
        for p in ["admin", "Admin", "ADMIN"] {
            assert_eq!(judge(p, "admin", &[]), Some(Weakness::ChartDefault), "{p}");
        }
    }

    #[test]
    fn well_known_passwords() {
        for p in [
            "password123",
            "password",
            "qwerty123",
            "letmein",
            "Password1",
        ] {
            assert_eq!(judge(p, "admin", &[]), Some(Weakness::WellKnown), "{p}");
        }
    }

    #[test]
    fn short_and_guessable_passwords() {
        assert_eq!(judge("x7#Kq!2v", "admin", &[]), Some(Weakness::Short(8)));
        let w = judge("airflowairflow", "admin", &["airflow"]).unwrap();
        assert!(matches!(w, Weakness::Guessable(..)), "{w:?}");
        assert!(matches!(
            judge("aaaaaaaaaaaaaaaa", "admin", &[]),
            Some(Weakness::Guessable(..))
        ));
    }

    #[test]
    fn strong_passwords_pass() {
        for p in [
            "correct-horse-battery-staple-42",
            "N7w#q2LxT9v!bR4m",
            "DUMMY-change-me-admin-password",
        ] {
            assert_eq!(judge(p, "admin", &["admin"]), None, "{p}");
        }
    }

    #[test]
    fn the_verdict_never_holds_the_password() {
        for p in ["admin", "password123", "x7#Kq!2v", "airflowairflow"] {
            let said = judge(p, "admin", &["airflow"]).unwrap().to_string();
            assert!(!said.to_lowercase().contains(&p.to_lowercase()), "{said}");
        }
    }
}
