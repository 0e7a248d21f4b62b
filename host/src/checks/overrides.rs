//! A step changed or deleted a key the user set (a values file or `--set`): the step's value
//! is what renders, so say so, naming the key, the user's value and where it was set, the step
//! and what it left. Nothing is said where the final value is the user's again (a later step,
//! or `userWins`, put it back). Values are shown as JSON, cut short; the printed line is
//! redacted like every other.

use super::{Check, Input, Phase, Problem};
use serde_json::Value;

pub struct UserOverridden;

/// The longest value shown in a warning.
const SHOWN: usize = 120;

impl Check for UserOverridden {
    fn name(&self) -> &'static str {
        "user values changed by steps"
    }

    fn phase(&self) -> Phase {
        Phase::Values
    }

    fn run(&self, _input: &Input) -> Vec<Problem> {
        Vec::new()
    }

    fn findings(&self, input: &Input) -> (Vec<Problem>, Vec<Problem>) {
        // A chart's rules may name a replaced key with advice of their own (Airflow's
        // executor: HW0316).
        let reported = |path: &str| input.known.is_some_and(|k| k.reports_overrides_of(path));
        let finals = &input.render.values;
        let warnings = input
            .render
            .provenance
            .overridden
            .iter()
            .filter(|o| !reported(&o.path))
            .filter(|o| crate::values::get(finals, &o.path) != Some(&o.user_value))
            .map(|o| Problem {
                code: &crate::codes::USER_VALUE_OVERRIDDEN,
                at: o.path.clone(),
                message: if o.value.is_null() {
                    format!(
                        "{} deleted your value {} (set by {}); to keep it, list `{}` under `userWins`",
                        o.by,
                        shown(&o.user_value),
                        o.user_origin,
                        o.path
                    )
                } else {
                    format!(
                        "{} replaced your value {} (set by {}) with {}; to keep yours, list `{}` under `userWins`",
                        o.by,
                        shown(&o.user_value),
                        o.user_origin,
                        shown(&o.value),
                        o.path
                    )
                },
            })
            .collect();
        (Vec::new(), warnings)
    }
}

/// A value as compact JSON, cut to [`SHOWN`] characters.
fn shown(v: &Value) -> String {
    let text = serde_json::to_string(v).unwrap_or_default();
    if text.chars().count() <= SHOWN {
        return text;
    }
    let cut: String = text.chars().take(SHOWN).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_values_are_cut() {
        assert_eq!(shown(&json!(20)), "20");
        let long = shown(&json!("x".repeat(500)));
        assert_eq!(long.chars().count(), SHOWN + 1);
        assert!(long.ends_with('…'));
    }
}
