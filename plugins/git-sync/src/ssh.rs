//! What git-sync's SSH needs from a private key and a known-hosts list, checked before they
//! reach the cluster (AIRFLOW.md section 7):
//! - OpenSSH cannot load a key with CRLF line ends: normalised to LF;
//! - git-sync cannot use a passphrase-protected key: refused (OpenSSH, PKCS#8 and legacy PEM);
//! - the known hosts must cover the repository's host, as `[host]:port` for a port other than
//!   22, with OpenSSH's matching: comma-separated patterns, `*` and `?`, `!` negation, hashed
//!   `|1|salt|hash` entries, `@cert-authority`; `@revoked` lines cover nothing.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};

/// The key with LF line ends, and whether it had CR characters.
pub fn normalise_line_ends(key: &str) -> (String, bool) {
    if !key.contains('\r') {
        return (key.to_owned(), false);
    }
    (key.replace("\r\n", "\n").replace('\r', "\n"), true)
}

/// Whether a private key (PEM text) is protected by a passphrase.
pub fn is_encrypted(key: &str) -> bool {
    if key.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || key.contains("Proc-Type: 4,ENCRYPTED")
    {
        return true;
    }
    // OpenSSH's own format: "openssh-key-v1\0", then the cipher name ("none" when clear).
    let body: String = key
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    let Ok(bytes) = STANDARD.decode(body.trim()) else {
        return false;
    };
    const MAGIC: &[u8] = b"openssh-key-v1\0";
    let Some(rest) = bytes.strip_prefix(MAGIC) else {
        return false;
    };
    let Some(len) = rest
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    else {
        return false;
    };
    rest.get(4..4 + len).is_some_and(|cipher| cipher != b"none")
}

/// The host and port of an SSH repository URL: `git@host:org/repo.git` (port 22) or
/// `ssh://[user@]host[:port]/path` (also `[v6]:port`).
pub fn host_and_port(repo: &str) -> Option<(String, u16)> {
    if let Some(rest) = repo.strip_prefix("ssh://") {
        let authority = rest.split('/').next()?;
        let hostport = authority.rsplit('@').next()?;
        if let Some(v6) = hostport.strip_prefix('[') {
            let (host, after) = v6.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().ok()?,
                None => 22,
            };
            return Some((host.to_owned(), port));
        }
        return Some(match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().ok()?),
            None => (hostport.to_owned(), 22),
        });
    }
    let (user_host, _) = repo.split_once(':')?;
    let host = user_host.rsplit('@').next()?;
    (!host.is_empty()).then(|| (host.to_owned(), 22))
}

/// The name OpenSSH looks up in known_hosts: `host`, or `[host]:port` off port 22.
pub fn lookup_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_owned()
    } else {
        format!("[{host}]:{port}")
    }
}

/// Whether a known_hosts text has a (non-revoked) line for `name`.
pub fn covers(known_hosts: &str, name: &str) -> bool {
    known_hosts.lines().any(|line| {
        let mut fields = line.split_whitespace();
        let mut hosts = fields.next().unwrap_or("");
        if hosts.starts_with('@') {
            if hosts == "@revoked" {
                return false;
            }
            hosts = fields.next().unwrap_or("");
        }
        if hosts.is_empty() || hosts.starts_with('#') {
            return false;
        }
        if let Some(hashed) = hosts.strip_prefix("|1|") {
            return hashed_matches(hashed, name);
        }
        let mut matched = false;
        for pattern in hosts.split(',') {
            if let Some(negated) = pattern.strip_prefix('!') {
                if glob(&negated.to_lowercase(), &name.to_lowercase()) {
                    return false;
                }
            } else if glob(&pattern.to_lowercase(), &name.to_lowercase()) {
                matched = true;
            }
        }
        matched
    })
}

/// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
fn hashed_matches(hashed: &str, name: &str) -> bool {
    let Some((salt, hash)) = hashed.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (STANDARD.decode(salt), STANDARD.decode(hash)) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(&salt) else {
        return false;
    };
    mac.update(name.as_bytes());
    mac.verify_slice(&hash).is_ok()
}

/// OpenSSH's `match_pattern`: `*` any run, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_and_port() {
        assert_eq!(
            host_and_port("git@github.com:org/r.git"),
            Some(("github.com".into(), 22))
        );
        assert_eq!(
            host_and_port("ssh://git@host:2222/org/r.git"),
            Some(("host".into(), 2222))
        );
        assert_eq!(host_and_port("ssh://host/r.git"), Some(("host".into(), 22)));
        assert_eq!(
            host_and_port("ssh://git@[::1]:2200/r"),
            Some(("::1".into(), 2200))
        );
        assert_eq!(lookup_name("host", 2222), "[host]:2222");
        assert_eq!(lookup_name("host", 22), "host");
    }

    #[test]
    fn known_hosts_matching_follows_openssh() {
        let kh = "github.com,140.82.112.3 ssh-ed25519 AAAA\n# gitlab.com ssh-ed25519 AAAA\n";
        assert!(covers(kh, "github.com"));
        assert!(!covers(kh, "gitlab.com"));
        assert!(covers("*.example.com ssh-rsa AAAA", "git.example.com"));
        assert!(!covers(
            "*.example.com,!bad.example.com ssh-rsa AAAA",
            "bad.example.com"
        ));
        assert!(covers("git?.corp ssh-rsa AAAA", "git1.corp"));
        assert!(!covers("host ssh-rsa AAAA", "[host]:2222"));
        assert!(covers("[host]:2222 ssh-rsa AAAA", "[host]:2222"));
        assert!(covers("@cert-authority *.corp ssh-rsa AAAA", "git.corp"));
        assert!(!covers("@revoked github.com ssh-rsa AAAA", "github.com"));
        // `ssh-keygen -H` of "github.com" with salt 0x00…00 (20 bytes).
        let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(&[0u8; 20]).unwrap();
        mac.update(b"github.com");
        let hash = STANDARD.encode(mac.finalize().into_bytes());
        let hashed = format!("|1|{}|{hash} ssh-ed25519 AAAA", STANDARD.encode([0u8; 20]));
        assert!(covers(&hashed, "github.com"));
        assert!(!covers(&hashed, "gitlab.com"));
    }

    #[test]
    fn line_ends_and_encryption() {
        assert_eq!(normalise_line_ends("a\r\nb\r\n"), ("a\nb\n".into(), true));
        assert_eq!(normalise_line_ends("a\nb\n"), ("a\nb\n".into(), false));
        assert!(is_encrypted(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
        ));
        assert!(is_encrypted(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n"
        ));
        let openssh = |cipher: &str| {
            let mut b = b"openssh-key-v1\0".to_vec();
            b.extend((cipher.len() as u32).to_be_bytes());
            b.extend(cipher.as_bytes());
            format!(
                "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
                STANDARD.encode(b)
            )
        };
        assert!(is_encrypted(&openssh("aes256-ctr")));
        assert!(!is_encrypted(&openssh("none")));
    }
}
