//! The UI admin password judged by the value that reaches the create-user Job, whether the
//! step got it as a literal or from `ref+env://`: behind a LoadBalancer, `admin`, `Admin` and
//! `password123` fail, and no output shows the password.

use crate::support::{helmwasm_with, pipeline, project};

#[test]
fn a_weak_admin_password_behind_a_load_balancer_fails_from_a_literal_or_a_reference() {
    for password in ["admin", "Admin", "password123"] {
        for (given, env) in [
            (password.to_owned(), vec![]),
            (
                "ref+env://HELMWASM_TEST_ADMIN".to_owned(),
                vec![("HELMWASM_TEST_ADMIN", password)],
            ),
        ] {
            let dir = project(&pipeline(&format!(
                "  - plugin: airflow-ui\n    with: {{serviceType: LoadBalancer, loadBalancerSourceRanges: [203.0.113.0/24], defaultUser: {{username: ops, password: '{given}'}}}}\n"
            )));
            let mut env = env.clone();
            env.push(("HELMWASM_OFFLINE", "1"));
            let run = helmwasm_with(dir.path(), &["template"], &env);
            assert_eq!(run.code, 1, "{password} as {given}: {}", run.stderr);
            assert!(
                // (A resolved secret as short as `admin` is masked wherever it appears.)
                run.stderr.contains("the UI is exposed by a LoadBalancer")
                    && run
                        .stderr
                        .contains("-password` key `password` (emitted by step 1 (`airflow-ui`))"),
                "{password} as {given}: {}",
                run.stderr
            );
            let out = format!("{}{}", run.stdout, run.stderr);
            assert!(!out.contains(&format!("`{password}`")), "{out}");
            if password == "password123" {
                assert!(!out.contains(password), "{out}");
            }
        }
    }
    // A strong one by reference renders.
    let dir = project(&pipeline(
        "  - plugin: airflow-ui\n    with: {serviceType: LoadBalancer, loadBalancerSourceRanges: [203.0.113.0/24], defaultUser: {username: ops, password: 'ref+env://HELMWASM_TEST_ADMIN'}}\n",
    ));
    let run = helmwasm_with(
        dir.path(),
        &["template"],
        &[
            ("HELMWASM_TEST_ADMIN", "N7w#q2LxT9v!bR4m-admin"),
            ("HELMWASM_OFFLINE", "1"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("admin password"), "{}", run.stderr);
}
