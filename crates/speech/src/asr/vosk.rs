//! The Vosk recogniser (cargo feature `vosk`): a Kaldi model directory the operator
//! provides (`speech.asr.vosk_model_dir`), with Vosk's grammar recogniser biasing digits,
//! yes/no answers and known phrases.
//!
//! No English Vosk model can be fetched from a package registry, so only the plumbing is
//! tested here (loading, typed errors); recognition accuracy has not been measured.
//! libvosk.so comes from the PyPI wheel (`models/lib/libvosk.so`); `build.rs` adds the
//! link search path and an rpath for it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{AsrError, Expect, Recognizer, Transcript};

const SAMPLE_RATE: f32 = 16_000.0;
/// Words a caller uses to read a number digit by digit.
const DIGIT_WORDS: [(&str, &str); 11] = [
    ("zero", "0"),
    ("oh", "0"),
    ("one", "1"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
];
const YES_NO_WORDS: [&str; 10] = [
    "yes", "no", "yeah", "nope", "yep", "correct", "right", "wrong", "okay", "sure",
];
/// Vosk's word for "something outside the grammar".
const UNKNOWN: &str = "[unk]";

/// Speech to text with Vosk.
pub struct VoskRecognizer {
    model: vosk::Model,
    dir: PathBuf,
}

impl VoskRecognizer {
    /// Loads the model directory (Kaldi layout: `am/`, `conf/`, `graph/`, ...).
    pub fn new(dir: &Path) -> Result<VoskRecognizer, AsrError> {
        let model_err = |reason: &str| AsrError::Model {
            path: dir.to_path_buf(),
            reason: reason.to_string(),
        };
        // Vosk logs and returns nothing useful for a missing directory; say which.
        let has_entries = std::fs::read_dir(dir)
            .map_err(|e| model_err(&format!("cannot read the Vosk model directory ({e})")))?
            .next()
            .is_some();
        if !has_entries {
            return Err(model_err("the Vosk model directory is empty"));
        }
        let path = dir
            .to_str()
            .ok_or_else(|| model_err("the path is not UTF-8"))?;
        vosk::set_log_level(vosk::LogLevel::Error);
        let model = vosk::Model::new(path)
            .ok_or_else(|| model_err("Vosk could not load a model from this directory"))?;
        Ok(VoskRecognizer {
            model,
            dir: dir.to_path_buf(),
        })
    }

    fn grammar(expect: &Expect) -> Option<Vec<String>> {
        let mut phrases: Vec<String> = match expect {
            Expect::Anything | Expect::NumberOrFree(_) => return None,
            Expect::Digits { .. } => DIGIT_WORDS.iter().map(|(w, _)| w.to_string()).collect(),
            Expect::YesNo => YES_NO_WORDS.iter().map(|w| w.to_string()).collect(),
            Expect::Phrases(list) => list
                .iter()
                // Vosk's grammar is JSON built by plain formatting: keep phrases to words.
                .map(|p| {
                    p.to_lowercase()
                        .chars()
                        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '\'')
                        .collect::<String>()
                })
                .filter(|p| !p.trim().is_empty())
                .collect(),
        };
        if phrases.is_empty() {
            return None;
        }
        phrases.push(UNKNOWN.to_string());
        Some(phrases)
    }

    /// One pass over the audio → (words, mean log confidence).
    fn decode(&self, pcm: &[i16], grammar: Option<&[String]>) -> Result<(String, f32), AsrError> {
        let mut rec = match grammar {
            Some(g) => vosk::Recognizer::new_with_grammar(&self.model, SAMPLE_RATE, g),
            None => vosk::Recognizer::new(&self.model, SAMPLE_RATE),
        }
        .ok_or(AsrError::VoskRecognizer)?;
        rec.set_words(true);
        for chunk in pcm.chunks(8_000) {
            rec.accept_waveform(chunk)
                .map_err(|e| AsrError::VoskWaveform {
                    detail: e.to_string(),
                })?;
        }
        let result = rec
            .final_result()
            .single()
            .ok_or(AsrError::VoskAlternatives)?;
        let confs: Vec<f32> = result
            .result
            .iter()
            .map(|w| w.conf.max(1e-6).ln())
            .collect();
        let avg = if confs.is_empty() {
            0.0
        } else {
            confs.iter().sum::<f32>() / confs.len() as f32
        };
        Ok((result.text.to_string(), avg))
    }
}

/// "four seven two" → "4 7 2"; other words are kept.
fn digits_from_words(text: &str) -> String {
    text.split_whitespace()
        .map(|w| {
            DIGIT_WORDS
                .iter()
                .find(|(word, _)| *word == w)
                .map_or(w, |(_, d)| *d)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Recognizer for VoskRecognizer {
    fn name(&self) -> &str {
        "vosk"
    }

    fn transcribe(&mut self, audio: &[f32], expect: &Expect) -> Result<Transcript, AsrError> {
        let started = Instant::now();
        let audio_seconds = audio.len() as f64 / f64::from(SAMPLE_RATE);
        if audio.is_empty() {
            return Ok(Transcript::default());
        }
        let pcm: Vec<i16> = audio
            .iter()
            .map(|&s| {
                let s = if s.is_finite() {
                    s.clamp(-1.0, 1.0)
                } else {
                    0.0
                };
                (s * 32_767.0) as i16
            })
            .collect();
        let grammar = Self::grammar(expect);
        let (mut text, mut avg) = self.decode(&pcm, grammar.as_deref())?;
        if grammar.is_some() && text.split_whitespace().any(|w| w == UNKNOWN) {
            // The caller said something outside the expected shape: free speech wins.
            (text, avg) = self.decode(&pcm, None)?;
        } else if matches!(expect, Expect::Digits { .. }) {
            text = digits_from_words(&text);
        }
        tracing::debug!(model = %self.dir.display(), "vosk utterance decoded");
        Ok(Transcript {
            text: super::whisper::normalize(&text),
            no_speech_prob: 0.0,
            avg_logprob: avg,
            audio_seconds,
            decode_seconds: started.elapsed().as_secs_f64(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_empty_model_directories_are_typed_errors() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let absent = VoskRecognizer::new(&tmp.path().join("absent")).err();
        assert!(
            matches!(absent, Some(AsrError::Model { .. })),
            "{:?}",
            absent.map(|e| e.to_string())
        );
        let empty = VoskRecognizer::new(tmp.path()).err();
        assert!(matches!(empty, Some(AsrError::Model { .. })));
        // Something that is not a Kaldi model: Vosk itself must refuse it.
        std::fs::write(tmp.path().join("README"), "not a model").expect("write");
        let junk = VoskRecognizer::new(tmp.path()).err();
        assert!(matches!(junk, Some(AsrError::Model { .. })));
    }

    #[test]
    fn grammars_follow_the_expectation_and_allow_other_speech() {
        assert_eq!(VoskRecognizer::grammar(&Expect::Anything), None);
        let digits =
            VoskRecognizer::grammar(&Expect::Digits { min: 1, max: 9 }).unwrap_or_default();
        assert!(
            digits.contains(&"seven".to_string())
                && digits.last().map(String::as_str) == Some(UNKNOWN)
        );
        let phrases =
            VoskRecognizer::grammar(&Expect::Phrases(vec!["Blue \"Mug\"".into(), " ".into()]));
        assert_eq!(
            phrases,
            Some(vec!["blue mug".to_string(), UNKNOWN.to_string()])
        );
        assert_eq!(digits_from_words("four oh seven x"), "4 0 7 x");
    }
}
