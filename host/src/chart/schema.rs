//! A chart's values schema (`values.schema.json`), compiled at most once per run: part of
//! what a chart is, so the input layer (the chart resolver, the plan's `schema:` override)
//! holds it without depending on the checks that use it.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A values schema, compiled at most once per run however many releases use it (a chart's
/// schema is shared by every release of that chart; compiling Airflow's takes milliseconds).
#[derive(Debug, Clone)]
pub struct ValuesSchema(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    value: Value,
    compiled: OnceLock<Result<jsonschema::Validator, String>>,
    /// Validators of the schema cut to a values tree ([`super::prune`]), by the cut's hash:
    /// releases whose values have the same shape share one.
    cuts: Mutex<HashMap<u64, Arc<jsonschema::Validator>>>,
    /// The whole schema checked against its meta-schema (once), so a broken schema is
    /// reported whatever part of it the values reach, as compiling it whole did.
    checked: OnceLock<Result<(), String>>,
}

/// A validator: the whole schema's, or one of a cut.
pub enum Validator<'a> {
    Whole(&'a jsonschema::Validator),
    Cut(Arc<jsonschema::Validator>),
}

impl std::ops::Deref for Validator<'_> {
    type Target = jsonschema::Validator;
    fn deref(&self) -> &jsonschema::Validator {
        match self {
            Validator::Whole(v) => v,
            Validator::Cut(v) => v,
        }
    }
}

impl ValuesSchema {
    pub fn new(value: Value) -> Self {
        ValuesSchema(Arc::new(Shared {
            value,
            compiled: OnceLock::new(),
            cuts: Mutex::new(HashMap::new()),
            checked: OnceLock::new(),
        }))
    }

    /// The schema document.
    pub fn value(&self) -> &Value {
        &self.0.value
    }

    /// A validator for `instance`: the schema cut to what validating it can reach, compiled
    /// (once per distinct cut), which validates it exactly as the whole schema does; the
    /// whole schema's when it cannot be cut. Why the schema is not usable, if it is not.
    pub fn validator_for(&self, instance: &Value) -> Result<Validator<'_>, String> {
        use std::hash::{Hash, Hasher};
        let Some(cut) = super::prune::prune(&self.0.value, instance) else {
            return self.validator().map(Validator::Whole);
        };
        self.0
            .checked
            .get_or_init(|| jsonschema::meta::validate(&self.0.value).map_err(|e| e.to_string()))
            .clone()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        serde_json::to_vec(&cut).expect("JSON").hash(&mut h);
        let key = h.finish();
        if let Some(v) = crate::parallel::lock(&self.0.cuts).get(&key) {
            return Ok(Validator::Cut(v.clone()));
        }
        match jsonschema::options().build(&cut) {
            Ok(v) => {
                let v = Arc::new(v);
                crate::parallel::lock(&self.0.cuts).insert(key, v.clone());
                Ok(Validator::Cut(v))
            }
            // Not expected (a cut of a schema that compiles); the whole one decides.
            Err(_) => self.validator().map(Validator::Whole),
        }
    }

    /// The whole schema's validator (compiled on first use), or why the schema is not usable.
    pub fn validator(&self) -> Result<&jsonschema::Validator, String> {
        self.0
            .compiled
            .get_or_init(|| {
                jsonschema::options()
                    .build(&self.0.value)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl PartialEq for ValuesSchema {
    fn eq(&self, other: &Self) -> bool {
        self.0.value == other.0.value
    }
}
