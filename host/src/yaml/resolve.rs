//! What a YAML scalar means to Helm.
//!
//! Helm reads values with sigs.k8s.io/yaml: go-yaml v2 decodes the YAML 1.1 way, then every
//! value goes through JSON. This module ports the two rules that decide types:
//! - go-yaml v2's `resolve`: which plain scalars are booleans (`y`, `yes`, `on`, `off`, … in
//!   the three spellings go-yaml lists), nulls, integers (decimal, `0x`, `0o`, `0b`, and a
//!   leading `0` for octal, with `_` ignored), floats, and everything else a string; quoted
//!   and block scalars are always strings;
//! - sigs.k8s.io/yaml's map-key conversion: integer keys in decimal, float keys as Go's
//!   `FormatFloat(k, 'g', -1, 32)`, booleans as `true`/`false`; null keys and integers above
//!   `i64::MAX` are errors there, so they are errors here.
//!
//! Numbers then pass through JSON, where Helm holds every one as a float64: integers beyond
//! 2^53 lose precision in Helm, and do here too, so a plugin sees what the chart will.

/// A resolved scalar, before it becomes JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    /// Any integer go-yaml accepts: `i64`, or `u64` above `i64::MAX`.
    Int(i128),
    Float(f64),
    Str(String),
    /// A plain, untagged `<<`: a merge key.
    Merge,
}

/// The largest integer a float64 holds exactly.
const EXACT: i128 = 1 << 53;

/// The YAML core-schema tags this reader knows (`!!str`, …), by suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreTag {
    Str,
    Int,
    Float,
    Bool,
    Null,
    Other,
}

/// A plain (unquoted, untagged) scalar as go-yaml v2 resolves it.
pub fn plain(text: &str) -> Scalar {
    if let Some(known) = keyword(text) {
        return known;
    }
    match text.as_bytes().first() {
        Some(b'.') => parse_go_float(text)
            .map(Scalar::Float)
            .unwrap_or_else(|| Scalar::Str(text.to_owned())),
        Some(b'0'..=b'9' | b'+' | b'-') => {
            number(text).unwrap_or_else(|| Scalar::Str(text.to_owned()))
        }
        _ => Scalar::Str(text.to_owned()),
    }
}

/// A tagged scalar (`!!int "12"`): go-yaml resolves it, then insists the kind matches.
pub fn tagged(text: &str, tag: CoreTag) -> Result<Scalar, String> {
    let resolved = match tag {
        CoreTag::Str => return Ok(Scalar::Str(text.to_owned())),
        CoreTag::Other => return Ok(Scalar::Str(text.to_owned())),
        _ => plain(text),
    };
    let ok = match (&resolved, tag) {
        (Scalar::Int(n), CoreTag::Float) => return Ok(Scalar::Float(*n as f64)),
        (Scalar::Int(_), CoreTag::Int)
        | (Scalar::Float(_), CoreTag::Float)
        | (Scalar::Bool(_), CoreTag::Bool)
        | (Scalar::Null, CoreTag::Null) => true,
        _ => false,
    };
    if ok {
        Ok(resolved)
    } else {
        let name = match tag {
            CoreTag::Int => "!!int",
            CoreTag::Float => "!!float",
            CoreTag::Bool => "!!bool",
            _ => "!!null",
        };
        Err(format!("`{text}` cannot be read as {name}"))
    }
}

/// go-yaml's table of words: YAML 1.1 booleans, nulls, infinities, NaN and the merge key.
/// Only these exact spellings count (`yes`, `Yes`, `YES`, but not `yES`).
fn keyword(text: &str) -> Option<Scalar> {
    Some(match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Scalar::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Scalar::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => Scalar::Null,
        ".nan" | ".NaN" | ".NAN" => Scalar::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Scalar::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Scalar::Float(f64::NEG_INFINITY),
        "<<" => Scalar::Merge,
        _ => return None,
    })
}

/// A scalar starting with a digit or a sign: an integer (Go's `ParseInt(s, 0, 64)`, then
/// `ParseUint`), or a float matching go-yaml's float pattern. Underscores are dropped first.
/// (A date such as `2001-12-14` is a timestamp to go-yaml, which Helm hands on as the same
/// string: it fails every test below, so it stays a string here too.)
fn number(text: &str) -> Option<Scalar> {
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(n) = go_parse_int(&plain) {
        return Some(Scalar::Int(n));
    }
    if yaml_style_float(&plain) {
        return parse_go_float(&plain).map(Scalar::Float);
    }
    None
}

/// Go's `strconv.ParseInt(s, 0, 64)` or else `ParseUint(s, 0, 64)`: an optional sign (for
/// ParseInt only), then `0x`, `0o`, `0b` or a leading `0` (octal), else decimal.
fn go_parse_int(s: &str) -> Option<i128> {
    let (negative, signed, body) = match s.as_bytes().first()? {
        b'-' => (true, true, &s[1..]),
        b'+' => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    if negative {
        // ParseInt: down to i64::MIN.
        (magnitude <= 1 << 63).then(|| -(magnitude as i128))
    } else if magnitude <= i64::MAX as u128 || (!signed && magnitude <= u64::MAX as u128) {
        // ParseInt up to i64::MAX; ParseUint (no sign allowed) up to u64::MAX.
        Some(magnitude as i128)
    } else {
        None
    }
}

/// go-yaml v2's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && matches!(b[i], b'+' | b'-') {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` for the decimal forms go-yaml lets through: `None` for a
/// syntax error or an overflow to infinity (Go's ErrRange), which leaves the scalar a string.
fn parse_go_float(s: &str) -> Option<f64> {
    // Go accepts `_` between digits (`.5_0`); go-yaml passes `.`-led scalars unstripped.
    let cleaned: String = if s.contains('_') {
        if !underscores_between_digits(s) {
            return None;
        }
        s.chars().filter(|&c| c != '_').collect()
    } else {
        s.to_owned()
    };
    let body = cleaned.trim_start_matches(['+', '-']);
    // Rust also parses `inf`, `nan` and `infinity`, which are not numbers to go-yaml here.
    if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let v: f64 = cleaned.parse().ok()?;
    v.is_finite().then_some(v)
}

/// Go's `underscoreOK` for a number without base prefix: each `_` sits between digits.
fn underscores_between_digits(s: &str) -> bool {
    let mut prev_digit = false;
    let mut prev_underscore = false;
    for c in s.chars() {
        if c == '_' {
            if !prev_digit {
                return false;
            }
            prev_digit = false;
            prev_underscore = true;
        } else {
            if prev_underscore && !c.is_ascii_digit() {
                return false;
            }
            prev_digit = c.is_ascii_digit();
            prev_underscore = false;
        }
    }
    !prev_underscore
}

/// A scalar as a JSON value, the way Helm holds it after its JSON round trip. Integers that a
/// float64 holds exactly stay integers (`2`, not `2.0`), as do integral floats (`1e3` is
/// `1000`); larger integers become the float64 Helm sees. NaN and infinities have no JSON
/// form: Helm fails on them, so they are errors.
pub fn to_json(s: Scalar) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    Ok(match s {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(n) if (-EXACT..=EXACT).contains(&n) => Value::from(n as i64),
        Scalar::Int(n) => float(n as f64)?,
        Scalar::Float(f) => float(f)?,
        Scalar::Str(s) => Value::String(s),
        Scalar::Merge => Value::String("<<".into()),
    })
}

/// A float64 as Helm's JSON round trip leaves it (see [`to_json`]).
pub fn float(f: f64) -> Result<serde_json::Value, String> {
    if !f.is_finite() {
        return Err(
            "is not a number JSON can hold (Helm fails on it); quote it to keep the text".into(),
        );
    }
    let integral =
        f.fract() == 0.0 && f.abs() <= EXACT as f64 && !(f == 0.0 && f.is_sign_negative());
    Ok(if integral {
        serde_json::Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .expect("finite")
    })
}

/// The same number normalised the way [`to_json`] reads it: what Helm will see.
pub fn normalise_number(n: &serde_json::Number) -> serde_json::Value {
    if let Some(i) = n
        .as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
    {
        return to_json(Scalar::Int(i)).expect("integers are finite");
    }
    float(n.as_f64().unwrap_or(f64::NAN)).unwrap_or(serde_json::Value::Null)
}

/// A scalar map key as sigs.k8s.io/yaml turns it into a JSON key.
pub fn key(s: &Scalar) -> Result<String, String> {
    Ok(match s {
        Scalar::Str(s) => s.clone(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(n) if *n <= i64::MAX as i128 => n.to_string(),
        Scalar::Int(n) => {
            return Err(format!(
                "the key `{n}` is an integer above 2^63, which Helm cannot use as a key; quote it"
            ));
        }
        Scalar::Float(f) => go_format_float32_g(*f),
        Scalar::Null => return Err("a map key is null, which Helm cannot read; quote it".into()),
        Scalar::Merge => "<<".into(),
    })
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`, with go-yaml's names for infinities and NaN.
fn go_format_float32_g(f: f64) -> String {
    let v = f as f32;
    if v.is_nan() {
        return ".nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `-3.1415927e0`, `1e6`.
    let e = format!("{v:e}");
    let (mantissa, exp) = e.split_once('e').expect("`{:e}` has an exponent");
    let exp: i32 = exp.parse().expect("exponent");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let mut m = digits[..1].to_owned();
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{esign}{:02}", exp.abs());
    }
    // Decimal notation with exactly the digits needed.
    let point = exp + 1; // digits before the decimal point
    let out = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    };
    format!("{sign}{out}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_resolve_like_go_yaml_v2() {
        use Scalar::*;
        let cases: &[(&str, Scalar)] = &[
            ("yes", Bool(true)),
            ("Off", Bool(false)),
            ("yES", Str("yES".into())),
            ("~", Null),
            ("", Null),
            ("0755", Int(493)),
            ("012", Int(10)),
            ("08", Float(8.0)),
            ("0o17", Int(15)),
            ("0x1F", Int(31)),
            ("+0x1F", Int(31)),
            ("-0b101", Int(-5)),
            ("1_000", Int(1000)),
            ("0", Int(0)),
            ("-0", Int(0)),
            ("1e3", Float(1000.0)),
            ("1.", Float(1.0)),
            (".5", Float(0.5)),
            ("+.5", Float(0.5)),
            ("1e400", Str("1e400".into())),
            ("1:20", Str("1:20".into())),
            ("2001-12-14", Str("2001-12-14".into())),
            ("9223372036854775808", Int(9223372036854775808)),
            ("-9223372036854775809", Float(-9223372036854775809.0)),
            ("99999999999999999999", Float(1e20)),
            ("0x1FFFFFFFFFFFFFFFFF", Str("0x1FFFFFFFFFFFFFFFFF".into())),
            ("+", Str("+".into())),
            ("_1", Str("_1".into())),
            ("<<", Merge),
            ("infinity", Str("infinity".into())),
            ("-inf", Str("-inf".into())),
        ];
        for (text, want) in cases {
            let got = plain(text);
            match (want, &got) {
                (Float(a), Float(b)) => assert!(a == b, "{text}: {got:?}"),
                _ => assert_eq!(&got, want, "{text}"),
            }
        }
        assert!(matches!(plain(".nan"), Float(f) if f.is_nan()));
    }

    #[test]
    fn keys_convert_like_sigs_k8s_io_yaml() {
        let k = |t: &str| key(&plain(t)).unwrap();
        assert_eq!(k("yes"), "true");
        assert_eq!(k("0x10"), "16");
        assert_eq!(k("1.5"), "1.5");
        assert_eq!(k("3.14159265"), "3.1415927");
        assert_eq!(k("1e6"), "1e+06");
        assert_eq!(k("123456.0"), "123456");
        assert_eq!(k("0.0001"), "0.0001");
        assert_eq!(k("0.00001"), "1e-05");
        assert_eq!(k(".inf"), ".inf");
        assert!(key(&plain("~")).is_err());
        assert!(key(&plain("18446744073709551615")).is_err());
    }

    #[test]
    fn numbers_become_what_helm_holds() {
        assert_eq!(
            to_json(plain("9007199254740993")).unwrap().to_string(),
            "9007199254740992"
        );
        assert_eq!(
            to_json(plain("9007199254740995")).unwrap().to_string(),
            "9007199254740996.0"
        );
        assert_eq!(to_json(plain("1e3")).unwrap().to_string(), "1000");
        assert_eq!(to_json(plain("-0.0")).unwrap().to_string(), "-0.0");
        assert_eq!(to_json(plain("2")).unwrap().to_string(), "2");
        assert!(to_json(plain(".inf")).is_err());
    }
}
