//! The example's render, byte for byte across runs and compile caches. (The golden
//! transcripts of `tests/cases/` are their own test target, one test per case:
//! `tests/golden.rs`.)

use crate::support::{helmwasm, root};

#[test]
fn renders_are_byte_identical_across_runs() {
    let dir = root().join("examples").join("airflow-eks");
    let first = helmwasm(&dir, &["template"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    for _ in 0..2 {
        let again = helmwasm(&dir, &["template"]);
        assert_eq!(again.stdout, first.stdout);
    }
    // A cold compile cache must not change a byte either.
    let cold = tempfile::tempdir().unwrap();
    let out = helmwasm(
        &dir,
        &["template", "--cache-dir", cold.path().to_str().unwrap()],
    );
    assert_eq!(out.stdout, first.stdout);
}
