//! `helmwasm cache info` and `helmwasm cache prune`: the caches of the cache folder, shown and
//! trimmed. Each is a folder or a set of files of its own:
//!
//! | cache | where | skipped by |
//! |---|---|---|
//! | compiled plugins | `DIR/*.cwasm`, `DIR/*.meta.json` | `--no-cache` |
//! | charts | `DIR/charts/` | nothing (`--offline` reads only this cache) |
//! | renders | `DIR/renders/*.render` | `--no-cache`, `--no-render-cache` |
//! | helm binaries | `DIR/helm/` (each binary's version and SHA-256) | nothing |
//!
//! Nothing here opens an entry: info counts files, prune removes them (symlinks are removed,
//! never followed).

use crate::cli::{CacheFormat, CacheInfoArgs, CachePruneArgs, Cli};
use crate::units::ByteSize;
use anyhow::{Context as _, Result, anyhow};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// One cache of the folder.
struct Kind {
    name: &'static str,
    what: &'static str,
    skipped_by: &'static [&'static str],
    /// The folder, relative to the cache folder.
    dir: &'static str,
    /// Whether a file (its name) in that folder, or in a folder below it, is an entry.
    entry: fn(&str) -> bool,
    /// Whether entries in folders below `dir` count (the chart cache's `refs/`).
    nested: bool,
}

const KINDS: [Kind; 4] = [
    Kind {
        name: "compiled",
        what: "compiled plugins",
        skipped_by: &["--no-cache"],
        dir: "",
        entry: |n| n.ends_with(".cwasm") || n.ends_with(".meta.json"),
        nested: false,
    },
    Kind {
        name: "charts",
        what: "fetched charts",
        skipped_by: &[],
        dir: "charts",
        entry: |_| true,
        nested: true,
    },
    Kind {
        name: "renders",
        what: "`helm template` outputs",
        skipped_by: &["--no-cache", "--no-render-cache"],
        dir: "renders",
        entry: |n| n.ends_with(".render"),
        nested: false,
    },
    Kind {
        name: "helm",
        what: "helm binaries' versions and digests",
        skipped_by: &[],
        dir: "helm",
        entry: |_| true,
        nested: false,
    },
];

/// An entry: its path, its time (last use for renders, last write for the others), its size.
struct Entry {
    path: PathBuf,
    time: SystemTime,
    size: u64,
}

fn entries(root: &Path, kind: &Kind) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut stack = vec![root.join(kind.dir)];
    while let Some(dir) = stack.pop() {
        let Ok(list) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in list.flatten() {
            let Ok(meta) = e.path().symlink_metadata() else {
                continue;
            };
            if meta.is_dir() {
                if kind.nested {
                    stack.push(e.path());
                }
            } else if e.file_name().to_str().is_some_and(kind.entry) {
                out.push(Entry {
                    path: e.path(),
                    time: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    size: meta.len(),
                });
            }
        }
    }
    out
}

/// The cache folder these commands look at (`--no-cache` does not change it).
fn folder(cli: &Cli) -> Result<PathBuf> {
    cli.cache_dir
        .clone()
        .or_else(crate::runtime::cache::default_dir)
        .ok_or_else(|| anyhow!("there is no cache folder: give --cache-dir DIR (or set HELMWASM_CACHE_DIR), or set HOME"))
}

pub fn info(cli: &Cli, args: &CacheInfoArgs) -> Result<()> {
    let root = folder(cli)?;
    let bound = cli
        .render_cache_size
        .map_or(super::RENDER_CACHE_SIZE, |s| s.0);
    let rows: Vec<_> = KINDS
        .iter()
        .map(|k| {
            let e = entries(&root, k);
            (k, e.len(), e.iter().map(|e| e.size).sum::<u64>())
        })
        .collect();
    let shown = crate::term::line(&root.display().to_string());
    let text = match args.output {
        CacheFormat::Json => {
            let caches: Vec<_> = rows
                .iter()
                .map(|(k, n, bytes)| {
                    json!({
                        "name": k.name,
                        "holds": k.what,
                        "path": root.join(k.dir),
                        "entries": n,
                        "bytes": bytes,
                        "max_bytes": (k.name == "renders").then_some(bound),
                        "skipped_by": k.skipped_by,
                    })
                })
                .collect();
            let doc = json!({"dir": root, "exists": root.is_dir(), "caches": caches});
            serde_json::to_string_pretty(&doc).expect("JSON") + "\n"
        }
        CacheFormat::Text => {
            let mut out = format!(
                "cache folder: {shown}{}\n",
                if root.is_dir() {
                    ""
                } else {
                    " (not created yet)"
                }
            );
            for (k, n, bytes) in &rows {
                let mut line = format!(
                    "{:<9} {:>6} {:<7} {:>10}",
                    k.name,
                    n,
                    if *n == 1 { "entry" } else { "entries" },
                    ByteSize(*bytes).to_string()
                );
                if k.name == "renders" {
                    line += &format!(" of at most {}", ByteSize(bound));
                }
                line += &format!("  {}", k.what);
                line += &match k.skipped_by {
                    [] => "; never skipped".to_owned(),
                    s => format!("; skipped by {}", s.join(" and ")),
                };
                out += line.trim_end();
                out.push('\n');
            }
            out
        }
    };
    print(&text)
}

pub fn prune(cli: &Cli, args: &CachePruneArgs) -> Result<()> {
    let root = folder(cli)?;
    let all = !(args.compiled || args.charts || args.renders);
    let cutoff = args.older_than.map(|age| {
        SystemTime::now()
            .checked_sub(age)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    });
    let mut out = String::new();
    for k in &KINDS {
        let chosen = match k.name {
            "compiled" => args.compiled,
            "charts" => args.charts,
            "renders" => args.renders,
            _ => false,
        };
        if !(all || chosen) {
            continue;
        }
        let (mut n, mut bytes) = (0usize, 0u64);
        for e in entries(&root, k) {
            if cutoff.is_none_or(|c| e.time < c) {
                std::fs::remove_file(&e.path)
                    .with_context(|| format!("cannot remove {}", e.path.display()))?;
                n += 1;
                bytes += e.size;
            }
        }
        out += &format!(
            "{}: removed {n} {} ({})\n",
            k.name,
            if n == 1 { "entry" } else { "entries" },
            ByteSize(bytes)
        );
    }
    print(&out)
}

fn print(text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
        .context("cannot write to stdout")
}
