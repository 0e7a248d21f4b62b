use super::*;
use serde_json::json;

fn flag(name: &str) -> Flag {
    match name {
        "set" => Flag::Set,
        "set-string" => Flag::String,
        "set-json" => Flag::Json,
        "set-file" => Flag::File,
        "set-literal" => Flag::Literal,
        other => panic!("unknown flag {other}"),
    }
}

fn run(flag: Flag, args: &[&str], base: Value) -> Result<Value, SetError> {
    let Value::Object(mut values) = base else {
        panic!("base is a map")
    };
    let o = Overrides::parse(args.iter().map(|a| (flag, *a)), Path::new("."))?;
    o.apply(&mut values)?;
    Ok(Value::Object(values))
}

/// Helm's own strvals test table (and cases checked against helm), as data shared with the
/// differential test against the real binary.
#[test]
fn helm_strvals_table() {
    let doc: Value =
        serde_json::from_str(include_str!("../../../tests/strvals/cases.json")).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() > 100);
    for case in cases {
        let args: Vec<&str> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let base = case.get("base").cloned().unwrap_or(json!({}));
        let got = run(flag(case["flag"].as_str().unwrap()), &args, base);
        match case.get("expect") {
            Some(expect) => assert_eq!(got.as_ref().ok(), Some(expect), "{case}: {got:?}"),
            None => assert!(got.is_err(), "{case}: expected an error, got {got:?}"),
        }
    }
}

#[test]
fn kinds_apply_in_helms_order_whatever_the_command_line_order() {
    let o = Overrides::parse(
        [
            (Flag::Literal, "a=literal"),
            (Flag::String, "a=string"),
            (Flag::Set, "a=set"),
            (Flag::Json, "a=\"json\""),
        ],
        Path::new("."),
    )
    .unwrap();
    let mut m = Map::new();
    o.apply(&mut m).unwrap();
    assert_eq!(m["a"], "literal");
    let kinds: Vec<Flag> = o.args.iter().map(|a| a.flag).collect();
    assert_eq!(kinds, [Flag::Json, Flag::Set, Flag::String, Flag::Literal]);
}

#[test]
fn set_file_reads_relative_to_the_given_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key.pem"), "line1\nline2\n").unwrap();
    let o = Overrides::parse([(Flag::File, "ssh.key=key.pem,l={key.pem}")], dir.path()).unwrap();
    let mut m = Map::new();
    o.apply(&mut m).unwrap();
    assert_eq!(
        Value::Object(m),
        json!({"ssh": {"key": "line1\nline2\n"}, "l": ["line1\nline2\n"]})
    );
    let e = Overrides::parse([(Flag::File, "a=missing.txt")], dir.path()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("invalid --set-file `a=missing.txt`: cannot read "),
        "{e}"
    );
    assert!(Overrides::parse([(Flag::File, "a=-")], dir.path()).is_err());
    let e = Overrides::parse([(Flag::File, "a=https://example.com/x")], dir.path()).unwrap_err();
    assert!(e.to_string().contains("reads local files only"), "{e}");
}

#[test]
fn integers_a_values_file_cannot_carry_exactly_are_refused() {
    let e = run(Flag::Set, &["n=9007199254740993"], json!({})).unwrap_err();
    assert!(e.to_string().contains("use --set-string"), "{e}");
    assert_eq!(
        run(Flag::Set, &["n=9007199254740992"], json!({})).unwrap(),
        json!({"n": 9007199254740992i64})
    );
    assert_eq!(
        run(Flag::String, &["n=9007199254740993"], json!({})).unwrap(),
        json!({"n": "9007199254740993"})
    );
}

#[test]
fn errors_name_the_flag_and_the_argument() {
    assert_eq!(
        run(Flag::Set, &["novalue"], json!({}))
            .unwrap_err()
            .to_string(),
        "invalid --set `novalue`: key \"novalue\" has no value (write `key=value`, several joined by commas)"
    );
    let e = run(Flag::Set, &["a.s.x=1"], json!({"a": {"s": "str"}})).unwrap_err();
    assert!(e.to_string().starts_with("invalid --set `a.s.x=1`: unable to parse key: interface conversion: interface {} is string"), "{e}");
    let e = run(Flag::Set, &["l[70000]=1"], json!({})).unwrap_err();
    assert!(
        e.to_string()
            .contains("greater than maximum supported index of 65536"),
        "{e}"
    );
}

/// `--set-file` reads regular files of at most 16 MiB: `/dev/zero` and a FIFO are refused at
/// once instead of growing without bound or blocking.
#[test]
fn set_file_reads_regular_files_of_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    std::fs::write(&big, vec![b'x'; (MAX_SET_FILE + 1) as usize]).unwrap();
    let fifo = dir.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for (path, want) in [
        (
            std::path::PathBuf::from("/dev/zero"),
            "is not a regular file",
        ),
        (fifo, "is not a regular file"),
        (big, "past the --set-file limit of 16Mi"),
    ] {
        let e = read_file(&path, path.to_str().unwrap()).unwrap_err();
        assert!(e.contains(want), "{e}");
    }
    let ok = dir.path().join("ok");
    std::fs::write(&ok, "text").unwrap();
    assert_eq!(read_file(&ok, "ok").unwrap(), Value::String("text".into()));
}
