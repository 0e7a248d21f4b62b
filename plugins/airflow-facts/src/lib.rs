//! Facts about the official Apache Airflow Helm chart (`apache-airflow/airflow`) as versioned
//! data: the one place both the host's Airflow rules and the `airflow-*` plugins read them
//! from, so no table is kept twice and no plugin or rule compares a chart version. No
//! dependencies: it builds for the host and for `wasm32-wasip2` alike.
//!
//! The facts are written for the chart lines in [`LINES`] (1.19, 1.20, 1.21), each fact once,
//! with an override only from the line where the chart changed it ([`data`]). [`select`] picks
//! the facts for a chart version: its own line, or the newest line for a newer chart of the same
//! major version (which the host then verifies against the chart before the first step, and
//! says so once). Another major version (2.0) is refused until it has facts.
//!
//! Sources: the charts themselves (`values.yaml`, `values.schema.json`, `templates/`) of 1.19.0,
//! 1.20.0 and 1.21.0, and `../shared/AIRFLOW.md`; every fact is checked against those charts
//! by the host's tests (`chart_facts`).

mod data;
mod version;

pub use data::{AIRFLOW2_ONLY, BLOCK_STORAGE_CLASSES, KEYS, SECRET_REFS, SOMETIMES_MOUNTED};
pub use version::{Line, major_minor};

/// The chart lines these facts are written for, oldest first, each with the release the
/// project tests it with (a chart of that line renders through real helm in the tests).
pub const LINES: &[(Line, &str)] = &[
    (Line(1, 19), "1.19.0"),
    (Line(1, 20), "1.20.0"),
    (Line(1, 21), "1.21.0"),
];

/// The chart's `Chart.yaml` name (Bitnami's chart has the same name, another home).
pub const NAME: &str = "airflow";
/// The chart's `Chart.yaml` home page and official repository URL.
pub const HOME: &str = "https://airflow.apache.org";
/// The chart's `Chart.yaml` source.
pub const SOURCE: &str = "https://github.com/apache/airflow";

/// `ports.pgbouncer` default (the same on every line).
pub const PGBOUNCER_PORT: u16 = 6543;

/// The type a key holds in the chart's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int,
    Str,
    Map,
    List,
}

impl Kind {
    /// The JSON Schema type name.
    pub fn schema_type(self) -> &'static str {
        match self {
            Kind::Bool => "boolean",
            Kind::Int => "integer",
            Kind::Str => "string",
            Kind::Map => "object",
            Kind::List => "array",
        }
    }
}

/// A values key the plugins or rules use, by its logical name (how chart 1.19 spelt it), with
/// the paths the chart reads it from: from each line on, in the order the chart lets them win
/// (the first is the one a step writes; a later one is a deprecated spelling still read when
/// the first is unset).
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    pub since: &'static [(Line, &'static [&'static str])],
}

/// A Secret the chart reads by the name a values key gives, and the keys it reads from it.
#[derive(Debug)]
pub struct SecretRef {
    /// The logical name of the values key naming the Secret (a [`KEYS`] entry).
    pub key: &'static str,
    /// The data keys the chart reads (`secretKeyRef.key` or a volume mount's `subPath`).
    pub data_keys: &'static [&'static str],
}

/// Why no facts apply to a chart version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a version (`x`, empty).
    NotAVersion(String),
    /// Older than the oldest line the facts know.
    TooOld(String),
    /// Another major version than the facts are written for (`2.0.0`).
    OtherMajor(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (oldest, newest) = (LINES[0].0, LINES[LINES.len() - 1].0);
        match self {
            Refusal::NotAVersion(v) if v.trim().is_empty() => write!(
                f,
                "the release names no chart version, so the Airflow chart facts cannot be chosen; set `version` (such as `{}`)",
                LINES[LINES.len() - 1].1
            ),
            Refusal::NotAVersion(v) => write!(
                f,
                "chart version `{v}` is not a version, so the Airflow chart facts cannot be chosen"
            ),
            Refusal::TooOld(v) => write!(
                f,
                "chart version `{v}` is older than the Airflow chart facts helmwasm has ({oldest} to {newest}); key paths differ between chart versions, so use chart {oldest} or later"
            ),
            Refusal::OtherMajor(v) => write!(
                f,
                "chart version `{v}` is another major version than the Airflow chart facts helmwasm has ({oldest} to {newest}): a major version renames and removes keys, so it is refused until facts are written for it; use a chart from {oldest} to {newest}.x"
            ),
        }
    }
}

/// The facts for one chart version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// The line the facts were written for.
    pub line: Line,
    /// The chart's own line (`1.22` for chart 1.22.0: newer than [`Facts::line`]).
    pub chart: Line,
}

/// The facts for a chart version (`1.21.0`, `v1.21.1-rc1`, or a pipeline's range such as
/// `~1.21.0` or `1.21.x` when the chart could not be had).
pub fn select(version: &str) -> Result<Facts, Refusal> {
    let bare = version
        .trim()
        .trim_start_matches(['=', '~', '^', 'v', '>', ' ']);
    let Some((major, minor)) = major_minor(bare) else {
        return Err(Refusal::NotAVersion(version.to_owned()));
    };
    let chart = Line(major, minor);
    let (oldest, newest) = (LINES[0].0, LINES[LINES.len() - 1].0);
    if major != newest.0 {
        return Err(Refusal::OtherMajor(version.to_owned()));
    }
    if chart < oldest {
        return Err(Refusal::TooOld(version.to_owned()));
    }
    let line = LINES
        .iter()
        .rev()
        .map(|(l, _)| *l)
        .find(|l| *l <= chart)
        .unwrap_or(oldest);
    Ok(Facts { line, chart })
}

impl Facts {
    /// Whether the chart is newer than the newest line the facts were written for (they are
    /// used once they verify against the chart, with a warning).
    pub fn is_newer(&self) -> bool {
        self.chart > self.line
    }

    /// The release the facts' line is tested with (`1.21.0`).
    pub fn tested(&self) -> &'static str {
        LINES
            .iter()
            .find(|(l, _)| *l == self.line)
            .map_or("", |(_, t)| t)
    }

    /// The paths the chart reads a key from, the winning one first.
    ///
    /// # Panics
    /// When `name` is not a [`KEYS`] entry (a bug in the caller, caught by its tests).
    pub fn paths(&self, name: &str) -> &'static [&'static str] {
        let key = KEYS
            .iter()
            .find(|k| k.name == name)
            .unwrap_or_else(|| panic!("`{name}` is not an Airflow chart fact"));
        key.since
            .iter()
            .rev()
            .find(|(l, _)| *l <= self.line)
            .map_or(&[][..], |(_, p)| p)
    }

    /// What the chart reads for a key: the first of its paths, in the order the chart lets
    /// them win, that `get` finds set (a new path, else its deprecated spelling).
    pub fn first_set<T>(
        &self,
        name: &str,
        get: impl FnMut(&'static str) -> Option<T>,
    ) -> Option<T> {
        self.paths(name).iter().copied().find_map(get)
    }

    /// The path a step writes a key to (the one the chart lets win).
    pub fn path(&self, name: &str) -> &'static str {
        self.paths(name)[0]
    }

    /// Every key path these facts use, with its logical name and type: what the host checks
    /// against the chart before the first step.
    pub fn all_paths(&self) -> Vec<(&'static str, &'static str, Kind)> {
        KEYS.iter()
            .flat_map(|k| self.paths(k.name).iter().map(move |p| (k.name, *p, k.kind)))
            .collect()
    }

    /// The deprecated spellings these facts know of a key a step writes: `(old, new)`.
    pub fn renamed(&self) -> Vec<(&'static str, &'static str)> {
        KEYS.iter()
            .flat_map(|k| {
                let p = self.paths(k.name);
                p[1..].iter().map(move |old| (*old, p[0]))
            })
            .collect()
    }

    /// The Secrets the chart reads by name, as `(values path, data keys)`.
    pub fn secret_refs(&self) -> Vec<(&'static str, &'static [&'static str])> {
        SECRET_REFS
            .iter()
            .map(|r| (self.path(r.key), r.data_keys))
            .collect()
    }

    /// The first data key the chart reads from the Secret that the key `name` names, e.g.
    /// `fernetKeySecretName` → `fernet-key`.
    pub fn secret_key(&self, name: &str) -> &'static str {
        SECRET_REFS
            .iter()
            .find(|r| r.key == name)
            .and_then(|r| r.data_keys.first().copied())
            .unwrap_or_else(|| panic!("`{name}` is not in SECRET_REFS"))
    }

    /// The chart's default `airflowVersion`.
    pub fn default_airflow_version(&self) -> &'static str {
        data::since(data::DEFAULT_AIRFLOW_VERSION, self.line)
    }

    /// The length of the JWT secret the chart generates (`randAlphaNum N`).
    pub fn jwt_secret_length(&self) -> usize {
        data::since(data::JWT_SECRET_LENGTH, self.line)
    }

    /// `executor` default.
    pub fn default_executor(&self) -> &'static str {
        "CeleryExecutor"
    }

    /// `createUserJob.defaultUser.password` default.
    pub fn default_admin_password(&self) -> &'static str {
        "admin"
    }

    /// Where the chart takes extra pod-template annotations: every Airflow pod, PgBouncer,
    /// Redis.
    pub fn pod_annotations(&self) -> Vec<&'static str> {
        [
            "airflowPodAnnotations",
            "pgbouncer.podAnnotations",
            "redis.podAnnotations",
        ]
        .iter()
        .map(|k| self.path(k))
        .collect()
    }

    /// The components that take a `resources` block, by logical name (`workers`,
    /// `workers.logGroomerSidecar`, …), with the block's path on this line.
    pub fn components(&self) -> Vec<(&'static str, &'static str)> {
        data::COMPONENTS
            .iter()
            .map(|c| (*c, self.path(&format!("{c}.resources"))))
            .collect()
    }

    /// The `webserver` keys only Airflow 2 reads, with the `apiServer` key that takes effect
    /// on Airflow 3.
    pub fn airflow2_only(&self) -> &'static [(&'static str, &'static str)] {
        AIRFLOW2_ONLY
    }

    /// The chart's 81 top-level keys (the same on every line). The schema's root is open, so a
    /// misspelt top-level key passes it silently.
    pub fn top_level_keys(&self) -> &'static [&'static str] {
        data::TOP_LEVEL_KEYS
    }
}

#[cfg(test)]
mod tests;
