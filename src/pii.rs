//! Masking of personal data for logs and audit records: emails, phone numbers, card and
//! order digits never appear in clear outside the order cache itself.

use std::fmt;

/// `ada.park@example.com` → `a***@e***.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let (host, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
            let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
            let tld = if tld.is_empty() {
                String::new()
            } else {
                format!(".{tld}")
            };
            format!("{}***@{}***{tld}", first(local), first(host))
        }
        None => "***".into(),
    }
}

/// Keeps the last `keep` digits: `5125550199` → `******0199` with `keep = 4`.
pub fn mask_digits(digits: &str, keep: usize) -> String {
    let n = digits.chars().count();
    digits
        .chars()
        .enumerate()
        .map(|(i, c)| if i + keep < n { '*' } else { c })
        .collect()
}

/// A value that prints masked; wrap personal data in it before it reaches a log.
pub struct Masked<'a>(pub Kind, pub &'a str);

/// What kind of personal data a [`Masked`] holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Email,
    Phone,
    OrderNumber,
    Other,
}

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Kind::Email => f.write_str(&mask_email(self.1)),
            Kind::Phone => f.write_str(&mask_digits(self.1, 2)),
            Kind::OrderNumber => f.write_str(&mask_digits(self.1, 4)),
            Kind::Other => f.write_str("***"),
        }
    }
}

impl fmt::Debug for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_nothing_identifying() {
        assert_eq!(mask_email("ada.park@example.com"), "a***@e***.com");
        assert_eq!(mask_email("nonsense"), "***");
        assert_eq!(mask_digits("5125550199", 4), "******0199");
        assert_eq!(Masked(Kind::Phone, "5125550199").to_string(), "********99");
        assert_eq!(Masked(Kind::Other, "123 Main St").to_string(), "***");
    }
}
