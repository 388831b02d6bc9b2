//! The devices the OMS lets in: each bearer token names one device and its [`Scope`].
//! Tokens are kept only as their SHA-256, so no registry holds a secret it could leak.
//! Two registries: the OMS store's (`db::registry`: enrolled with `oms devices add`,
//! revoked at once with `oms devices revoke`), and the tokens file of `oms serve`, read
//! at start, which may give either the token or its hash. This module owns what both
//! share: token hashes, new tokens, device ids, and the errors of the store's registry.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::db::OmsDbError;
use super::scope::{Scope, ScopeError};
use super::OmsError;

/// Shortest bearer token accepted in a tokens file.
pub const MIN_TOKEN_LEN: usize = 16;
/// How a tokens file (or `oms devices add --token-hash`) gives a token by its hash
/// instead of in clear.
pub const HASH_PREFIX: &str = "sha256:";
/// Random bytes in a token made by [`new_token`]: 256 bits, as hard to guess as the
/// SHA-256 it is kept as.
const NEW_TOKEN_BYTES: usize = 32;

/// Enrolling, revoking or listing a device in the store's registry failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    #[error(transparent)]
    Db(#[from] OmsDbError),
    /// Caller: choose another id.
    #[error("device id {id:?} {reason}")]
    BadId { id: String, reason: String },
    #[error("scope: {0}")]
    BadScope(#[from] ScopeError),
    /// A `sha256:` hash that is not 64 hex digits. Caller: check how it was copied.
    #[error("token hash {0}")]
    BadTokenHash(String),
    /// Ids are never reused, so a log line names one device. Caller: choose another id.
    #[error("device {id} is already enrolled{}", if *.revoked { " (and revoked); a revoked id is not reused" } else { "" })]
    IdTaken { id: String, revoked: bool },
    /// Another device, active or revoked, has the same token. Caller: make a new token.
    #[error("another device already has this token; generate a new one")]
    TokenTaken,
    #[error("no device {id} in the registry")]
    Unknown { id: String },
    /// The operating system gave no random bytes. Caller: retry, or give a hash.
    #[error("the operating system's random number generator failed: {0}")]
    Random(getrandom::Error),
}

/// A device id: what logs and the registry name a device by. Letters, digits, `-`, `_`
/// and `.` only, so an id is never an email or anything else logs must not hold.
pub fn validate_device_id(id: &str) -> Result<(), RegistryError> {
    voxorder_domain::order::validate_store_id(id).map_err(|reason| RegistryError::BadId {
        id: id.to_string(),
        reason,
    })
}

/// A new bearer token: 32 bytes from the operating system's RNG, in hex (64 characters).
/// Only its hash is ever stored; the caller shows it once.
pub fn new_token() -> Result<Token, RegistryError> {
    let mut bytes = [0u8; NEW_TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(RegistryError::Random)?;
    Ok(Token(bytes.iter().map(|b| format!("{b:02x}")).collect()))
}

/// A bearer token in clear, kept out of `Debug` output so it cannot reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// The token itself, to show its owner once.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        token_hash(&self.0)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

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
        self.authenticate_hash(&token_hash(token))
    }

    /// The device whose token has this hash.
    pub fn authenticate_hash(&self, hash: &TokenHash) -> Option<Arc<Device>> {
        self.by_hash.get(hash).cloned()
    }

    /// The ids of the devices, each once.
    pub fn ids(&self) -> std::collections::BTreeSet<&str> {
        self.by_hash.values().map(|d| d.id.as_str()).collect()
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
    if token.starts_with(HASH_PREFIX) {
        return parse_token_hash(token);
    }
    if token.len() < MIN_TOKEN_LEN {
        return Err(format!("is shorter than {MIN_TOKEN_LEN} characters"));
    }
    Ok(token_hash(token))
}

/// `sha256:` and the 64 hex digits of a token's hash, as `sha256sum` prints them.
pub fn parse_token_hash(text: &str) -> Result<TokenHash, String> {
    let Some(hex) = text.strip_prefix(HASH_PREFIX) else {
        return Err(format!("does not start with {HASH_PREFIX}"));
    };
    // `from_str_radix` alone would take a sign (`+f`) as part of a byte.
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("after {HASH_PREFIX} is not hexadecimal"));
    }
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
        assert_eq!(
            parse_token_hash(&format!("sha256:{}", hashed.to_uppercase())),
            Ok(token_hash("speaker-token-0123456789"))
        );
        assert_eq!(
            d.ids().into_iter().collect::<Vec<_>>(),
            ["kiosk-1", "ops", "speaker-2"]
        );
    }

    #[test]
    fn new_tokens_are_long_random_and_kept_out_of_debug() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.reveal().len(), 64);
        assert!(a.reveal().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a.hash(), token_hash(a.reveal()));
        assert!(!format!("{a:?}").contains(a.reveal()));
        for bad in [
            "abc".to_string(),
            "sha256:abc".into(),
            format!("sha256:{}", "g".repeat(64)),
            format!("sha256:{}", "+f".repeat(32)),
        ] {
            assert!(parse_token_hash(&bad).is_err(), "{bad}");
        }
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
