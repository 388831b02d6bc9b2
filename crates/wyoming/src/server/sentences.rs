//! Cutting streamed text into sentences, so a streamed synthesis can speak each sentence
//! as soon as its end has arrived instead of waiting for the whole text.

/// Text received but not yet spoken.
#[derive(Debug, Default)]
pub(crate) struct SentenceBuffer {
    text: String,
}

fn ends_sentence(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '。' | '！' | '？')
}

/// Full-width marks end a sentence by themselves; Latin ones need the space after them
/// (so "3.5" or "e.g" split across two chunks is not cut).
fn ends_without_space(c: char) -> bool {
    matches!(c, '。' | '！' | '？')
}

fn closes(c: char) -> bool {
    matches!(c, '"' | '\'' | ')' | ']' | '”' | '’' | '»')
}

impl SentenceBuffer {
    /// Bytes waiting.
    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }

    /// Adds `chunk` and returns the sentences it completed, trimmed, in order.
    pub(crate) fn push(&mut self, chunk: &str) -> Vec<String> {
        self.text.push_str(chunk);
        let chars: Vec<(usize, char)> = self.text.char_indices().collect();
        let mut sentences = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i].1;
            if !ends_sentence(c) {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < chars.len() && (ends_sentence(chars[j].1) || closes(chars[j].1)) {
                j += 1;
            }
            let ended = match chars.get(j) {
                Some((_, next)) => next.is_whitespace() || ends_without_space(c),
                None => ends_without_space(c),
            };
            if ended {
                let end = chars.get(j).map_or(self.text.len(), |(at, _)| *at);
                let sentence = self.text[start..end].trim();
                if !sentence.is_empty() {
                    sentences.push(sentence.to_string());
                }
                start = end;
            }
            i = j;
        }
        self.text.drain(..start);
        sentences
    }

    /// What is left once the text is complete, if it has any words.
    pub(crate) fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.text);
        let rest = rest.trim();
        (!rest.is_empty()).then(|| rest.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(chunks: &[&str]) -> (Vec<Vec<String>>, Option<String>) {
        let mut buffer = SentenceBuffer::default();
        let out = chunks.iter().map(|c| buffer.push(c)).collect();
        (out, buffer.finish())
    }

    #[test]
    fn a_sentence_is_released_once_the_space_after_it_arrives() {
        let (out, rest) = feed(&["Hello there", ". How are", " you? I am", " fine."]);
        assert_eq!(out[0], Vec::<String>::new());
        assert_eq!(out[1], vec!["Hello there."]);
        assert_eq!(out[2], vec!["How are you?"]);
        assert_eq!(out[3], Vec::<String>::new());
        assert_eq!(rest.as_deref(), Some("I am fine."));
    }

    #[test]
    fn numbers_quotes_and_runs_of_marks() {
        let (out, rest) = feed(&["It costs 3", ".50 dollars!! \"Really?\" Yes"]);
        assert_eq!(out[1], vec!["It costs 3.50 dollars!!", "\"Really?\""]);
        assert_eq!(rest.as_deref(), Some("Yes"));
    }

    #[test]
    fn full_width_marks_end_at_once_and_blank_text_is_nothing() {
        let (out, rest) = feed(&["你好。谢谢！"]);
        assert_eq!(out[0], vec!["你好。", "谢谢！"]);
        assert_eq!(rest, None);
        assert_eq!(feed(&["  ", "\n"]).1, None);
    }
}
