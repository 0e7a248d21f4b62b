//! The alias byte budget: how much aliases may add to a document, in bytes, beside the node
//! cap ([`super::MAX_NODES`]).

use serde_json::Value;

/// How many bytes aliases may add to a document (the text of the scalars and keys they copy,
/// and a few bytes a node): proportional to the text, within a floor and a ceiling, tighter
/// for what comes from the network. One 1 MiB string aliased 10,000 times is 11,000 nodes but
/// 10 GB; this is what stops it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Files the user names (the pipeline file, values files, `post-render` stdin): 16 times
    /// the text, at least 4 MiB, at most 64 MiB.
    Local,
    /// What a chart repository or a chart archive supplies (`index.yaml`, `Chart.yaml`,
    /// `values.yaml`): 4 times the text, at least 1 MiB, at most 32 MiB.
    Remote,
}

impl Budget {
    /// The most bytes aliases may add to a document of `len` bytes.
    pub fn bytes(self, len: usize) -> usize {
        let (factor, floor, ceiling) = match self {
            Budget::Local => (16, 4 << 20, 64 << 20),
            Budget::Remote => (4, 1 << 20, 32 << 20),
        };
        len.saturating_mul(factor).clamp(floor, ceiling)
    }
}

/// The bytes a value stands for once expanded: its scalars' and keys' text, and 8 a node.
pub(super) fn expanded_bytes(v: &Value) -> usize {
    8 + match v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.iter().map(expanded_bytes).sum(),
        Value::Object(m) => m.iter().map(|(k, v)| k.len() + expanded_bytes(v)).sum(),
        _ => 0,
    }
}
