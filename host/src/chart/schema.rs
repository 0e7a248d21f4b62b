//! A chart's values schema (`values.schema.json`), compiled at most once per run: part of
//! what a chart is, so the input layer (the chart resolver, the plan's `schema:` override)
//! holds it without depending on the checks that use it.

use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// A values schema, compiled at most once per run however many releases use it (a chart's
/// schema is shared by every release of that chart; compiling Airflow's takes milliseconds).
#[derive(Debug, Clone)]
pub struct ValuesSchema(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    value: Value,
    compiled: OnceLock<Result<jsonschema::Validator, String>>,
}

impl ValuesSchema {
    pub fn new(value: Value) -> Self {
        ValuesSchema(Arc::new(Shared {
            value,
            compiled: OnceLock::new(),
        }))
    }

    /// The schema document.
    pub fn value(&self) -> &Value {
        &self.0.value
    }

    /// The compiled validator (compiled on first use), or why the schema is not usable.
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
