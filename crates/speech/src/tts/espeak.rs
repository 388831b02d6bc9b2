//! Text to IPA phonemes through libespeak-ng, the way Piper voices were trained: clause by
//! clause, with the clause punctuation put back after the phonemes.
//!
//! libespeak-ng keeps global state and is not thread-safe, so every call goes through one
//! process-wide lock, and the library is initialised once per process.

// FFI: libespeak-ng has no safe Rust binding that builds offline, so this file declares the
// three C functions it needs. The unsafe blocks are the calls themselves.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::TtsError;

/// `espeak_AUDIO_OUTPUT::AUDIO_OUTPUT_SYNCHRONOUS` in speak_lib.h.
const AUDIO_OUTPUT_SYNCHRONOUS: c_int = 2;
/// Keep the process alive when the data cannot be read (the default is `exit(1)`).
const ESPEAK_INITIALIZE_DONT_EXIT: c_int = 0x8000;
const ESPEAK_CHARS_UTF8: c_int = 1;
/// `phonememode` bit 1: IPA symbols as UTF-8 rather than espeak's ASCII names.
const ESPEAK_PHONEMES_IPA: c_int = 0x02;
const EE_OK: c_int = 0;

#[link(name = "espeak-ng")]
extern "C" {
    fn espeak_Initialize(
        output: c_int,
        buflength: c_int,
        path: *const c_char,
        options: c_int,
    ) -> c_int;
    fn espeak_SetVoiceByName(name: *const c_char) -> c_int;
    fn espeak_TextToPhonemes(
        textptr: *mut *const c_void,
        textmode: c_int,
        phonememode: c_int,
    ) -> *const c_char;
}

/// Punctuation that ends a clause; Piper keeps it in the phoneme string.
const CLAUSE_PUNCTUATION: [char; 6] = ['.', ',', '?', '!', ':', ';'];

/// Why phonemes could not be had. Caller: the voice cannot speak; most causes are an
/// incomplete espeak-ng install, which the message names.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum PhonemesError {
    #[error(
        "espeak-ng data not found (install espeak-ng-data or set ESPEAK_DATA_PATH); tried {}",
        tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NoData { tried: Vec<PathBuf> },
    #[error("espeak-ng data path {path} contains NUL")]
    DataPathNul { path: PathBuf },
    #[error("espeak-ng failed to initialise from {dir} (status {status})")]
    Initialise { dir: PathBuf, status: i32 },
    /// A thread panicked while it held the library.
    #[error("espeak-ng lock poisoned")]
    Poisoned,
    #[error("voice name {voice:?} contains NUL")]
    VoiceNameNul { voice: String },
    #[error("espeak-ng has no voice {voice:?} (status {status})")]
    NoVoice { voice: String, status: i32 },
    #[error("text contains NUL")]
    TextNul,
}

/// The library's state behind the process-wide lock.
struct Engine {
    /// `Err` keeps the reason initialisation failed so later calls report it too.
    init: Result<PathBuf, PhonemesError>,
    voice: Option<String>,
}

static ENGINE: Mutex<Option<Engine>> = Mutex::new(None);

/// Where espeak-ng's data lives: `ESPEAK_DATA_PATH` (as espeak itself reads it, with or
/// without the `espeak-ng-data` component), then the distribution's install locations.
/// Checked here because libespeak-ng 1.51 crashes, rather than failing, on a directory
/// without its files.
pub fn data_dir() -> Result<PathBuf, PhonemesError> {
    let mut candidates = Vec::new();
    if let Some(env) = std::env::var_os("ESPEAK_DATA_PATH") {
        let env = PathBuf::from(env);
        candidates.push(env.join("espeak-ng-data"));
        candidates.push(env);
    }
    let arch = std::env::consts::ARCH;
    candidates.push(PathBuf::from(format!(
        "/usr/lib/{arch}-linux-gnu/espeak-ng-data"
    )));
    candidates.push(PathBuf::from("/usr/lib/espeak-ng-data"));
    candidates.push(PathBuf::from("/usr/share/espeak-ng-data"));
    candidates.push(PathBuf::from("/usr/local/share/espeak-ng-data"));
    first_data_dir(&candidates)
}

fn first_data_dir(candidates: &[PathBuf]) -> Result<PathBuf, PhonemesError> {
    candidates
        .iter()
        .find(|dir| has_data(dir))
        .cloned()
        .ok_or_else(|| PhonemesError::NoData {
            tried: candidates.to_vec(),
        })
}

fn has_data(dir: &Path) -> bool {
    ["phontab", "phonindex", "phondata", "intonations"]
        .iter()
        .all(|f| dir.join(f).is_file())
}

fn lock_engine() -> Result<std::sync::MutexGuard<'static, Option<Engine>>, TtsError> {
    ENGINE
        .lock()
        .map_err(|_| TtsError::Phonemes(PhonemesError::Poisoned))
}

/// Initialises the library (once per process) and selects `voice`.
fn ready<'a>(slot: &'a mut Option<Engine>, voice: &str) -> Result<&'a mut Engine, TtsError> {
    let engine = slot.get_or_insert_with(|| Engine {
        init: initialise(),
        voice: None,
    });
    if let Err(reason) = &engine.init {
        return Err(TtsError::Phonemes(reason.clone()));
    }
    if engine.voice.as_deref() != Some(voice) {
        // A failed switch may leave espeak between voices; force a retry next time.
        engine.voice = None;
        let name = CString::new(voice).map_err(|_| PhonemesError::VoiceNameNul {
            voice: voice.to_owned(),
        })?;
        // SAFETY: the library is initialised (checked above), `name` is a valid
        // NUL-terminated string that outlives the call, and the engine lock is held.
        let status = unsafe { espeak_SetVoiceByName(name.as_ptr()) };
        if status != EE_OK {
            return Err(TtsError::Phonemes(PhonemesError::NoVoice {
                voice: voice.to_owned(),
                status,
            }));
        }
        engine.voice = Some(voice.to_owned());
    }
    Ok(engine)
}

fn initialise() -> Result<PathBuf, PhonemesError> {
    let dir = data_dir()?;
    let path = CString::new(dir.as_os_str().as_encoded_bytes())
        .map_err(|_| PhonemesError::DataPathNul { path: dir.clone() })?;
    // SAFETY: called once per process (the caller holds the engine lock and stores the
    // result); `path` is a valid NUL-terminated string that outlives the call.
    let rate = unsafe {
        espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS,
            0,
            path.as_ptr(),
            ESPEAK_INITIALIZE_DONT_EXIT,
        )
    };
    if rate <= 0 {
        return Err(PhonemesError::Initialise { dir, status: rate });
    }
    tracing::debug!(data = %dir.display(), "espeak-ng initialised");
    Ok(dir)
}

/// Checks that espeak-ng can be initialised and has `voice`, so a missing install is
/// reported when a voice loads rather than at the first reply.
pub fn check_voice(voice: &str) -> Result<(), TtsError> {
    let mut slot = lock_engine()?;
    ready(&mut slot, voice).map(|_| ())
}

/// IPA phonemes for `text` in espeak voice `voice`, as Piper builds them: each clause's
/// phonemes followed by its punctuation, with a space after `,` `:` `;` (sentence-final
/// punctuation ends the string or is followed by the next sentence after a space).
/// Characters espeak cannot voice are dropped by espeak; control characters are removed
/// first. Returns an empty string when nothing is pronounceable.
pub fn phonemize(text: &str, voice: &str) -> Result<String, TtsError> {
    let clauses = split_clauses(text);
    if clauses.is_empty() {
        return Ok(String::new());
    }
    let mut slot = lock_engine()?;
    ready(&mut slot, voice)?;
    let mut out = String::new();
    for clause in &clauses {
        let phonemes = strip_language_flags(&clause_phonemes(&clause.text)?);
        let phonemes = phonemes.trim();
        if phonemes.is_empty() && clause.terminator.is_empty() {
            continue;
        }
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        out.push_str(phonemes);
        out.push_str(&clause.terminator);
        if matches!(clause.terminator.chars().last(), Some(',' | ':' | ';')) {
            out.push(' ');
        }
    }
    Ok(out.trim_end().to_owned())
}

/// One clause: its words and the punctuation that ended it (empty at the end of text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    pub text: String,
    pub terminator: String,
}

/// Splits at clause punctuation followed by whitespace or the end of text, so "12.50" and
/// "e.g" stay whole (espeak reads those itself). Control characters become spaces.
pub(crate) fn split_clauses(text: &str) -> Vec<Clause> {
    let cleaned: Vec<char> = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut clauses = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    while i < cleaned.len() {
        let c = cleaned[i];
        if CLAUSE_PUNCTUATION.contains(&c) {
            let mut j = i;
            while j < cleaned.len() && CLAUSE_PUNCTUATION.contains(&cleaned[j]) {
                j += 1;
            }
            if j == cleaned.len() || cleaned[j].is_whitespace() {
                let run: String = cleaned[i..j].iter().collect();
                clauses.push(Clause {
                    text: std::mem::take(&mut current).trim().to_owned(),
                    terminator: clause_terminator(&run),
                });
                i = j;
                continue;
            }
        }
        current.push(c);
        i += 1;
    }
    let rest = current.trim();
    if !rest.is_empty() {
        clauses.push(Clause {
            text: rest.to_owned(),
            terminator: String::new(),
        });
    }
    // A clause of bare punctuation ("..." alone) has nothing to say.
    clauses.retain(|c| !c.text.is_empty());
    clauses
}

/// One symbol for a run like "?!" or "...": the strongest, as Piper's clause types give.
fn clause_terminator(run: &str) -> String {
    for strongest in ['?', '!', '.', ';', ':', ','] {
        if run.contains(strongest) {
            return strongest.to_string();
        }
    }
    String::new()
}

/// espeak marks words it reads in another language as "(fr)…(en)"; Piper drops the marks.
fn strip_language_flags(phonemes: &str) -> String {
    let mut out = String::with_capacity(phonemes.len());
    let mut depth = 0usize;
    for c in phonemes.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Phonemes of one clause (no clause punctuation inside). espeak may still stop early
/// (abbreviations such as "Dr."), so it is called until it has consumed the text.
/// The caller holds the engine lock with the library initialised.
fn clause_phonemes(clause: &str) -> Result<String, TtsError> {
    let text = CString::new(clause).map_err(|_| PhonemesError::TextNul)?;
    let mut pointer: *const c_void = text.as_ptr().cast();
    let mut pieces: Vec<String> = Vec::new();
    // Each call consumes at least one character; the bound only guards against a library
    // that stops advancing.
    for _ in 0..=clause.len() {
        if pointer.is_null() {
            break;
        }
        // SAFETY: the engine lock is held and the library initialised; `pointer` points
        // into `text` (a NUL-terminated buffer alive for the whole loop) or was advanced
        // by espeak within it; espeak sets it to NULL at the end, checked above.
        let result =
            unsafe { espeak_TextToPhonemes(&mut pointer, ESPEAK_CHARS_UTF8, ESPEAK_PHONEMES_IPA) };
        if result.is_null() {
            break;
        }
        // SAFETY: espeak returns a NUL-terminated string in its own static buffer, valid
        // until the next call; it is copied out before then.
        let piece = unsafe { CStr::from_ptr(result) }.to_string_lossy();
        let piece = piece.trim();
        if !piece.is_empty() {
            pieces.push(piece.to_owned());
        }
    }
    Ok(pieces.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_world_gives_ipa_with_the_punctuation_back() {
        let ipa = phonemize("Hello world.", "en-us").expect("phonemize");
        assert!(ipa.contains('ˈ'), "stress mark in {ipa:?}");
        assert!(ipa.contains("həl"), "hello in {ipa:?}");
        assert!(ipa.contains("wˈɜːld"), "world in {ipa:?}");
        assert!(ipa.ends_with('.'), "terminator kept in {ipa:?}");
        assert!(!ipa.chars().any(|c| c.is_ascii_uppercase()), "{ipa:?}");
    }

    #[test]
    fn every_clause_is_read_and_keeps_its_punctuation() {
        let ipa =
            phonemize("Hello world. How are you, today? Fine; thanks", "en-us").expect("phonemize");
        assert!(ipa.contains("wˈɜːld. "), "{ipa:?}");
        assert!(ipa.contains("hˈaʊ"), "the H of 'how' is not lost: {ipa:?}");
        assert!(ipa.contains("juː, "), "{ipa:?}");
        assert!(ipa.contains("tədˈeɪ? "), "{ipa:?}");
        assert!(ipa.contains("fˈaɪn; "), "{ipa:?}");
        assert!(ipa.ends_with("θˈæŋks"), "{ipa:?}");
    }

    #[test]
    fn decimals_are_not_clause_ends() {
        let clauses = split_clauses("It costs 12.50 dollars. Done?! Yes...");
        let texts: Vec<(&str, &str)> = clauses
            .iter()
            .map(|c| (c.text.as_str(), c.terminator.as_str()))
            .collect();
        assert_eq!(
            texts,
            vec![("It costs 12.50 dollars", "."), ("Done", "?"), ("Yes", ".")]
        );
    }

    #[test]
    fn empty_emoji_and_control_characters_do_not_fail() {
        assert_eq!(phonemize("", "en-us").expect("empty"), "");
        assert_eq!(phonemize("  ... ", "en-us").expect("punctuation"), "");
        phonemize("ok \u{1F600}\u{0} \u{7}\u{1b}[31m red", "en-us").expect("odd characters");
        phonemize("\u{FFFF}\u{10FFFF}\u{202E}abc", "en-us").expect("odd code points");
    }

    #[test]
    fn unknown_voice_is_a_typed_error() {
        let err = phonemize("Hello.", "no-such-voice-xx").expect_err("unknown voice");
        assert!(matches!(err, TtsError::Phonemes(_)), "{err}");
        // The engine still works afterwards with a real voice.
        assert!(!phonemize("Hello.", "en-us").expect("en-us").is_empty());
    }

    #[test]
    fn a_directory_without_espeak_data_is_refused_with_the_places_tried() {
        let empty = tempfile::tempdir().expect("tempdir");
        let err = first_data_dir(&[empty.path().to_path_buf()]).expect_err("no data");
        let message = err.to_string();
        assert!(message.contains("espeak-ng data not found"), "{message}");
        assert!(
            message.contains(&empty.path().display().to_string()),
            "{message}"
        );
        let found = data_dir().expect("espeak-ng-data is installed here");
        assert!(found.join("phontab").is_file());
    }

    #[test]
    fn language_flags_are_removed() {
        assert_eq!(strip_language_flags("(fr)ʃɑ̃(en) wˈɜːld"), "ʃɑ̃ wˈɜːld");
    }
}
