//! Watching the inputs: notify's debouncer over the folders [`super::inputs`] names (a file
//! through its folder, so an editor's save by write-then-rename is one change), handing the
//! changed paths over once things settle.

use anyhow::{Context as _, Result};
use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

pub struct Watcher {
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    changes: mpsc::Receiver<Vec<PathBuf>>,
    /// What is watched now: folder → recursive.
    watching: BTreeMap<PathBuf, bool>,
}

impl Watcher {
    /// Changes are handed over `debounce` after the last one of a burst.
    pub fn new(debounce: Duration) -> Result<Watcher> {
        let (tx, rx) = mpsc::channel();
        let debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
            if let Ok(events) = result {
                let paths: BTreeSet<PathBuf> = events
                    .into_iter()
                    .filter(|e| !e.kind.is_access())
                    .flat_map(|e| e.event.paths)
                    .collect();
                if !paths.is_empty() {
                    let _ = tx.send(paths.into_iter().collect());
                }
            }
        })
        .context("cannot start watching files")?;
        Ok(Watcher {
            debouncer,
            changes: rx,
            watching: BTreeMap::new(),
        })
    }

    /// Watch exactly `points` (folder → recursive). A folder that does not exist is watched
    /// through the nearest one that does, so that creating it is seen.
    pub fn watch(&mut self, points: &BTreeMap<PathBuf, bool>) {
        let mut wanted: BTreeMap<PathBuf, bool> = BTreeMap::new();
        for (dir, recursive) in points {
            let mut dir = dir.clone();
            let mut recursive = *recursive;
            while !dir.is_dir() {
                match dir.parent() {
                    Some(p) if !p.as_os_str().is_empty() => {
                        dir = p.to_path_buf();
                        recursive = false;
                    }
                    _ => break,
                }
            }
            *wanted.entry(dir).or_insert(false) |= recursive;
        }
        for (dir, recursive) in &self.watching {
            if wanted.get(dir) != Some(recursive) {
                let _ = self.debouncer.unwatch(dir);
            }
        }
        let before = std::mem::take(&mut self.watching);
        for (dir, recursive) in wanted {
            let mode = if recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            if before.get(&dir) == Some(&recursive) || self.debouncer.watch(&dir, mode).is_ok() {
                self.watching.insert(dir, recursive);
            }
        }
    }

    /// The paths changed since the last call, waiting up to `timeout` for some (`None`: none
    /// came). Bursts that arrive together are merged.
    pub fn next(&self, timeout: Duration) -> Option<Vec<PathBuf>> {
        let mut paths: BTreeSet<PathBuf> = self
            .changes
            .recv_timeout(timeout)
            .ok()?
            .into_iter()
            .collect();
        while let Ok(more) = self.changes.try_recv() {
            paths.extend(more);
        }
        Some(paths.into_iter().collect())
    }
}
