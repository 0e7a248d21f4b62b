//! The pipeline's random seed (`randomSeed`) → one key per plugin call, with HKDF-SHA256
//! (RFC 5869): the seed is the input key material, the info names the release, step number
//! and plugin. The runtime turns a key into the call's secure-random stream
//! ([`crate::runtime::sandbox::SeededRandom`]). The same seed and pipeline give the same
//! bytes; without the seed they cannot be predicted; two steps never share a stream.

use hkdf::Hkdf;
use sha2::Sha256;

const SALT: &[u8] = b"helmwasm:plugin-random:v1";

/// The key of one call's secure-random stream.
pub fn call_key(seed: &str, release: &str, step: usize, plugin: &str) -> [u8; 32] {
    let hk = Hkdf::<Sha256>::new(Some(SALT), seed.as_bytes());
    let info = format!("{release}\0{step}\0{plugin}");
    let mut key = [0u8; 32];
    hk.expand(info.as_bytes(), &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_every_input() {
        let k = call_key("seed-0123456789abcdef", "airflow", 1, "p");
        assert_eq!(k, call_key("seed-0123456789abcdef", "airflow", 1, "p"));
        for other in [
            call_key("seed-0123456789abcdeF", "airflow", 1, "p"),
            call_key("seed-0123456789abcdef", "airflow2", 1, "p"),
            call_key("seed-0123456789abcdef", "airflow", 2, "p"),
            call_key("seed-0123456789abcdef", "airflow", 1, "q"),
        ] {
            assert_ne!(k, other);
        }
    }

    #[test]
    fn hkdf_matches_rfc_5869_test_case_1() {
        // RFC 5869 A.1, to pin the primitive (not our salt and info).
        let ikm = [0x0bu8; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let mut okm = [0u8; 42];
        Hkdf::<Sha256>::new(Some(&salt), &ikm)
            .expand(&info, &mut okm)
            .unwrap();
        let hex = crate::store::hex(&okm);
        assert_eq!(
            hex,
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }
}
