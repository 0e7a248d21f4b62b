//! The reader's tests.

use super::*;

#[test]
fn char_positions_map_to_the_bytes_they_start_at() {
    for text in [
        "",
        "plain: ascii\n",
        "é",
        "a: \"héllo — wörld\"\nb: 😀x\n",
        "—— two wide chars in a row, then ascii",
        "ends wide: ü",
    ]
    .into_iter()
    .map(str::to_owned)
    // Longer than the index's blocks of ASCII, wide characters on and off their edges.
    .chain((0..70).map(|n| {
        (0..100)
            .map(|i| {
                if i % 70 == n || i == 99 - n {
                    '😀'
                } else {
                    'a'
                }
            })
            .collect()
    })) {
        let text = text.as_str();
        let index = CharIndex::new(text);
        let starts: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        for (c, &b) in starts.iter().enumerate() {
            assert_eq!(index.byte(c), b, "char {c} of {text:?}");
        }
        for past in starts.len()..starts.len() + 3 {
            assert_eq!(index.byte(past), text.len(), "char {past} of {text:?}");
        }
    }
}

#[test]
fn an_anchor_after_a_byte_order_mark_keeps_its_name() {
    let value = read(
        "\u{feff}base: &b {x: 1}\nother: *b\n",
        Path::new("t.yaml"),
        None,
    )
    .unwrap();
    assert_eq!(value["other"]["x"], 1);
}

/// A long text, as a pipeline of many releases is: anchors, merges, flow and block
/// scalars, with `tail` at the end.
fn long_text(tail: &str) -> String {
    let mut text = String::from("base: &base {replicas: 1, tier: prod}\nreleases:\n");
    let mut i = 0;
    while text.len() < 2 * PIPED_FROM {
        text.push_str(&format!(
            "  - name: r-{i}  # a comment\n    <<: *base\n    enabled: yes\n    \
             values:\n      - {{cpu: 100m, ports: [80, 443]}}\n    note: |\n      line {i}\n      \
             é ünïcode\n"
        ));
        i += 1;
    }
    text.push_str(tail);
    text
}

#[test]
fn a_long_text_reads_the_same_with_the_parser_on_a_second_thread() {
    let file = Path::new("long.yaml");
    let text = long_text("last: true\n");
    let read_on = |text: &str, threads| {
        compose(text, file, None, threads, None, Budget::Local).map(|(value, _)| value)
    };
    let serial = read_on(&text, 1).unwrap();
    assert_eq!(serial["releases"][7]["tier"], "prod");
    assert_eq!(serial["releases"][7]["enabled"], true);
    assert_eq!(read_on(&text, 2).unwrap(), serial);
    // Errors too: the composer's (a duplicate key at the end) and the parser's.
    for tail in ["last: 1\nlast: 2\n", "last: [1, 2\n", "last: *nope\n"] {
        let text = long_text(tail);
        let one = read_on(&text, 1).unwrap_err().to_string();
        let two = read_on(&text, 2).unwrap_err().to_string();
        assert_eq!(one, two);
        assert!(one.starts_with("long.yaml:"), "{one}");
    }
}

/// One big string copied by many aliases: few nodes, many bytes. Refused by the byte budget,
/// naming the file, before the copies are made; a remote text gets a tighter budget.
#[test]
fn a_string_copied_by_aliases_is_bounded_in_bytes() {
    let big = "x".repeat(1 << 20);
    let mut text = format!("a: &a \"{big}\"\nb: [");
    for _ in 0..10_000 {
        text.push_str("*a, ");
    }
    text.push_str("]\n");
    let started = std::time::Instant::now();
    let e = read(&text, Path::new("values/bomb.yaml"), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("values/bomb.yaml:")
            && e.contains("b[16]: the document expands to more than 16.6Mi through aliases"),
        "{e}"
    );
    // Far below the watchdog; the figure is measured in the e2e test, not asserted here.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    let e = read_remote(&text, Path::new("index.yaml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("b[4]: the document expands to more than 4.2Mi"),
        "{e}"
    );
    // A few copies of a modest anchor (the everyday merge keys and shared blocks) read.
    let fine = "base: &b {cpu: 100m, memory: 128Mi}\na: *b\nc: *b\nd: {<<: *b, cpu: 1}\n";
    assert_eq!(
        read(fine, Path::new("v.yaml"), None).unwrap()["d"]["memory"],
        "128Mi"
    );
    assert_eq!(Budget::Local.bytes(10), 4 << 20);
    assert_eq!(Budget::Local.bytes(1 << 30), 64 << 20);
    assert_eq!(Budget::Remote.bytes(1 << 20), 4 << 20);
}
