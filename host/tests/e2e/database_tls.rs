//! TLS from PgBouncer to the database, end to end in the full render: `sslmode: verify-full`
//! without a CA fails naming the option; with one (`sslrootcert` by reference), the rendered
//! `pgbouncer.ini` has `server_tls_sslmode = verify-full` and a `server_tls_ca_file` that the
//! PgBouncer container mounts from a Secret holding the certificate, as an independent checker
//! (`tests/tools/check_pgbouncer.py`: PyYAML, configparser, `cryptography`) reads it.

use crate::full_render::{example_with_fixture_chart, run_tool};
use crate::support::{helmwasm, tool};

/// A self-signed CA certificate (PEM), made by Python's `cryptography`.
fn ca_certificate() -> String {
    let make = "import datetime\nfrom cryptography import x509\nfrom cryptography.x509.oid import NameOID\nfrom cryptography.hazmat.primitives import hashes, serialization\nfrom cryptography.hazmat.primitives.asymmetric import ec\nkey = ec.generate_private_key(ec.SECP256R1())\nname = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'helmwasm test database CA')])\nstart = datetime.datetime(2026, 1, 1)\ncert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())\n        .serial_number(1).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))\n        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)\n        .sign(key, hashes.SHA256()))\nprint(cert.public_bytes(serialization.Encoding.PEM).decode(), end='')\n";
    let out = crate::support::python3()
        .args(["-c", make])
        .output()
        .expect("python3 is needed by the tests");
    assert!(
        out.status.success(),
        "cannot make a CA (is `cryptography` installed? `bash tests/setup`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The example in full with the database step's `sslmode: require` replaced by `with`.
fn example_with_tls(with: &str) -> tempfile::TempDir {
    let dir = example_with_fixture_chart();
    let file = dir.path().join("helmwasm.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let patched = text.replace("          sslmode: require\n", with);
    assert_ne!(
        patched, text,
        "the example's database step sets `sslmode: require`"
    );
    std::fs::write(&file, patched).unwrap();
    dir
}

#[test]
fn verify_full_needs_a_ca_and_pgbouncer_verifies_the_server_with_it() {
    tool("helm");
    let dir = example_with_tls("          sslmode: verify-full\n");
    let run = helmwasm(dir.path(), &["template", "--strict", "-e", "prod"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("`sslmode: verify-full` verifies the server against a CA, and none is given: set `sslrootcert`"),
        "{}",
        run.stderr
    );

    let dir = example_with_tls(
        "          sslmode: verify-full\n          sslrootcert: ref+file://credentials/db-ca.pem\n",
    );
    let ca = dir.path().join("credentials/db-ca.pem");
    std::fs::write(&ca, ca_certificate()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ca, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let run = helmwasm(
        dir.path(),
        &["template", "--strict", "-e", "prod", "--show-secrets"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (code, out) = run_tool(
        "check_pgbouncer.py",
        &["--expect-sslmode".as_ref(), "verify-full".as_ref()],
        &run.stdout,
    );
    assert_eq!(code, 0, "the independent checker: {out}");
    // The checker is not vacuous: the same render does not have `require`.
    let (code, out) = run_tool(
        "check_pgbouncer.py",
        &["--expect-sslmode".as_ref(), "require".as_ref()],
        &run.stdout,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("server_tls_sslmode is 'verify-full'"), "{out}");
}

#[test]
fn the_example_has_pgbouncer_require_tls() {
    tool("helm");
    let dir = example_with_fixture_chart();
    let run = helmwasm(
        dir.path(),
        &["template", "--strict", "-e", "prod", "--show-secrets"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (code, out) = run_tool(
        "check_pgbouncer.py",
        &["--expect-sslmode".as_ref(), "require".as_ref()],
        &run.stdout,
    );
    assert_eq!(code, 0, "{out}");
}
