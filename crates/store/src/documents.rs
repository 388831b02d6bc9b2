//! The default policy and FAQ documents a new store starts with (`assets/policies/`).
//! They are store data: the OMS may replace them, and the agent answers from whatever
//! the store holds.

use crate::Document;

const DEFAULTS: &[(&str, &str, &str)] = &[
    (
        "returns",
        "policy",
        include_str!("../../../assets/policies/en-US/returns.md"),
    ),
    (
        "shipping",
        "policy",
        include_str!("../../../assets/policies/en-US/shipping.md"),
    ),
    (
        "payments",
        "faq",
        include_str!("../../../assets/policies/en-US/payments.md"),
    ),
    (
        "orders",
        "faq",
        include_str!("../../../assets/policies/en-US/orders.md"),
    ),
    (
        "account",
        "faq",
        include_str!("../../../assets/policies/en-US/account.md"),
    ),
];

/// The built-in documents; the title is the file's first `# ` heading.
pub fn default_documents() -> Vec<Document> {
    DEFAULTS
        .iter()
        .map(|(id, kind, text)| {
            let (title, body) = match text.split_once('\n') {
                Some((first, rest)) if first.starts_with("# ") => {
                    (first.trim_start_matches("# ").trim(), rest.trim())
                }
                _ => (*id, text.trim()),
            };
            Document {
                id: (*id).to_string(),
                kind: (*kind).to_string(),
                title: title.to_string(),
                body: body.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_document_has_a_title_and_a_body() {
        let docs = default_documents();
        assert_eq!(docs.len(), DEFAULTS.len());
        for d in docs {
            assert!(!d.title.starts_with('#'), "{}", d.title);
            assert!(d.body.len() > 200, "{} is too short", d.id);
        }
    }
}
