//! The render model: what a run produced for each release. Built by [`crate::execute`]
//! (values and emitted manifests), read by [`crate::checks`] and [`crate::output`]. It
//! depends on no other stage.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Render {
    pub releases: Vec<ReleaseRender>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseRender {
    pub name: String,
    pub namespace: String,
    /// The final values (what `helm template` got).
    pub values: Value,
    /// Objects emitted by the steps, in step order.
    pub manifests: Vec<Manifest>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub step: usize,
    pub plugin: String,
    pub object: Value,
}
