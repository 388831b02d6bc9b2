//! The Piper voice: a VITS model in ONNX fed with espeak-ng phonemes, synthesising a reply
//! chunk by chunk (sentences, long ones cut at commas) so playback starts after the first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use super::{espeak, Pace, SynthesisStats, Synthesizer, TtsError};
use voxorder_config::TtsConfig;

const PAD: char = '_';
const BOS: char = '^';
const EOS: char = '$';

/// The first chunk is kept short so the first audio comes early (at about 0.13 s of
/// synthesis per second of speech, 30 characters take some 200 ms); later chunks can be
/// longer because they are synthesised while earlier ones play. Limits are in spoken
/// length (`spoken_len`). The model's working memory grows with the chunk (about 0.6 MB
/// a character on this voice, freed after each chunk), so the limit also bounds the
/// device's peak memory.
const FIRST_CHUNK_CHARS: usize = 30;
const MAX_CHUNK_CHARS: usize = 70;

/// Words a long clause is preferably cut before: the intonation of a phrase that ends
/// there still sounds finished.
const PHRASE_STARTS: [&str; 16] = [
    "and", "or", "but", "so", "because", "which", "that", "with", "by", "on", "for", "to", "if",
    "when", "from", "at",
];

/// Peak each chunk is scaled to, as Piper does per utterance (its raw output peaks anywhere
/// from about 0.4 to above 1.0); the margin keeps resampling and mixing from clipping.
const TARGET_PEAK: f32 = 0.9;
/// Gain limit, so a chunk that is nearly silent is not raised to full scale noise.
const MAX_GAIN: f32 = 4.0;

/// How the voice is run; `from_config` takes the speaking rates and pauses from
/// `[speech.tts]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PiperOptions {
    /// ONNX Runtime intra-op threads.
    pub intra_threads: usize,
    /// Let idle intra-op threads spin waiting for work. Off by default: voice activity
    /// detection and the wake word share the cores while a reply is synthesised.
    pub intra_spinning: bool,
    /// Multiplies the voice's own length scale at `Pace::Normal` (larger is slower).
    pub length_scale: f32,
    /// The same at `Pace::Slow`.
    pub slow_length_scale: f32,
    /// Silence between sentences.
    pub sentence_silence_ms: u32,
}

/// Intra-op threads: on a busy 2-core machine one thread gave the earliest first audio
/// and the lowest real-time factor (`benches/tts_piper.rs`), and the device runs voice
/// activity detection beside synthesis.
pub const DEFAULT_INTRA_THREADS: usize = 1;

impl Default for PiperOptions {
    fn default() -> Self {
        PiperOptions::from_config(&TtsConfig::default())
    }
}

impl PiperOptions {
    pub fn from_config(cfg: &TtsConfig) -> PiperOptions {
        PiperOptions {
            intra_threads: DEFAULT_INTRA_THREADS,
            intra_spinning: false,
            length_scale: cfg.length_scale,
            slow_length_scale: cfg.slow_length_scale,
            sentence_silence_ms: cfg.sentence_silence_ms,
        }
    }
}

/// The parts of a Piper `.onnx.json` this voice reads.
#[derive(Debug, Clone, Deserialize)]
struct VoiceFile {
    audio: AudioSection,
    espeak: EspeakSection,
    #[serde(default)]
    inference: InferenceSection,
    phoneme_id_map: HashMap<String, Vec<i64>>,
    #[serde(default)]
    phoneme_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct AudioSection {
    sample_rate: u32,
}

#[derive(Debug, Clone, Deserialize)]
struct EspeakSection {
    voice: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
struct InferenceSection {
    noise_scale: f32,
    length_scale: f32,
    noise_w: f32,
}

impl Default for InferenceSection {
    fn default() -> Self {
        InferenceSection {
            noise_scale: 0.667,
            length_scale: 1.0,
            noise_w: 0.8,
        }
    }
}

/// A Piper voice loaded into ONNX Runtime.
pub struct PiperVoice {
    session: ort::session::Session,
    output_name: String,
    sample_rate: u32,
    espeak_voice: String,
    ids: HashMap<char, Vec<i64>>,
    pad: Vec<i64>,
    bos: Vec<i64>,
    eos: Vec<i64>,
    noise_scale: f32,
    noise_w: f32,
    voice_length_scale: f32,
    options: PiperOptions,
    /// Figures from loading, for benchmarks and `--verbose` output.
    pub load_seconds: f64,
    pub model_bytes: u64,
}

impl std::fmt::Debug for PiperVoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PiperVoice")
            .field("sample_rate", &self.sample_rate)
            .field("espeak_voice", &self.espeak_voice)
            .field("phonemes", &self.ids.len())
            .field("options", &self.options)
            .finish()
    }
}

/// `voice.onnx` → `voice.onnx.json`, Piper's naming.
pub fn config_path(model: &Path) -> PathBuf {
    let mut name = model.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

impl PiperVoice {
    /// Loads `model` (`.onnx`) and its `.onnx.json` next to it, and checks that espeak-ng
    /// has the voice's language.
    pub fn load(
        model: &Path,
        ort_lib: &Path,
        options: PiperOptions,
    ) -> Result<PiperVoice, TtsError> {
        let start = Instant::now();
        let voice_err = |path: &Path, reason: String| TtsError::Voice {
            path: path.to_path_buf(),
            reason,
        };
        let json_path = config_path(model);
        voxorder_runtime::models::verify(&json_path)?;
        let json = std::fs::read_to_string(&json_path)
            .map_err(|e| voice_err(&json_path, e.to_string()))?;
        let file: VoiceFile = serde_json::from_str(&json)
            .map_err(|e| voice_err(&json_path, format!("not a Piper voice config: {e}")))?;
        if let Some(kind) = &file.phoneme_type {
            if kind != "espeak" {
                return Err(voice_err(
                    &json_path,
                    format!("phoneme type {kind:?} is not supported (only espeak)"),
                ));
            }
        }
        if file.audio.sample_rate == 0 {
            return Err(voice_err(&json_path, "sample rate is 0".into()));
        }
        let mut ids = HashMap::new();
        for (key, value) in &file.phoneme_id_map {
            let mut chars = key.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !value.is_empty() => {
                    ids.insert(c, value.clone());
                }
                _ => tracing::debug!(
                    phoneme = key.as_str(),
                    "phoneme map entry skipped: not one character with ids"
                ),
            }
        }
        let special = |c: char| {
            ids.get(&c)
                .cloned()
                .ok_or_else(|| voice_err(&json_path, format!("phoneme_id_map has no {c:?}")))
        };
        let (pad, bos, eos) = (special(PAD)?, special(BOS)?, special(EOS)?);

        let env = super::ort_environment(ort_lib)?;
        voxorder_runtime::models::verify(model)?;
        let invalid = |e: String| voice_err(model, format!("not a loadable ONNX model: {e}"));
        let session = ort::session::Session::builder(&env)
            .map_err(|e| invalid(e.to_string()))?
            .with_intra_threads(options.intra_threads.max(1))
            .map_err(|e| invalid(e.to_string()))?
            .with_intra_op_spinning(options.intra_spinning)
            .map_err(|e| invalid(e.to_string()))?
            // Shapes change with every sentence, so a planned memory pattern would be
            // rebuilt each run.
            .with_memory_pattern(false)
            .map_err(|e| invalid(e.to_string()))?
            // No arena: it kept the largest chunk's working tensors (about 85 MB) for the
            // rest of the process, on top of the recogniser's. Each run's tensors are
            // returned on free instead, as the process's heap maps large buffers on their
            // own (`voxorder_runtime::memory`); without that, this peaked higher.
            .with_execution_providers([ort::ep::CPU::default().with_arena_allocator(false).build()])
            .map_err(|e| invalid(e.to_string()))?
            // From the file, not a copy in memory: loading does not hold the model twice.
            .commit_from_file(model)
            .map_err(|e| invalid(e.to_string()))?;
        let inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        for needed in ["input", "input_lengths", "scales"] {
            if !inputs.contains(&needed) {
                return Err(voice_err(
                    model,
                    format!(
                        "model has no input {needed:?} (inputs: {inputs:?}); not a Piper voice"
                    ),
                ));
            }
        }
        if inputs.contains(&"sid") {
            return Err(voice_err(
                model,
                "multi-speaker voices are not supported".into(),
            ));
        }
        let output_name = session
            .outputs()
            .first()
            .map(|o| o.name().to_owned())
            .ok_or_else(|| voice_err(model, "model has no outputs".into()))?;

        espeak::check_voice(&file.espeak.voice)?;

        let voice = PiperVoice {
            session,
            output_name,
            sample_rate: file.audio.sample_rate,
            espeak_voice: file.espeak.voice,
            ids,
            pad,
            bos,
            eos,
            noise_scale: file.inference.noise_scale,
            noise_w: file.inference.noise_w,
            voice_length_scale: file.inference.length_scale,
            options,
            load_seconds: start.elapsed().as_secs_f64(),
            model_bytes: std::fs::metadata(model).map_or(0, |m| m.len()),
        };
        tracing::info!(
            model = %model.display(),
            load_ms = (voice.load_seconds * 1e3).round(),
            threads = voice.options.intra_threads,
            "piper voice loaded"
        );
        Ok(voice)
    }

    /// Model ids for an IPA string, as Piper builds them: BOS, PAD, then each phoneme
    /// (after NFD) followed by PAD, then EOS. Phonemes the voice does not know are skipped.
    pub fn phoneme_ids(&self, phonemes: &str) -> Vec<i64> {
        let mut out = Vec::with_capacity(phonemes.len() * 2 + 3);
        out.extend_from_slice(&self.bos);
        out.extend_from_slice(&self.pad);
        let mut skipped = 0usize;
        for c in phonemes.nfd() {
            match self.ids.get(&c) {
                Some(ids) => {
                    out.extend_from_slice(ids);
                    out.extend_from_slice(&self.pad);
                }
                None => skipped += 1,
            }
        }
        if skipped > 0 {
            // Counts only: the phonemes would reveal what was said.
            tracing::debug!(
                skipped,
                "phonemes missing from the voice's map were skipped"
            );
        }
        out.extend_from_slice(&self.eos);
        out
    }

    /// The IPA espeak gives for `text` in this voice's language.
    pub fn phonemes(&self, text: &str) -> Result<String, TtsError> {
        espeak::phonemize(text, &self.espeak_voice)
    }

    fn length_scale(&self, pace: Pace) -> f32 {
        let relative = match pace {
            Pace::Normal => self.options.length_scale,
            Pace::Slow => self.options.slow_length_scale,
        };
        self.voice_length_scale * relative
    }

    /// Runs the model on one id sequence; returns the raw samples.
    fn infer(&mut self, ids: Vec<i64>, length_scale: f32) -> Result<Vec<f32>, TtsError> {
        let err = TtsError::Synthesis;
        let n = ids.len() as i64;
        let input = ort::value::Tensor::from_array((vec![1, n], ids)).map_err(err)?;
        let lengths = ort::value::Tensor::from_array((vec![1_i64], vec![n])).map_err(err)?;
        let scales = ort::value::Tensor::from_array((
            vec![3_i64],
            vec![self.noise_scale, length_scale, self.noise_w],
        ))
        .map_err(err)?;
        let outputs = self
            .session
            .run(ort::inputs!["input" => input, "input_lengths" => lengths, "scales" => scales])
            .map_err(err)?;
        let value = outputs
            .get(&self.output_name)
            .ok_or_else(|| TtsError::NoOutput {
                name: self.output_name.clone(),
            })?;
        let (_, samples) = value.try_extract_tensor::<f32>().map_err(err)?;
        Ok(samples.to_vec())
    }
}

/// Scales a chunk so its peak is `TARGET_PEAK` (at most `MAX_GAIN` louder) and replaces
/// non-finite samples, so the output never clips whatever the model produced.
pub(crate) fn normalize_peak(samples: &mut [f32]) {
    for s in samples.iter_mut() {
        if !s.is_finite() {
            *s = 0.0;
        }
    }
    let peak = samples.iter().fold(0.0_f32, |m, s| m.max(s.abs()));
    if peak > 0.0 {
        let gain = (TARGET_PEAK / peak).min(MAX_GAIN);
        for s in samples.iter_mut() {
            *s *= gain;
        }
    }
}

/// A piece of a reply synthesised in one model call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub text: String,
    /// The chunk ends a sentence (a pause follows it), rather than a comma clause.
    pub ends_sentence: bool,
}

/// Splits a reply into chunks: sentences (at `.?!` followed by a space, or a line break);
/// sentences longer than the chunk limit at `,;:` where possible, else before a word that
/// starts a phrase, else at a space, and a word longer than the limit anywhere. The first
/// chunk's limit is smaller so the first audio comes early.
pub fn split_chunks(text: &str) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for sentence in split_sentences(text) {
        let mut pieces = split_long(&sentence, chunks.is_empty());
        let last = pieces.len().saturating_sub(1);
        for (i, piece) in pieces.drain(..).enumerate() {
            chunks.push(Chunk {
                text: piece,
                ends_sentence: i == last,
            });
        }
    }
    chunks
}

/// How long `text` is when spoken, in characters: a digit is read as a word ("7" is
/// "seven"), so it counts as five.
pub fn spoken_len(text: &str) -> usize {
    text.chars()
        .map(|c| if c.is_ascii_digit() { 5 } else { 1 })
        .sum()
}

fn split_sentences(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut sentences = Vec::new();
    let mut current = String::new();
    let mut push = |current: &mut String| {
        let s = current.split_whitespace().collect::<Vec<_>>().join(" ");
        if !s.is_empty() {
            sentences.push(s);
        }
        current.clear();
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' || c == '\r' {
            push(&mut current);
            i += 1;
            continue;
        }
        current.push(c);
        if matches!(c, '.' | '?' | '!') {
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j], '.' | '?' | '!' | '"' | '\'' | ')') {
                current.push(chars[j]);
                j += 1;
            }
            if j == chars.len() || chars[j].is_whitespace() {
                push(&mut current);
            }
            i = j;
            continue;
        }
        i += 1;
    }
    push(&mut current);
    sentences
}

/// Cuts `sentence` into pieces of at most `MAX_CHUNK_CHARS` in spoken length, the first
/// piece of a reply's `opening` sentence at most `FIRST_CHUNK_CHARS`. That piece ends at
/// the sentence's first clause punctuation when it fits ("Thank you, | you're
/// verified."), since a pause is heard there anyway. Other cuts go after the last clause
/// punctuation that leaves the piece at least a third full, else before the last
/// phrase-starting word that leaves it half full, else at the last space that fits: a cut
/// without punctuation changes the intonation, so it is made only to bound the model's
/// input.
fn split_long(sentence: &str, opening: bool) -> Vec<String> {
    let is_clause_end = |w: &str| w.ends_with([',', ';', ':']);
    let words = words_within(sentence, MAX_CHUNK_CHARS);
    let whole = spoken_len(sentence);
    let inner_clause = words.iter().rev().skip(1).any(|w| is_clause_end(w));
    if whole <= MAX_CHUNK_CHARS && !(opening && (whole > FIRST_CHUNK_CHARS || inner_clause)) {
        return vec![sentence.to_owned()];
    }
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < words.len() {
        let first = opening && pieces.is_empty();
        let cap = if first {
            FIRST_CHUNK_CHARS
        } else {
            MAX_CHUNK_CHARS
        };
        // The longest run of words from `start` that fits; `lens[k]` is the spoken
        // length of words[start..start + k + 1] joined.
        let mut end = start + 1;
        let mut lens = vec![spoken_len(&words[start])];
        while end < words.len() {
            let len = lens[lens.len() - 1] + 1 + spoken_len(&words[end]);
            if len > cap {
                break;
            }
            lens.push(len);
            end += 1;
        }
        let fill = |k: usize| lens[k - start - 1];
        let earliest_clause = (start + 1..=end).find(|&k| is_clause_end(&words[k - 1]));
        if let (true, Some(k)) = (first, earliest_clause) {
            end = k;
        } else if end < words.len() {
            let clause_end = (start + 1..=end)
                .rev()
                .find(|&k| fill(k) * 3 >= cap && is_clause_end(&words[k - 1]));
            let phrase_start = || {
                (start + 1..end).rev().find(|&k| {
                    fill(k) * 2 >= cap && PHRASE_STARTS.contains(&words[k].to_lowercase().as_str())
                })
            };
            if let Some(k) = clause_end.or_else(phrase_start) {
                end = k;
            }
        }
        pieces.push(words[start..end].join(" "));
        start = end;
    }
    pieces
}

/// The words of `sentence`, a word longer than `limit` in spoken length cut into parts
/// that fit.
fn words_within(sentence: &str, limit: usize) -> Vec<String> {
    let mut words = Vec::new();
    for word in sentence.split_whitespace() {
        let mut part = String::new();
        for c in word.chars() {
            let extra = if c.is_ascii_digit() { 5 } else { 1 };
            if !part.is_empty() && spoken_len(&part) + extra > limit {
                words.push(std::mem::take(&mut part));
            }
            part.push(c);
        }
        if !part.is_empty() {
            words.push(part);
        }
    }
    words
}

impl Synthesizer for PiperVoice {
    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn synthesize(
        &mut self,
        text: &str,
        pace: Pace,
        sink: &mut dyn FnMut(&[f32]) -> bool,
    ) -> Result<SynthesisStats, TtsError> {
        let length_scale = self.length_scale(pace);
        let silence =
            (self.sample_rate as u64 * self.options.sentence_silence_ms as u64 / 1000) as usize;
        let sample_rate = self.sample_rate;
        super::synthesize_chunks(
            text,
            sample_rate,
            silence,
            &mut |chunk| {
                let phonemes = self.phonemes(chunk)?;
                let ids = self.phoneme_ids(&phonemes);
                // BOS, PAD and EOS only: nothing espeak could voice.
                if ids.len() <= self.bos.len() + self.pad.len() + self.eos.len() {
                    return Ok(Vec::new());
                }
                let mut audio = self.infer(ids, length_scale)?;
                normalize_peak(&mut audio);
                Ok(audio)
            },
            sink,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_at_final_punctuation_only() {
        let s = split_sentences("It costs $12.50 today. Really?! Yes.\nNext line");
        assert_eq!(
            s,
            vec!["It costs $12.50 today.", "Really?!", "Yes.", "Next line"]
        );
    }

    #[test]
    fn a_long_first_sentence_is_cut_at_commas() {
        let text = "Your order one two three, placed on March third, is on its way, \
                    and it should arrive on Thursday afternoon. Thanks.";
        let chunks = split_chunks(text);
        assert!(chunks.len() >= 3, "{chunks:?}");
        assert!(
            spoken_len(&chunks[0].text) <= FIRST_CHUNK_CHARS,
            "{chunks:?}"
        );
        assert!(chunks[0].text.ends_with(','), "{chunks:?}");
        assert!(!chunks[0].ends_sentence);
        let rejoined: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            rejoined.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        let ends: Vec<bool> = chunks.iter().map(|c| c.ends_sentence).collect();
        assert_eq!(ends.iter().filter(|e| **e).count(), 2, "{chunks:?}");
    }

    #[test]
    fn text_without_punctuation_or_spaces_is_still_bounded() {
        let words = "word ".repeat(2000);
        let chunks = split_chunks(&words);
        assert!(chunks.len() > 10);
        assert!(chunks
            .iter()
            .all(|c| spoken_len(&c.text) <= MAX_CHUNK_CHARS));
        let blob = "a".repeat(1000);
        let chunks = split_chunks(&blob);
        assert!(chunks
            .iter()
            .all(|c| spoken_len(&c.text) <= MAX_CHUNK_CHARS));
        assert_eq!(chunks.iter().map(|c| c.text.len()).sum::<usize>(), 1000);
        let digits = "7".repeat(100);
        let chunks = split_chunks(&digits);
        assert!(chunks
            .iter()
            .all(|c| spoken_len(&c.text) <= MAX_CHUNK_CHARS));
        assert_eq!(chunks.iter().map(|c| c.text.len()).sum::<usize>(), 100);
    }

    #[test]
    fn a_clause_without_commas_is_cut_before_a_phrase() {
        let text = "Your order was shipped on Monday morning from our warehouse in Denver \
                    and should arrive at your door by Thursday afternoon.";
        let chunks = split_chunks(text);
        assert!(chunks.len() >= 2, "{chunks:?}");
        assert!(chunks
            .iter()
            .all(|c| spoken_len(&c.text) <= MAX_CHUNK_CHARS));
        assert!(
            spoken_len(&chunks[0].text) <= FIRST_CHUNK_CHARS,
            "{chunks:?}"
        );
        let next = chunks[1].text.split_whitespace().next().unwrap_or_default();
        assert!(PHRASE_STARTS.contains(&next), "{chunks:?}");
        let rejoined: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            rejoined.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }

    #[test]
    fn a_reply_opens_with_its_first_clause_and_later_sentences_stay_whole() {
        let chunks =
            split_chunks("Thank you, you're verified. Your order, placed today, ships soon.");
        let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Thank you,",
                "you're verified.",
                "Your order, placed today, ships soon."
            ]
        );
        assert_eq!(
            chunks.iter().map(|c| c.ends_sentence).collect::<Vec<_>>(),
            vec![false, true, true]
        );
        let short: Vec<String> = split_chunks("Sure. What's your order number?")
            .into_iter()
            .map(|c| c.text)
            .collect();
        assert_eq!(short, vec!["Sure.", "What's your order number?"]);
    }

    #[test]
    fn digits_count_as_the_words_they_are_read_as() {
        assert_eq!(spoken_len("order 12"), 16);
        let numbers = "1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0";
        let chunks = split_chunks(numbers);
        assert!(chunks.len() >= 2, "{chunks:?}");
        assert!(chunks
            .iter()
            .all(|c| spoken_len(&c.text) <= MAX_CHUNK_CHARS));
    }

    #[test]
    fn empty_text_has_no_chunks() {
        assert!(split_chunks("").is_empty());
        assert!(split_chunks(" \n\t ").is_empty());
    }

    #[test]
    fn peaks_are_normalised_and_nan_removed() {
        let mut loud = vec![0.1, -2.0, 1.5, f32::NAN, f32::INFINITY];
        normalize_peak(&mut loud);
        assert!(loud.iter().all(|x| x.is_finite()), "{loud:?}");
        assert!((loud[1] + TARGET_PEAK).abs() < 1e-6, "{loud:?}");
        assert!((loud[2] - 1.5 * TARGET_PEAK / 2.0).abs() < 1e-6, "{loud:?}");
        let mut quiet = vec![0.1, -0.45];
        normalize_peak(&mut quiet);
        assert!((quiet[1] + TARGET_PEAK).abs() < 1e-6, "{quiet:?}");
        let mut faint = vec![0.01, -0.02];
        normalize_peak(&mut faint);
        assert!(
            (faint[1] + 0.02 * MAX_GAIN).abs() < 1e-6,
            "gain is capped: {faint:?}"
        );
        let mut silent = vec![0.0; 4];
        normalize_peak(&mut silent);
        assert_eq!(silent, vec![0.0; 4]);
    }
}

/// Tests against the real voice in `models/piper/` (fetched by the setup step).
#[cfg(test)]
mod voice_tests {
    use std::sync::{Mutex, MutexGuard, OnceLock};

    use super::*;
    use crate::tts::CachedSynthesizer;

    fn models() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models")
    }

    fn model_path() -> PathBuf {
        models().join(TtsConfig::default().voice)
    }

    fn ort_lib() -> PathBuf {
        voxorder_runtime::paths::ort_lib(&models())
    }

    /// One voice for every test: loading takes seconds.
    fn voice() -> MutexGuard<'static, PiperVoice> {
        static VOICE: OnceLock<Mutex<PiperVoice>> = OnceLock::new();
        VOICE
            .get_or_init(|| {
                let voice = PiperVoice::load(&model_path(), &ort_lib(), PiperOptions::default())
                    .expect("the Piper voice loads (run tools/fetch_models.py first)");
                Mutex::new(voice)
            })
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn collect(s: &mut dyn Synthesizer, text: &str, pace: Pace) -> (Vec<Vec<f32>>, SynthesisStats) {
        let mut chunks = Vec::new();
        let stats = s
            .synthesize(text, pace, &mut |c| {
                chunks.push(c.to_vec());
                true
            })
            .expect("synthesize");
        (chunks, stats)
    }

    fn rms(s: &[f32]) -> f32 {
        (s.iter().map(|x| x * x).sum::<f32>() / s.len().max(1) as f32).sqrt()
    }

    #[test]
    fn ids_start_with_bos_end_with_eos_and_interleave_pad() {
        let v = voice();
        let phonemes = v.phonemes("Hello world.").expect("phonemes");
        let ids = v.phoneme_ids(&phonemes);
        assert_eq!(ids[0], 1, "bos");
        assert_eq!(*ids.last().expect("ids"), 2, "eos");
        let body = &ids[1..ids.len() - 1];
        assert!(body.len() >= 10);
        for (i, id) in body.iter().enumerate() {
            if i % 2 == 0 {
                assert_eq!(*id, 0, "pad at {i} in {ids:?}");
            } else {
                assert_ne!(*id, 0, "phoneme at {i} in {ids:?}");
            }
        }
        // "." is the last phoneme before the final pad and eos.
        assert_eq!(ids[ids.len() - 3], 10);
        // A symbol the voice does not know is skipped, not sent as an id.
        let with_unknown = v.phoneme_ids("a\u{2603}b");
        assert_eq!(with_unknown, vec![1, 0, 14, 0, 15, 0, 2]);
    }

    #[test]
    fn a_short_sentence_is_plausible_speech() {
        let mut v = voice();
        let rate = v.sample_rate();
        assert_eq!(rate, 22_050);
        let (chunks, stats) = collect(&mut *v, "Your order has shipped.", Pace::Normal);
        let audio = chunks.concat();
        let seconds = audio.len() as f64 / rate as f64;
        assert!((0.5..4.0).contains(&seconds), "{seconds} s");
        assert!((stats.audio_seconds - seconds).abs() < 1e-6);
        assert!(rms(&audio) > 0.05, "rms {}", rms(&audio));
        let peak = audio.iter().fold(0.0_f32, |m, s| m.max(s.abs()));
        assert!(peak <= TARGET_PEAK + 1e-6, "peak {peak}");
        // Speech, not a clipped square wave: few samples near the peak.
        let near_peak = audio.iter().filter(|s| s.abs() >= 0.8 * peak).count();
        assert!(
            near_peak < audio.len() / 100,
            "{near_peak} samples near the peak"
        );
        assert!(!stats.cached);
        assert!(
            stats.first_audio_seconds > 0.0 && stats.first_audio_seconds <= stats.synth_seconds
        );
    }

    #[test]
    fn three_sentences_arrive_as_chunks_in_order() {
        let mut v = voice();
        let sentences = [
            "Hello.",
            "Your order is on its way.",
            "Is there anything else?",
        ];
        let (chunks, stats) = collect(&mut *v, &sentences.join(" "), Pace::Normal);
        assert_eq!(chunks.len(), 3);
        assert_eq!(stats.sentences, 3);
        // Each chunk is that sentence alone (plus the pause): lengths match one by one.
        let silence = 22_050 * 200 / 1000;
        for (i, sentence) in sentences.iter().enumerate() {
            let (alone, _) = collect(&mut *v, sentence, Pace::Normal);
            let alone = alone.concat().len();
            let pause = if i < 2 { silence } else { 0 };
            let got = chunks[i].len();
            // Noise makes durations vary a little between runs.
            let diff = (got as f64 - (alone + pause) as f64).abs() / alone as f64;
            assert!(diff < 0.25, "chunk {i}: {got} vs {alone} + {pause}");
            assert!(chunks[i][got - pause..].iter().all(|s| *s == 0.0));
        }
    }

    #[test]
    fn a_sink_returning_false_stops_early() {
        let mut v = voice();
        let text = "One sentence here. Another sentence there. A third one. And a fourth.";
        let mut calls = 0;
        let stats = v
            .synthesize(text, Pace::Normal, &mut |_| {
                calls += 1;
                false
            })
            .expect("synthesize");
        assert_eq!(calls, 1);
        assert_eq!(stats.sentences, 1);
    }

    #[test]
    fn slow_pace_is_longer() {
        let mut v = voice();
        // Durations are sampled (noise_w), so several runs of a longer sentence are summed.
        let text = "Please say your order number slowly, one digit at a time.";
        let mut total = |pace| -> usize {
            (0..3)
                .map(|_| collect(&mut *v, text, pace).0.concat().len())
                .sum()
        };
        let normal = total(Pace::Normal);
        let slow = total(Pace::Slow);
        eprintln!("slow/normal = {:.3}", slow as f64 / normal as f64);
        assert!(
            slow as f64 > normal as f64 * 1.1,
            "slow {slow} normal {normal}"
        );
    }

    #[test]
    fn empty_and_odd_text_is_handled() {
        let mut v = voice();
        let (chunks, stats) = collect(&mut *v, "  \n\t ", Pace::Normal);
        assert!(chunks.is_empty());
        assert_eq!(stats.audio_seconds, 0.0);
        collect(&mut *v, "\u{1F600}\u{1F44D} \u{0}\u{7}\u{1b}", Pace::Normal);
        let (chunks, _) = collect(&mut *v, "Thanks \u{1F600}!", Pace::Normal);
        assert!(!chunks.is_empty());
    }

    #[test]
    fn very_long_text_goes_sentence_by_sentence() {
        let mut v = voice();
        let sentence = "This is sentence number one of a very long reply. ";
        let text = sentence.repeat(10_000 / sentence.len() + 1);
        assert!(text.len() >= 10_000);
        // Stop after a few chunks: the point is that it streams, not that it takes minutes.
        let mut calls = 0;
        let stats = v
            .synthesize(&text, Pace::Normal, &mut |c| {
                assert!(!c.is_empty());
                calls += 1;
                calls < 3
            })
            .expect("synthesize");
        assert_eq!(calls, 3);
        assert_eq!(stats.sentences, 3);
    }

    #[test]
    fn a_cache_hit_returns_the_same_samples() {
        let v =
            PiperVoice::load(&model_path(), &ort_lib(), PiperOptions::default()).expect("voice");
        let mut cached = CachedSynthesizer::new(v, 8 << 20);
        let (first, stats) = collect(&mut cached, "Sorry, I didn't catch that.", Pace::Normal);
        assert!(!stats.cached);
        let (second, stats) = collect(&mut cached, "Sorry, I didn't catch that.", Pace::Normal);
        assert!(stats.cached);
        assert_eq!(first, second);
    }

    #[test]
    fn a_missing_voice_names_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nobody.onnx");
        let err = PiperVoice::load(&missing, &ort_lib(), PiperOptions::default())
            .expect_err("missing voice");
        match &err {
            TtsError::Voice { path, .. } => assert_eq!(path, &config_path(&missing)),
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("nobody.onnx"));
        // The config alone is not enough either.
        std::fs::copy(config_path(&model_path()), config_path(&missing)).expect("copy json");
        let err = PiperVoice::load(&missing, &ort_lib(), PiperOptions::default())
            .expect_err("missing onnx");
        assert!(
            matches!(&err, TtsError::Voice { path, .. } if path == &missing),
            "{err}"
        );
    }

    #[test]
    fn a_truncated_model_is_a_typed_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cut = dir.path().join("cut.onnx");
        let bytes = std::fs::read(model_path()).expect("model");
        std::fs::write(&cut, &bytes[..bytes.len() / 3]).expect("write");
        std::fs::copy(config_path(&model_path()), config_path(&cut)).expect("copy json");
        let err = PiperVoice::load(&cut, &ort_lib(), PiperOptions::default())
            .expect_err("truncated model");
        assert!(
            matches!(&err, TtsError::Voice { path, .. } if path == &cut),
            "{err}"
        );
        // Garbage config.
        std::fs::write(config_path(&cut), "{not json").expect("write");
        let err = PiperVoice::load(&cut, &ort_lib(), PiperOptions::default())
            .expect_err("garbage config");
        assert!(matches!(&err, TtsError::Voice { path, .. } if path == &config_path(&cut)));
    }

    #[test]
    fn the_configured_synthesizer_loads() {
        let cfg = voxorder_config::SpeechConfig::default();
        let s = crate::tts::synthesizer_from_config(&cfg, &models(), &ort_lib()).expect("load");
        assert_eq!(s.sample_rate(), 22_050);
    }
}
