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
    let read_on =
        |text: &str, threads| compose(text, file, None, threads, None).map(|(value, _)| value);
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
