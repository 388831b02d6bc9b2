//! Reading an order file: JSON syntax, per-record shape and per-field validation, with
//! every problem reported by record index and field before anything touches the store.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;

use crate::files::{read_capped, CappedReadError};
use crate::order::{Order, OrderRecord};

/// At most this many problems are kept; a file with more is reported as "and N more".
const MAX_PROBLEMS: usize = 50;

/// The largest order file read. The whole file is held while every record is checked, so
/// on a 1 GB device the cap keeps an import (about 250,000 orders) from exhausting memory
/// and a wrong path (`/dev/zero`) from reading forever.
pub const MAX_IMPORT_BYTES: u64 = 256 << 20;

/// One bad record: where it is, which field, and why. A reason about a contact field
/// (the customer, an address, the card) shows the bad value's shape, never the value:
/// the problems are printed, and whoever reads them need not see whose data it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    pub index: usize,
    pub order_number: Option<String>,
    pub field: String,
    pub reason: String,
}

impl fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {}", self.index)?;
        if let Some(n) = &self.order_number {
            write!(f, " (order {n})")?;
        }
        write!(f, ": field `{}`: {}", self.field, self.reason)
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is past [`MAX_IMPORT_BYTES`]; it was not read further.
    #[error("{path} is larger than {}; split it into several files (re-importing a record that did not change changes nothing)", crate::files::describe_size(*.limit))]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{path} is not valid JSON: {detail}")]
    NotJson { path: PathBuf, detail: String },
    #[error("{path}: expected a JSON array of orders, found {found}")]
    NotAnArray { path: PathBuf, found: &'static str },
    /// `problems` holds the first problems found (never empty); `count` all of them.
    #[error("{path}: {count} of {total} records invalid, first: {}; nothing was imported", .problems[0])]
    Invalid {
        path: PathBuf,
        total: usize,
        count: usize,
        problems: Vec<RecordProblem>,
    },
}

/// Reads and validates an order file. Either every record is valid and all are returned,
/// or the problems are.
pub fn read_order_file(path: &Path) -> Result<Vec<Order>, ImportError> {
    let text = read_capped(path, MAX_IMPORT_BYTES).map_err(|e| match e {
        CappedReadError::Io(source) => ImportError::Read {
            path: path.to_path_buf(),
            source,
        },
        CappedReadError::TooLarge { limit } => ImportError::TooLarge {
            path: path.to_path_buf(),
            limit,
        },
    })?;
    let text = String::from_utf8(text).map_err(|e| ImportError::NotJson {
        path: path.to_path_buf(),
        detail: format!(
            "not UTF-8 text (bad byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    parse_orders(&text, path)
}

/// Parses order JSON text; `origin` names it in errors.
pub fn parse_orders(text: &str, origin: &Path) -> Result<Vec<Order>, ImportError> {
    let not_json = |e: serde_json::Error| ImportError::NotJson {
        path: origin.to_path_buf(),
        detail: describe_syntax_error(&e),
    };
    // Records stay as raw slices of the input so each can be checked on its own and a
    // large file is not held twice as a generic JSON tree.
    let raw: Box<RawValue> = serde_json::from_str(text).map_err(not_json)?;
    let found = match raw.get().trim_start().as_bytes().first() {
        Some(b'[') => None,
        Some(b'{') => Some("an object"),
        Some(b'"') => Some("a string"),
        Some(b't' | b'f') => Some("a boolean"),
        Some(b'n') => Some("null"),
        _ => Some("a number"),
    };
    if let Some(found) = found {
        return Err(ImportError::NotAnArray {
            path: origin.to_path_buf(),
            found,
        });
    }
    let records: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(not_json)?;

    let mut orders = Vec::with_capacity(records.len());
    let mut problems = Vec::new();
    let mut problem_count = 0usize;
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(records.len());
    for (index, rec) in records.iter().enumerate() {
        let result = check_record(index, rec.get(), &mut seen);
        match result {
            Ok(order) => orders.push(order),
            Err(p) => {
                problem_count += 1;
                if problems.len() < MAX_PROBLEMS {
                    problems.push(p);
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid {
            path: origin.to_path_buf(),
            total: records.len(),
            count: problem_count,
            problems,
        });
    }
    Ok(orders)
}

fn check_record(
    index: usize,
    json: &str,
    seen: &mut HashMap<String, usize>,
) -> Result<Order, RecordProblem> {
    let mut de = serde_json::Deserializer::from_str(json);
    let record: OrderRecord = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let (field, reason) = shape_problem(&e);
        RecordProblem {
            index,
            order_number: order_number_hint(json),
            reason: masked_reason(&field, reason),
            field,
        }
    })?;
    let order = record.validate().map_err(|e| RecordProblem {
        index,
        order_number: Some(record.order_number.clone()).filter(|n| !n.is_empty()),
        reason: masked_reason(&e.field, e.reason),
        field: e.field,
    })?;
    if let Some(first) = seen.insert(order.order_number.clone(), index) {
        return Err(RecordProblem {
            index,
            order_number: Some(order.order_number),
            field: "order_number".into(),
            reason: format!("duplicate of record {first}"),
        });
    }
    Ok(order)
}

/// Runs of this many digits or more are masked in a problem's reason, whatever the field.
const MASKED_DIGIT_RUN: usize = 6;

/// Fields that hold a customer's contact details or card digits.
fn is_contact_field(field: &str) -> bool {
    [
        "customer",
        "shipping_address",
        "billing_address",
        "payment.last4",
    ]
    .iter()
    .any(|f| field == *f || field.starts_with(&format!("{f}.")))
}

/// The reason with every value it quotes (`"…"` from validation, `` `…` `` from the
/// JSON reader) masked when the field is a contact field; other reasons are unchanged.
fn masked_reason(field: &str, reason: String) -> String {
    if !is_contact_field(field) {
        // Any field may hold what someone pasted in the wrong place: an email, a street
        // line or a long digit run (a card number in a note or an item name) is masked
        // whatever the field.
        let reason = crate::pii::mask_contacts(&reason);
        return crate::pii::mask_digit_runs(&reason, MASKED_DIGIT_RUN);
    }
    let mut out = String::with_capacity(reason.len());
    let mut chars = reason.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '"' && c != '`' {
            continue;
        }
        let mut value = String::new();
        let mut closed = false;
        while let Some(v) = chars.next() {
            if v == c {
                closed = true;
                break;
            }
            value.push(v);
            if v == '\\' {
                value.extend(chars.next());
            }
        }
        out.push_str(&crate::pii::mask_shape(&value));
        if closed {
            out.push(c);
        }
    }
    // Whatever is left unquoted goes through the free-text masking as well.
    crate::pii::mask_text(&out)
}

/// Turns a typed deserialisation error into (field path, reason).
fn shape_problem(e: &serde_path_to_error::Error<serde_json::Error>) -> (String, String) {
    let path = e.path().to_string();
    let mut reason = e.inner().to_string();
    // Positions refer to the record's own slice, not the file; they would mislead.
    if let Some(at) = reason.rfind(" at line ") {
        reason.truncate(at);
    }
    // A missing field is reported at its parent; name the field itself.
    if let Some(name) = reason
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        let field = if path == "." {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        return (field, "is required".into());
    }
    (if path == "." { "(record)".into() } else { path }, reason)
}

/// The record's order number if it is a plain string, to help find it in the file.
fn order_number_hint(json: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Hint {
        order_number: Option<serde_json::Value>,
    }
    let hint: Hint = serde_json::from_str(json).ok()?;
    match hint.order_number? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn describe_syntax_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => format!(
            "the file ends too early (truncated?) at line {}, column {}",
            e.line(),
            e.column()
        ),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Order>, ImportError> {
        parse_orders(text, Path::new("t.json"))
    }

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/../../tests/data/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn valid_file_yields_every_order() {
        assert_eq!(parse(&fixture("orders_valid.json")).unwrap().len(), 3);
    }

    #[test]
    fn wrong_type_names_record_and_field_path() {
        match parse(&fixture("orders_wrong_type.json")).unwrap_err() {
            ImportError::Invalid {
                problems, count, ..
            } => {
                let first = &problems[0];
                assert_eq!(count, 1);
                assert_eq!(first.index, 1);
                assert_eq!(first.field, "items[0].qty");
                assert_eq!(first.order_number.as_deref(), Some("5550001112223"));
                assert!(first.reason.contains("invalid type"), "{first}");
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn missing_field_is_named() {
        let text = fixture("orders_valid.json").replacen("\"status\": \"processing\",", "", 1);
        match parse(&text).unwrap_err() {
            ImportError::Invalid { problems, .. } => {
                let first = &problems[0];
                assert_eq!(first.field, "status");
                assert_eq!(first.reason, "is required");
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn every_bad_record_is_reported() {
        let text = fixture("orders_valid.json")
            .replace("\"status\": \"shipped\"", "\"status\": \"lost\"")
            .replace("\"status\": \"pending_confirmation\"", "\"status\": 7");
        match parse(&text).unwrap_err() {
            ImportError::Invalid {
                problems, total, ..
            } => {
                assert_eq!(total, 3);
                let idx: Vec<_> = problems.iter().map(|p| p.index).collect();
                assert_eq!(idx, vec![1, 2]);
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn truncated_and_non_json_files_are_told_apart() {
        let e = parse(&fixture("truncated.json")).unwrap_err().to_string();
        assert!(e.contains("ends too early"), "{e}");
        let e = parse(&fixture("not_json.json")).unwrap_err().to_string();
        assert!(e.contains("not valid JSON"), "{e}");
        let e = parse("{\"order_number\": \"1\"}").unwrap_err().to_string();
        assert!(
            e.contains("expected a JSON array of orders, found an object"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_order_numbers_in_one_file_are_refused() {
        let one = fixture("orders_valid.json");
        let v: Vec<serde_json::Value> = serde_json::from_str(&one).unwrap();
        let dup = serde_json::to_string(&vec![v[0].clone(), v[0].clone()]).unwrap();
        match parse(&dup).unwrap_err() {
            ImportError::Invalid { problems, .. } => {
                assert_eq!(problems[0].index, 1);
                assert_eq!(problems[0].reason, "duplicate of record 0");
            }
            other => panic!("unexpected {other}"),
        }
    }

    /// Contact details pasted into fields that are not about contacts are masked too.
    #[test]
    fn contact_details_in_the_wrong_field_are_masked() {
        let v: Vec<serde_json::Value> =
            serde_json::from_str(&fixture("orders_valid.json")).unwrap();
        let mut email_as_status = v[0].clone();
        email_as_status["status"] = "ada.park@example.com".into();
        let mut street_as_method = v[1].clone();
        street_as_method["shipping_method"] = "1234 Elm Street".into();
        for record in [email_as_status, street_as_method] {
            let text = serde_json::to_string(&vec![record]).unwrap();
            match parse(&text).unwrap_err() {
                ImportError::Invalid { problems, .. } => {
                    let all = problems[0].to_string();
                    for secret in ["ada.park", "1234 Elm"] {
                        assert!(!all.contains(secret), "{secret} in {all}");
                    }
                }
                other => panic!("{other}"),
            }
        }
    }

    /// A bad email was printed in clear; the index, the field and the reason stay.
    #[test]
    fn contact_details_in_problems_are_masked() {
        let v: Vec<serde_json::Value> =
            serde_json::from_str(&fixture("orders_valid.json")).unwrap();
        let mut bad_email = v[0].clone();
        bad_email["customer"]["email"] = "ada.park@@example.com".into();
        let mut number_phone = v[1].clone();
        number_phone["customer"]["phone"] = serde_json::json!(5125550199u64);
        let mut bad_zip = v[2].clone();
        bad_zip["shipping_address"]["zip"] = "7870".into();
        let text = serde_json::to_string(&vec![bad_email, number_phone, bad_zip]).unwrap();
        match parse(&text).unwrap_err() {
            ImportError::Invalid { problems, .. } => {
                let fields: Vec<_> = problems
                    .iter()
                    .map(|p| (p.index, p.field.as_str()))
                    .collect();
                assert_eq!(
                    fields,
                    vec![
                        (0, "customer.email"),
                        (1, "customer.phone"),
                        (2, "shipping_address.zip")
                    ]
                );
                let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
                let all = all.join("\n");
                for secret in ["ada.park", "example", "5125550199", "7870"] {
                    assert!(!all.contains(secret), "{secret} in {all}");
                }
                assert!(all.contains("is not an email address"), "{all}");
                assert!(all.contains("\"a***@@***.com\""), "{all}");
                assert!(all.contains("invalid type"), "{all}");
                assert!(all.contains("5-digit ZIP"), "{all}");
            }
            other => panic!("unexpected {other}"),
        }
        // A field that is not a contact detail keeps its value: it helps find the record.
        let text =
            fixture("orders_valid.json").replace("\"status\": \"shipped\"", "\"status\": \"lost\"");
        match parse(&text).unwrap_err() {
            ImportError::Invalid { problems, .. } => {
                assert!(problems[0].reason.contains("lost"), "{}", problems[0])
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn card_like_digits_in_any_field_are_masked() {
        let v: Vec<serde_json::Value> =
            serde_json::from_str(&fixture("orders_valid.json")).unwrap();
        let mut status = v[0].clone();
        status["status"] = "4111 1111 1111 1234".into();
        let mut method = v[1].clone();
        method["shipping_method"] = "card-4111111111111234".into();
        let mut qty = v[2].clone();
        qty["items"][0]["qty"] = "4111-1111-1111-1234".into();
        let text = serde_json::to_string(&vec![status, method, qty]).unwrap();
        match parse(&text).unwrap_err() {
            ImportError::Invalid { problems, .. } => {
                assert_eq!(problems.len(), 3);
                let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
                let all = all.join("\n");
                for run in ["4111", "111111", "1111 1111"] {
                    assert!(!all.contains(run), "{run} in {all}");
                }
                assert!(all.contains("1234"), "the last four stay: {all}");
            }
            other => panic!("unexpected {other}"),
        }
        // Short numbers (a quantity, a line) are left alone.
        assert_eq!(
            crate::pii::mask_digit_runs("line 3 has 12345 units", 6),
            "line 3 has 12345 units"
        );
        assert_eq!(
            crate::pii::mask_digit_runs("a 4111-1111-1111-1234 b", 6),
            "a ****-****-****-1234 b"
        );
    }

    #[test]
    fn empty_array_is_valid_and_empty() {
        assert!(parse("[]").unwrap().is_empty());
    }
}
