//! The layer map of `lib.rs` is the code's: every `use crate::…` edge between the top-level
//! modules of `host/src` goes from a module to one of a lower layer, so the crate has no
//! import cycle and each layer only looks down. A failure names the edge and the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers as `lib.rs` lists them (`//! N. `a`, `b` …` lines under "## Layers"): module →
/// layer number.
fn documented(lib: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    for line in lib.lines() {
        let Some(doc) = line.strip_prefix("//!") else {
            continue;
        };
        let doc = doc.trim();
        if doc.starts_with("## ") {
            inside = doc == "## Layers";
            continue;
        }
        let Some((n, rest)) = doc.split_once(". ").filter(|_| inside) else {
            continue;
        };
        let Ok(n) = n.parse::<usize>() else { continue };
        for name in rest.split('`').skip(1).step_by(2) {
            assert!(
                out.insert(name.to_owned(), n).is_none(),
                "lib.rs lists `{name}` in two layers"
            );
        }
    }
    out
}

/// The top-level modules `lib.rs` declares (`pub mod x;`).
fn declared(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .map(str::to_owned)
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The modules a file's code names through `crate::` (comments and the test module at the
/// end of the file left out).
fn uses(text: &str, modules: &[String]) -> Vec<String> {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    let mut add = |name: &str| {
        if modules.iter().any(|m| m == name) && !found.iter().any(|f| f == name) {
            found.push(name.to_owned());
        }
    };
    let word = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or("");
            for part in group.split(',') {
                add(&word(part.trim()));
            }
        } else {
            add(&word(rest));
        }
    }
    found
}

#[test]
fn every_edge_goes_down_the_documented_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let layers = documented(&lib);
    let modules = declared(&lib);
    let unlisted: Vec<&String> = modules
        .iter()
        .filter(|m| !layers.contains_key(*m))
        .collect();
    assert!(
        unlisted.is_empty(),
        "lib.rs's layer map leaves out {unlisted:?}"
    );
    let stale: Vec<&String> = layers.keys().filter(|m| !modules.contains(m)).collect();
    assert!(
        stale.is_empty(),
        "lib.rs's layer map lists {stale:?}, which are not modules"
    );
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    let mut edges = 0;
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        let Some(&from) = layers.get(&top) else {
            continue; // lib.rs, main.rs, this test
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in uses(&text, &modules) {
            if used == top {
                continue;
            }
            edges += 1;
            let to = layers[&used];
            if to >= from {
                wrong.push(format!(
                    "{}: `{top}` (layer {from}) uses `{used}` (layer {to}): each layer may only use the ones below it",
                    rel.display()
                ));
            }
        }
    }
    assert!(
        edges > 100,
        "only {edges} edges found: the parser is broken"
    );
    assert!(
        wrong.is_empty(),
        "edges against lib.rs's layer map:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_parser_sees_groups_paths_and_ignores_comments_and_tests() {
    let modules: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
    let text = "use crate::a::X;\nuse crate::{b::Y, c};\n// crate::d is only mentioned\nfn f() { crate::a::g(); }\n#[cfg(test)]\nmod tests {\n    use crate::e;\n}\n";
    assert_eq!(uses(text, &modules), ["a", "b", "c"]);
    let lib = "//! ## Layers\n//!\n//! 1. `a`, `b`\n//! 2. `c` (and prose)\n//! ## Other\n//! 3. `d`\npub mod a;\npub mod c;\n";
    let layers = documented(lib);
    assert_eq!(layers.len(), 3);
    assert_eq!(layers["c"], 2);
    assert_eq!(declared(lib), ["a", "c"]);
}
