//! The metadata and result-backend connection URLs, read from the Secrets the values name
//! (emitted by a step, or `extraSecrets`):
//! - the result backend needs `db+` (Celery), the metadata URL must not have it;
//! - `postgres://` is refused by SQLAlchemy 2 (Airflow 3): `postgresql://`;
//! - `sslmode=verify-full`/`verify-ca` without `sslrootcert` cannot verify anything; no
//!   `sslmode` at all is a warning (libpq then tries TLS but accepts plain text). A URL to the
//!   release's own PgBouncer is in-cluster: its TLS is PgBouncer's business.
//!
//! Where the chart builds a URL itself (no `*SecretName`), from `data.metadataConnection` and
//! `data.resultBackendConnection`, the same holds for its `protocol`: the metadata scheme is the
//! protocol as written, so `db+postgresql` is an error; the chart prefixes the result-backend
//! scheme with `db+` itself, so a `db+` protocol there doubles it; `postgres` is refused by
//! SQLAlchemy 2 in either.

use super::secrets::connection_of;
use super::{Ctx, Finding};

/// The scheme part of a URL, for messages that must not show credentials.
fn scheme(url: &str) -> &str {
    url.split_once("://").map_or("(no scheme)", |(s, _)| s)
}

fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let hostport = authority.rsplit('@').next().unwrap_or("");
    hostport.split(':').next().unwrap_or("")
}

/// The protocols of the connections the chart turns into URLs itself.
fn chart_built(ctx: &Ctx, out: &mut Vec<Finding>) {
    // The chart's own test (`contains`), on the executor it renders (default Celery).
    let executor = ctx.str("executor").unwrap_or("CeleryExecutor");
    let celery =
        executor.contains("CeleryExecutor") || executor.contains("CeleryKubernetesExecutor");
    let result_backend = ctx.get("data.resultBackendConnection").is_some()
        && ctx.str("data.resultBackendSecretName").is_none()
        && celery;
    let metadata = ctx.str("data.metadataSecretName").is_none();
    for (built, key, what, prefixed) in [
        (metadata, "data.metadataConnection", "metadata", false),
        (
            result_backend,
            "data.resultBackendConnection",
            "result-backend",
            true,
        ),
    ] {
        if !built {
            continue;
        }
        // The result backend falls back to the metadata connection's fields, as the chart does.
        let at = format!("{key}.protocol");
        let (path, protocol) = match ctx.str(&at) {
            Some(p) => (at, p),
            None if prefixed => match ctx.str("data.metadataConnection.protocol") {
                Some(p) => ("data.metadataConnection.protocol".to_owned(), p),
                None => continue,
            },
            None => continue,
        };
        let set_by = ctx.set_by(&path);
        if protocol.starts_with("db+") {
            out.push(Finding::error(
                &path,
                if prefixed {
                    format!(
                        "`{path}` is `{protocol}`{set_by}: the chart prefixes the result-backend URL with `db+` itself, \
                         so its Secret would hold `db+{protocol}://…`; write `{}`",
                        protocol.trim_start_matches("db+")
                    )
                } else {
                    format!(
                        "`{path}` is `{protocol}`{set_by}: the chart builds the {what} URL with it as the scheme, and \
                         the metadata connection must not have the `db+` prefix (that is for the Celery result backend \
                         only); write `{}`",
                        protocol.trim_start_matches("db+")
                    )
                },
            ));
        } else if protocol == "postgres" {
            out.push(Finding::error(
                &path,
                format!(
                    "`{path}` is `postgres`{set_by}: the chart builds the {what} URL with it as the scheme, which \
                     SQLAlchemy 2 (Airflow 3) refuses (\"Can't load plugin: sqlalchemy.dialects:postgres\"); write \
                     `postgresql`"
                ),
            ));
        }
    }
}

pub fn connection_urls(ctx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    chart_built(ctx, &mut out);
    for (path, wants_db_plus) in [
        ("data.metadataSecretName", false),
        ("data.resultBackendSecretName", true),
    ] {
        let Some(name) = ctx.str(path) else { continue };
        let Some(url) = connection_of(ctx.render, ctx.values, name) else {
            continue;
        };
        let what = if wants_db_plus {
            "result-backend"
        } else {
            "metadata"
        };
        let has = url.starts_with("db+");
        if has != wants_db_plus {
            out.push(Finding::error(
                path,
                if wants_db_plus {
                    format!(
                        "Secret `{name}` holds a result-backend URL with scheme `{}`; Celery needs the `db+` prefix (`db+postgresql://…`)",
                        scheme(&url)
                    )
                } else {
                    format!(
                        "Secret `{name}` holds a metadata URL with scheme `{}`; the metadata connection must not have the `db+` prefix (that is for the Celery result backend only)",
                        scheme(&url)
                    )
                },
            ));
        }
        let bare = url.strip_prefix("db+").unwrap_or(&url);
        if bare.starts_with("postgres://") {
            out.push(Finding::error(
                path,
                format!(
                    "Secret `{name}` holds a {what} URL with scheme `{}`, which SQLAlchemy 2 (Airflow 3) refuses \
                     (\"Can't load plugin: sqlalchemy.dialects:postgres\"); use `postgresql://`",
                    scheme(&url)
                ),
            ));
        }
        if !bare.starts_with("postgresql")
            || host(bare).ends_with("-pgbouncer")
            || host(bare).contains("-pgbouncer.")
        {
            continue;
        }
        match query_param(bare, "sslmode") {
            None => out.push(Finding::warning(
                path,
                format!(
                    "the {what} URL in Secret `{name}` has no `sslmode`: libpq then accepts an unencrypted \
                     connection; add `sslmode=require` (or `verify-full` with `sslrootcert`)"
                ),
            )),
            Some(mode @ ("verify-full" | "verify-ca")) if query_param(bare, "sslrootcert").is_none() => {
                out.push(Finding::error(
                    path,
                    format!(
                        "the {what} URL in Secret `{name}` asks for `sslmode={mode}` without `sslrootcert`: there is \
                         no CA to verify the server against (for RDS, the region's CA bundle mounted into the pods)"
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::run_with;
    use super::*;
    use crate::provenance::Provenance;
    use serde_json::json;

    fn with_urls(metadata: &str, backend: &str) -> Vec<Finding> {
        let values = json!({
            "data": {"metadataSecretName": "m", "resultBackendSecretName": "r"},
            "extraSecrets": {
                "m": {"stringData": format!("connection: {metadata}")},
                "r": {"stringData": format!("connection: {backend}")}
            }
        });
        run_with(connection_urls, values, Provenance::default())
    }

    #[test]
    fn good_urls_pass() {
        assert!(
            with_urls(
                "postgresql://u:p@db:5432/a?sslmode=require",
                "db+postgresql://u:p@db:5432/a?sslmode=require"
            )
            .is_empty()
        );
        assert!(
            with_urls(
                "postgresql://u:p@db/a?sslmode=verify-full&sslrootcert=/ca.pem",
                "db+postgresql://u:p@db/a?sslmode=verify-full&sslrootcert=/ca.pem"
            )
            .is_empty()
        );
        assert!(
            with_urls(
                "postgresql://u:p@airflow-pgbouncer.airflow:6543/m",
                "db+postgresql://u:p@airflow-pgbouncer.airflow:6543/r"
            )
            .is_empty()
        );
    }

    #[test]
    fn protocols_of_the_connections_the_chart_builds_are_checked() {
        let f = run_with(
            connection_urls,
            json!({"data": {"metadataConnection": {"protocol": "db+postgresql"}}}),
            Provenance::default(),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].path, "data.metadataConnection.protocol");
        assert!(
            f[0].message.contains("must not have the `db+` prefix"),
            "{}",
            f[0].message
        );
        // The result backend: the chart adds `db+` itself; falls back to the metadata fields.
        let f = run_with(
            connection_urls,
            json!({"data": {"metadataConnection": {"protocol": "postgresql"},
                            "resultBackendConnection": {"protocol": "db+postgresql"}}}),
            Provenance::default(),
        );
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("would hold `db+db+postgresql://…`"),
            "{}",
            f[0].message
        );
        let f = run_with(
            connection_urls,
            json!({"data": {"metadataConnection": {"protocol": "postgres"}, "resultBackendConnection": {"user": "u"}}}),
            Provenance::default(),
        );
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f.iter().all(|f| f.message.contains("SQLAlchemy 2")));
        // A Secret name means the chart builds nothing; a non-Celery executor no result backend.
        assert!(
            run_with(
                connection_urls,
                json!({"data": {"metadataSecretName": "m", "metadataConnection": {"protocol": "db+postgresql"}}}),
                Provenance::default(),
            )
            .is_empty()
        );
        assert!(
            run_with(
                connection_urls,
                json!({"executor": "KubernetesExecutor", "data": {"metadataConnection": {"protocol": "postgresql"},
                        "resultBackendConnection": {"protocol": "db+postgresql"}}}),
                Provenance::default(),
            )
            .is_empty()
        );
        // The chart's defaults are fine.
        assert!(
            run_with(
                connection_urls,
                json!({"data": {"metadataConnection": {"protocol": "postgresql"}}}),
                Provenance::default(),
            )
            .is_empty()
        );
    }

    #[test]
    fn db_plus_postgres_and_ssl_mistakes_are_found() {
        let f = with_urls(
            "db+postgresql://u:p@db/a?sslmode=require",
            "postgresql://u:p@db/a?sslmode=require",
        );
        assert_eq!(f.len(), 2);
        let f = with_urls(
            "postgres://u:p@db/a?sslmode=require",
            "db+postgres://u:p@db/a?sslmode=require",
        );
        assert_eq!(f.len(), 2);
        assert!(f[0].message.contains("SQLAlchemy 2"), "{}", f[0].message);
        assert!(!f[0].message.contains("u:p"), "no credentials in messages");
        let f = with_urls(
            "postgresql://u:p@db/a",
            "db+postgresql://u:p@db/a?sslmode=verify-full",
        );
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].severity, super::super::Severity::Warning);
        assert_eq!(f[1].severity, super::super::Severity::Error);
        assert!(
            f[1].message.contains("without `sslrootcert`"),
            "{}",
            f[1].message
        );
    }
}
