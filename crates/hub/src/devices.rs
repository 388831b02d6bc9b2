//! The devices the OMS lets in: each bearer token names one device and its [`Scope`].
//! Tokens are kept only as their SHA-256, so the registry never holds a secret it could
//! leak; the tokens file of `oms serve` may give either the token or its hash.
//!
//! The registry's shape (device id, token hash, scope text) is what a database-backed
//! registry holds too: revoking a device is removing its rows (or lines) and reloading.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::scope::Scope;
use super::OmsError;

/// Shortest bearer token accepted in a tokens file.
pub const MIN_TOKEN_LEN: usize = 16;
/// How a tokens file gives a token by its hash instead of in clear.
const HASH_PREFIX: &str = "sha256:";

/// An authenticated device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub scope: Scope,
}

/// A token's SHA-256.
pub type TokenHash = [u8; 32];

pub fn token_hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Token hash → device.
#[derive(Clone, Default)]
pub struct Devices {
    by_hash: HashMap<TokenHash, Arc<Device>>,
}

impl std::fmt::Debug for Devices {
    // Even hashes of tokens stay out of logs: only how many there are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devices")
            .field("tokens", &self.by_hash.len())
            .finish()
    }
}

impl Devices {
    /// A registry of `(device id, token, scope)` entries, for servers started in-process.
    /// Panics on a token given twice, which is a test's mistake.
    pub fn from_entries<'a>(
        entries: impl IntoIterator<Item = (&'a str, &'a str, Scope)>,
    ) -> Devices {
        let mut devices = Devices::default();
        for (id, token, scope) in entries {
            let fresh = devices.add(
                token_hash(token),
                Device {
                    id: id.to_string(),
                    scope,
                },
            );
            assert!(fresh, "the token of {id} is given twice");
        }
        devices
    }

    fn add(&mut self, hash: TokenHash, device: Device) -> bool {
        self.by_hash.insert(hash, Arc::new(device)).is_none()
    }

    /// The device this token belongs to.
    pub fn authenticate(&self, token: &str) -> Option<Arc<Device>> {
        self.by_hash.get(&token_hash(token)).cloned()
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Reads a tokens file: `device_id token scope…` per line (`#` comments and blank
    /// lines skipped), where the token is at least 16 characters or `sha256:` and its
    /// hash in hex, and the scope is `*` or `store:ID` / `customer:EMAIL` entries
    /// ([`Scope`]). A line without a scope is an error, never "everything".
    pub fn read_file(path: &Path) -> Result<Devices, OmsError> {
        let text = voxorder_domain::files::read_text_capped(
            path,
            voxorder_domain::files::SECRETS_FILE_LIMIT,
        )
        .map_err(|source| OmsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |line: usize, reason: String| OmsError::Tokens {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let mut devices = Devices::default();
        let mut scopes: HashMap<String, Scope> = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (Some(id), Some(token)) = (parts.next(), parts.next()) else {
                return Err(bad(i + 1, "expected `device_id token scope`".into()));
            };
            let hash = parse_token(token)
                .map_err(|reason| bad(i + 1, format!("the token of {id} {reason}")))?;
            let scope: Scope = parts
                .collect::<Vec<_>>()
                .join(" ")
                .parse()
                .map_err(|e| bad(i + 1, format!("{id}: {e}")))?;
            match scopes.get(id) {
                Some(earlier) if *earlier != scope => {
                    return Err(bad(
                        i + 1,
                        format!("{id} has another scope on an earlier line; a device has one"),
                    ));
                }
                _ => {
                    scopes.insert(id.to_string(), scope.clone());
                }
            }
            let device = Device {
                id: id.to_string(),
                scope,
            };
            if !devices.add(hash, device) {
                return Err(bad(i + 1, format!("the token of {id} is used twice")));
            }
        }
        if devices.is_empty() {
            return Err(bad(0, "no tokens: no device could connect".into()));
        }
        Ok(devices)
    }
}

/// A token in clear (hashed here) or `sha256:` and 64 hex digits.
fn parse_token(token: &str) -> Result<TokenHash, String> {
    let Some(hex) = token.strip_prefix(HASH_PREFIX) else {
        if token.len() < MIN_TOKEN_LEN {
            return Err(format!("is shorter than {MIN_TOKEN_LEN} characters"));
        }
        return Ok(token_hash(token));
    };
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect::<Option<_>>()
        .ok_or_else(|| format!("after {HASH_PREFIX} is not hexadecimal"))?;
    TokenHash::try_from(bytes).map_err(|_| format!("after {HASH_PREFIX} is not 64 hex digits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tokens_file_gives_each_token_a_device_and_a_scope() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tokens");
        let hashed: String = token_hash("speaker-token-0123456789")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(
            &p,
            format!(
                "# devices\nkiosk-1 0123456789abcdef0123 store:austin-1\n\n\
                 speaker-2 sha256:{hashed} customer:ada@example.com\n\
                 ops fedcba9876543210fedc *\n"
            ),
        )
        .unwrap();
        let d = Devices::read_file(&p).unwrap();
        assert_eq!(d.len(), 3);
        let kiosk = d.authenticate("0123456789abcdef0123").unwrap();
        assert_eq!(kiosk.id, "kiosk-1");
        assert_eq!(kiosk.scope.to_string(), "store:austin-1");
        let speaker = d.authenticate("speaker-token-0123456789").unwrap();
        assert_eq!(speaker.id, "speaker-2");
        assert!(d
            .authenticate("fedcba9876543210fedc")
            .unwrap()
            .scope
            .is_everything());
        assert!(d.authenticate("not-a-token-at-all-xx").is_none());
        assert!(d.authenticate(&format!("sha256:{hashed}")).is_none());
    }

    #[test]
    fn a_line_without_a_scope_or_with_a_bad_token_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tokens");
        for bad in [
            "kiosk-1 0123456789abcdef0123\n",
            "kiosk-1 short store:a\n",
            "kiosk-1\n",
            "kiosk-1 0123456789abcdef0123 austin\n",
            "kiosk-1 sha256:abc store:a\n",
            "a 0123456789abcdef0123 store:a\nb 0123456789abcdef0123 store:b\n",
            "a 0123456789abcdef0123 store:a\na fedcba9876543210fedc store:b\n",
            "# nothing\n",
        ] {
            std::fs::write(&p, bad).unwrap();
            assert!(
                matches!(Devices::read_file(&p), Err(OmsError::Tokens { .. })),
                "{bad}"
            );
        }
    }
}
