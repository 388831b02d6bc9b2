//! The sync API's request and response bodies (version 1), shared by the reference
//! server and the device's HTTP client so the two cannot drift. `docs/oms-api.yaml`
//! describes the same shapes for other implementations.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::order::OrderRecord;

/// The API version in every answer; a device refuses any other.
pub const SCHEMA_VERSION: u32 = 1;

/// Entity kinds in the change feed.
pub const KIND_ORDER: &str = "order";
pub const KIND_PRODUCT: &str = "product";
pub const KIND_DOCUMENT: &str = "document";
pub const KIND_POLICY: &str = "policy";

/// `GET /v1/changes`: one page of the feed.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChangePage {
    pub schema_version: u32,
    pub changes: Vec<ChangeItem>,
    /// Where the next page starts (opaque; send it back unchanged).
    pub next_cursor: String,
    pub has_more: bool,
    /// The server's clock, for information only: devices never compare clocks.
    pub server_time: String,
}

/// One changed entity, as it is now (not a diff).
#[derive(Debug, Serialize, Deserialize)]
pub struct ChangeItem {
    /// `order`, `product`, `document` or `policy`; devices skip kinds they do not know.
    pub kind: String,
    /// The order number, SKU, document id or policy key.
    pub id: String,
    /// The order JSON, a product, a document, or a policy's JSON value.
    pub data: Box<RawValue>,
}

/// `POST /v1/commands`.
#[derive(Debug, Serialize, Deserialize)]
pub struct PushRequest {
    pub commands: Vec<CommandIn>,
}

/// One device command: an outbox row.
#[derive(Debug, Serialize, Deserialize)]
pub struct CommandIn {
    /// A UUID; the server applies each key once.
    pub idempotency_key: String,
    pub kind: String,
    #[serde(default)]
    pub order_number: Option<String>,
    /// The order's version the device saw before its change.
    #[serde(default)]
    pub base_version: Option<i64>,
    /// The change, tagged by `kind` (see `crate::change::Change`).
    pub payload: Box<RawValue>,
    /// When the device made the change (its clock; informative).
    pub created_at: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PushResponse {
    pub schema_version: u32,
    /// One result per command, in the order sent.
    pub results: Vec<CommandResult>,
}

/// `applied`, `duplicate` (applied before: nothing done again) or `rejected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandOutcome {
    Applied,
    Duplicate,
    Rejected,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CommandResult {
    pub idempotency_key: String,
    pub outcome: CommandOutcome,
    /// Rejected: a reason code (`not_cancellable`, `order_not_found`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The order as the server holds it now, when the command names one that exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderRecord>,
}

/// `GET /v1/orders`.
#[derive(Debug, Serialize, Deserialize)]
pub struct OrderList {
    pub orders: Vec<OrderRecord>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(default)]
    pub next_after: Option<String>,
}

/// `GET /v1/stats`: what the server has done, for operators and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub orders: u64,
    pub commands_applied: u64,
    pub commands_rejected: u64,
    /// Commands received again and answered from the idempotency table.
    pub duplicates_answered: u64,
}

/// `GET /v1/device`: who the server takes the device to be, and what it may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub schema_version: u32,
    /// The device's id in the server's registry.
    pub device_id: String,
    /// Its scope as text: `*`, or `store:ID` and `customer:EMAIL` entries.
    pub scope: String,
}

/// An error answer's body (every status except 401, which has none).
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    /// A refused batch (403 outside the device's scope, 409 a key reused for another
    /// command): the commands that caused it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub idempotency_keys: Vec<String>,
}

/// Deepest nesting of arrays and objects in one command's payload. A real command is at
/// most five levels deep (a new order's address); JSON parsers recurse on nesting, so a
/// bound far below any parser's limit keeps a hostile body from reaching one.
pub const MAX_COMMAND_DEPTH: usize = 32;
/// Largest payload of one command, in bytes (a new order with many lines fits easily).
pub const MAX_COMMAND_BYTES: usize = 64 * 1024;
/// Longest idempotency key (a UUID is 36 characters).
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;

/// How deeply arrays and objects nest in JSON `text`, counted without parsing it (so
/// without recursion), brackets inside strings ignored. Text that is not JSON gets some
/// number; the parser refuses it afterwards.
pub fn json_depth(text: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in text {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Checks an idempotency key: 1 to [`MAX_IDEMPOTENCY_KEY_LEN`] ASCII letters, digits,
/// `-`, `_`, `.` or `:` (a UUID, or a device's own scheme), so that a key is a short,
/// printable identifier wherever it is stored or logged.
pub fn validate_idempotency_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("is empty".into());
    }
    if key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(format!(
            "is {} characters long; at most {MAX_IDEMPOTENCY_KEY_LEN}",
            key.len()
        ));
    }
    if key
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        return Err("may hold only ASCII letters, digits and - _ . :".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_nesting_and_ignores_brackets_in_strings() {
        assert_eq!(json_depth(br#"{"a": 1}"#), 1);
        assert_eq!(json_depth(br#"{"a": [{"b": "[[[{{{"}]}"#), 3);
        assert_eq!(json_depth(br#"{"a": "\"[[", "b": []}"#), 2);
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(json_depth(deep.as_bytes()), 200);
        assert_eq!(json_depth(b"42"), 0);
    }

    #[test]
    fn idempotency_keys_are_short_and_printable() {
        assert!(validate_idempotency_key("5f0c3a52-8b1e-4c7a-9d1e-2f6a0b3c4d5e").is_ok());
        assert!(validate_idempotency_key("kiosk-1:42").is_ok());
        for bad in ["", "a b", "k\0", "é", &"k".repeat(129)] {
            assert!(validate_idempotency_key(bad).is_err(), "{bad:?}");
        }
        assert!(validate_idempotency_key(&"k".repeat(128)).is_ok());
    }
}
