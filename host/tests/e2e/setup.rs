//! The test set-up works on a stock system: its Python packages go into a project-local venv,
//! so a system Python that is "externally managed" (PEP 668, Debian 12's /usr/bin/python3)
//! is no obstacle, and nothing outside the checkout is touched.

use crate::support::root;
use std::process::Command;

#[test]
fn the_python_environment_installs_where_the_system_python_is_externally_managed() {
    let system = "/usr/bin/python3";
    // The precondition, checked rather than assumed: this Python carries the PEP 668 marker.
    let marker = Command::new(system)
        .args([
            "-c",
            "import os, sysconfig; print(os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))",
        ])
        .output()
        .expect("/usr/bin/python3 (Debian's own Python) is needed by this test");
    assert_eq!(
        String::from_utf8_lossy(&marker.stdout).trim(),
        "True",
        "{system} is not externally managed here; this test needs a PEP 668 Python"
    );
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    let run = || {
        Command::new("bash")
            .arg(root().join("tests/tools/python-env.sh"))
            .env("PYTHON", system)
            .env("HELMWASM_TEST_VENV", &venv)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(
        (first.stdout.as_slice(), first.stderr.as_slice()),
        (&b""[..], &b""[..]),
        "the set-up is quiet"
    );
    let python = venv.join("bin/python3");
    let check = Command::new(&python)
        .args([
            "-c",
            "import sys, jsonschema, yaml, cryptography, moto; print(sys.prefix)",
        ])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert_eq!(
        std::path::Path::new(String::from_utf8_lossy(&check.stdout).trim()),
        venv,
        "the packages are in the project's venv"
    );
    // Again: nothing to do, still quiet.
    let again = run();
    assert!(again.status.success());
    assert!(again.stdout.is_empty() && again.stderr.is_empty());
}
