//! Other shapes for `lint`'s secret placeholders: the evidence that a step failed *because*
//! of a placeholder.
//!
//! A step that fails on the placeholders lint gives it runs again with every placeholder
//! replaced by the same reference's value in another [`Shape`] (an OpenSSH private key, a
//! Fernet key, a URL). If one of those runs passes, the failure was the placeholder's, and lint
//! goes on with that run. The failure does not depend on the secret, and is an error as
//! `template` would report, when every run fails with the same message (placeholders blanked
//! out by [`Forget`]), or when one run's failure names no field that holds a placeholder and
//! comes back the same with other placeholder content in that shape (a run that got past a
//! failure the placeholder caused). Otherwise lint cannot tell, and the step is a warning
//! (HW0204).
//!
//! Every shaped value is derived from the placeholder's own digits (and a salt, for the
//! content check), so reruns are deterministic, and none is a secret.

use super::PLACEHOLDER_PREFIX;
use base64::Engine as _;
use serde_json::Value;

/// A shape a placeholder can take besides its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The placeholder itself (`helmwasm-lint-placeholder-` and 12 hex digits).
    Plain,
    /// An unencrypted OpenSSH private key file (`-----BEGIN OPENSSH PRIVATE KEY-----`).
    OpenSshKey,
    /// A Fernet key: 32 bytes in URL-safe base64, 44 characters.
    Fernet,
    /// A database URL with user, password, host, port and database.
    Url,
}

/// The shapes tried after [`Shape::Plain`], in order.
pub const SHAPES: [Shape; 3] = [Shape::OpenSshKey, Shape::Fernet, Shape::Url];

impl Shape {
    pub fn describe(self) -> &'static str {
        match self {
            Shape::Plain => "lint's placeholder",
            Shape::OpenSshKey => "an OpenSSH private key",
            Shape::Fernet => "a Fernet key",
            Shape::Url => "a URL",
        }
    }

    /// The value of this shape standing for the placeholder with these 12 hex digits; another
    /// `salt`, other content of the same shape (salt 0 of [`Shape::Plain`] is the placeholder
    /// itself).
    pub fn render(self, hex: &str, salt: u8) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(format!("helmwasm-lint-{salt}-{hex}").as_bytes());
        let other = crate::store::hex(&digest[..6]);
        match self {
            Shape::Plain if salt == 0 => format!("{PLACEHOLDER_PREFIX}{hex}"),
            Shape::Plain => format!("{PLACEHOLDER_PREFIX}{other}"),
            Shape::OpenSshKey => {
                // "openssh-key-v1\0", then the cipher and KDF names ("none": no passphrase),
                // the KDF options, one key, and filler from the digest.
                let mut blob = b"openssh-key-v1\0".to_vec();
                for field in [&b"none"[..], b"none", b""] {
                    blob.extend((field.len() as u32).to_be_bytes());
                    blob.extend(field);
                }
                blob.extend(1u32.to_be_bytes());
                blob.extend(digest.iter().cycle().take(96));
                let body = base64::engine::general_purpose::STANDARD.encode(blob);
                let lines: Vec<&str> = body
                    .as_bytes()
                    .chunks(70)
                    .map(|c| std::str::from_utf8(c).unwrap_or_default())
                    .collect();
                format!(
                    "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
                    lines.join("\n")
                )
            }
            Shape::Fernet => base64::engine::general_purpose::URL_SAFE.encode(digest),
            Shape::Url => format!("postgresql://lint:{other}@placeholder-{hex}.invalid:5432/lint"),
        }
    }
}

/// The 12 hex digits of every placeholder in `text`, once each, in order of appearance.
pub fn placeholders_in(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(PLACEHOLDER_PREFIX) {
        let after = &rest[at + PLACEHOLDER_PREFIX.len()..];
        let hex: String = after
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .take(12)
            .collect();
        if hex.len() == 12 && !found.contains(&hex) {
            found.push(hex);
        }
        rest = after;
    }
    found
}

/// `v` with every placeholder inside its strings replaced by its value in `shape`.
pub fn reshape(v: &Value, shape: Shape, salt: u8) -> Value {
    match v {
        Value::String(s) if s.contains(PLACEHOLDER_PREFIX) => {
            let mut out = s.clone();
            for hex in placeholders_in(s) {
                out = out.replace(
                    &format!("{PLACEHOLDER_PREFIX}{hex}"),
                    &shape.render(&hex, salt),
                );
            }
            Value::String(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| reshape(i, shape, salt)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), reshape(v, shape, salt)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The shapes, named, for messages.
pub fn tried() -> String {
    std::iter::once(Shape::Plain)
        .chain(SHAPES)
        .map(Shape::describe)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names of the map keys whose strings hold a placeholder (`privateKey`, `password`).
pub fn fields_holding(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if v.as_str().is_some_and(|s| s.contains(PLACEHOLDER_PREFIX)) {
                    if !out.contains(k) {
                        out.push(k.clone());
                    }
                } else {
                    fields_holding(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| fields_holding(i, out)),
        _ => {}
    }
}

/// Whether `message` names one of `fields` as a word (`ssh.privateKey` names `privateKey`).
pub fn names_a_field(message: &str, fields: &[String]) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    fields.iter().any(|f| {
        message.match_indices(f.as_str()).any(|(at, _)| {
            !message[..at].chars().next_back().is_some_and(word)
                && !message[at + f.len()..].chars().next().is_some_and(word)
        })
    })
}

/// Blanks every placeholder, in any shape, out of an error message, so that the messages of
/// runs with differently shaped placeholders compare equal when the placeholders did not
/// matter.
pub struct Forget {
    texts: Vec<String>,
}

impl Forget {
    /// For the placeholders with these hex digits.
    pub fn new(hexes: &[String]) -> Forget {
        let mut texts: Vec<String> = Vec::new();
        for hex in hexes {
            for shape in std::iter::once(Shape::Plain).chain(SHAPES) {
                for salt in [0, 1] {
                    let text = shape.render(hex, salt);
                    // A key file may be quoted without its final newline.
                    texts.push(text.trim_end().to_owned());
                    texts.push(text);
                }
            }
        }
        // Longest first: a shape is never left half blanked.
        texts.sort_by_key(|t| std::cmp::Reverse(t.len()));
        Forget { texts }
    }

    pub fn message(&self, message: &str) -> String {
        let mut out = message.to_owned();
        for t in &self.texts {
            out = out.replace(t.as_str(), "«secret reference»");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HEX: &str = "0123456789ab";

    #[test]
    fn the_key_shape_is_an_unencrypted_openssh_key() {
        let key = Shape::OpenSshKey.render(HEX, 0);
        assert!(key.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
        assert!(key.ends_with("\n-----END OPENSSH PRIVATE KEY-----\n"));
        let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        assert!(bytes.starts_with(b"openssh-key-v1\0\0\0\0\x04none\0\0\0\x04none"));
        assert!(key.lines().all(|l| l.len() <= 70));
    }

    #[test]
    fn the_fernet_shape_is_32_bytes_of_url_safe_base64() {
        let key = Shape::Fernet.render(HEX, 0);
        assert_eq!(key.len(), 44);
        let bytes = base64::engine::general_purpose::URL_SAFE
            .decode(&key)
            .unwrap();
        assert_eq!(bytes.len(), 32);
        assert_ne!(Shape::Fernet.render("ba9876543210", 0), key);
    }

    #[test]
    fn placeholders_are_found_inside_strings_and_replaced_everywhere() {
        let p = format!("{PLACEHOLDER_PREFIX}{HEX}");
        let v = json!({"a": p, "b": [format!("postgresql://u:{p}@h/d")], "n": 1});
        let shaped = reshape(&v, Shape::Url, 0);
        assert_eq!(shaped["a"], json!(Shape::Url.render(HEX, 0)));
        assert_eq!(
            shaped["b"][0],
            json!(format!("postgresql://u:{}@h/d", Shape::Url.render(HEX, 0)))
        );
        assert_eq!(shaped["n"], json!(1));
        assert_eq!(placeholders_in(&v.to_string()), vec![HEX.to_owned()]);
        assert!(placeholders_in("helmwasm-lint-placeholder-12").is_empty());
    }

    #[test]
    fn forgetting_makes_messages_of_differently_shaped_runs_equal() {
        let forget = Forget::new(&[HEX.to_owned()]);
        let one = format!("bad `{PLACEHOLDER_PREFIX}{HEX}` here");
        let other = format!("bad `{}` here", Shape::Fernet.render(HEX, 0));
        let key = format!("bad `{}` here", Shape::OpenSshKey.render(HEX, 0).trim_end());
        assert_eq!(forget.message(&one), "bad `«secret reference»` here");
        assert_eq!(forget.message(&one), forget.message(&other));
        assert_eq!(forget.message(&one), forget.message(&key));
        assert_eq!(forget.message("no placeholder"), "no placeholder");
        let salted = format!("bad `{}` here", Shape::Plain.render(HEX, 1));
        assert_eq!(forget.message(&one), forget.message(&salted));
        assert_eq!(
            Shape::Plain.render(HEX, 0),
            format!("{PLACEHOLDER_PREFIX}{HEX}")
        );
        assert_ne!(Shape::Plain.render(HEX, 1), Shape::Plain.render(HEX, 0));
    }

    #[test]
    fn fields_are_named_as_whole_words() {
        let p = format!("{PLACEHOLDER_PREFIX}{HEX}");
        let mut fields = Vec::new();
        fields_holding(
            &json!({"ssh": {"privateKey": p, "repo": "x"}, "password": p}),
            &mut fields,
        );
        assert_eq!(fields, vec!["password".to_owned(), "privateKey".to_owned()]);
        assert!(names_a_field("`ssh.privateKey` must be …", &fields));
        assert!(!names_a_field("`ssh.knownHosts` has no key", &fields));
        assert!(!names_a_field("`passwordFile` is unknown", &fields));
    }
}
