//! Documents to passages: a `## ` section, or a paragraph outside any section, becomes
//! one passage of sentences, headed by the document title; Markdown to plain text.

use super::Document;

/// A passage before analysis: its heading (None outside any `##` section) and sentences.
pub(super) struct RawPassage {
    pub(super) heading: Option<String>,
    pub(super) sentences: Vec<String>,
}

/// `##` sections become one passage each; paragraphs outside a section one passage each.
pub(super) fn split_passages(doc: &Document) -> Vec<RawPassage> {
    let mut out: Vec<RawPassage> = Vec::new();
    let mut heading: Option<String> = None;
    let mut section: Vec<String> = Vec::new();
    let mut paragraph: Vec<String> = Vec::new();

    pub(super) fn end_paragraph(
        paragraph: &mut Vec<String>,
        section: &mut Vec<String>,
        heading: &Option<String>,
        out: &mut Vec<RawPassage>,
    ) {
        if paragraph.is_empty() {
            return;
        }
        let text = paragraph.join(" ");
        paragraph.clear();
        let sentences = split_sentences(&text);
        if heading.is_some() {
            section.extend(sentences);
        } else if !sentences.is_empty() {
            out.push(RawPassage {
                heading: None,
                sentences,
            });
        }
    }

    for line in doc.body.lines() {
        let trimmed = line.trim();
        let hashes = trimmed.chars().take_while(|&c| c == '#').count();
        if hashes > 0 && (hashes == trimmed.len() || trimmed[hashes..].starts_with(' ')) {
            end_paragraph(&mut paragraph, &mut section, &heading, &mut out);
            if let Some(h) = heading.take() {
                if !section.is_empty() {
                    out.push(RawPassage {
                        heading: Some(h),
                        sentences: std::mem::take(&mut section),
                    });
                }
            }
            let title = plain_inline(trimmed[hashes..].trim());
            heading = (!title.is_empty()).then_some(title);
        } else if trimmed.is_empty() {
            end_paragraph(&mut paragraph, &mut section, &heading, &mut out);
        } else if let Some(item) = list_item(trimmed) {
            // A list item reads as a sentence of its own.
            end_paragraph(&mut paragraph, &mut section, &heading, &mut out);
            let mut item = plain_inline(item);
            if !item.ends_with(['.', '?', '!']) {
                item.push('.');
            }
            paragraph.push(item);
            end_paragraph(&mut paragraph, &mut section, &heading, &mut out);
        } else {
            paragraph.push(plain_inline(trimmed));
        }
    }
    end_paragraph(&mut paragraph, &mut section, &heading, &mut out);
    if let Some(h) = heading {
        if !section.is_empty() {
            out.push(RawPassage {
                heading: Some(h),
                sentences: section,
            });
        }
    }
    out
}

/// The text of a `- `, `* `, `+ ` or `1. ` list item.
pub(super) fn list_item(line: &str) -> Option<&str> {
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some(rest.trim());
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        if let Some(rest) = line[digits..].strip_prefix(". ") {
            return Some(rest.trim());
        }
    }
    None
}

/// Inline Markdown to plain text: emphasis and code marks dropped, links to their text.
pub(super) fn plain_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' | '`' => {}
            '_' if i == 0
                || i + 1 == chars.len()
                || !chars[i - 1].is_alphanumeric()
                || !chars[i + 1].is_alphanumeric() => {}
            '[' => {
                // [text](target) → text
                let close = chars[i..].iter().position(|&x| x == ']').map(|p| p + i);
                match close {
                    Some(end) if chars.get(end + 1) == Some(&'(') => {
                        out.extend(&chars[i + 1..end]);
                        let paren = chars[end..].iter().position(|&x| x == ')');
                        i = paren.map_or(chars.len(), |p| end + p + 1);
                        continue;
                    }
                    _ => out.push(c),
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits a paragraph into sentences at `.`, `?` or `!` followed by a space, except
/// after an abbreviation ("e.g.", "p.m.", "Mr.").
pub(super) fn split_sentences(text: &str) -> Vec<String> {
    const ABBREVIATIONS: &[&str] = &["mr.", "mrs.", "ms.", "dr.", "st.", "no.", "vs.", "etc."];
    let mut out = Vec::new();
    let mut current = String::new();
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        let lower = word.to_lowercase();
        let core = lower.trim_end_matches(['"', '\'', ')']);
        let ends = core.ends_with(['.', '?', '!']);
        let dotted = |w: &str| w.contains('.') && w.chars().all(|c| c.is_alphabetic() || c == '.');
        let abbreviation =
            ABBREVIATIONS.contains(&core) || core.strip_suffix('.').is_some_and(dotted);
        let next_starts = words
            .get(i + 1)
            .and_then(|w| w.chars().next())
            .is_none_or(|c| c.is_uppercase() || c.is_ascii_digit() || c == '$' || c == '"');
        if ends && !abbreviation && next_starts {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
