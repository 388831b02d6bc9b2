//! Tests against the real model: conversion, loading, transcription of espeak-ng clips,
//! and bad model files. The clips in `tests/data/asr/` (22050 Hz) were made with
//! espeak-ng 1.51: `order.wav` with `-v en-us` ("where is my order one two three four";
//! the default voice's "my order" comes out as "more than"), `digits.wav` ("one two three
//! four five") and `yes.wav` ("yes") with the default voice. They need the fetched CTranslate2 files (`bash scripts/setup.sh`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use super::convert::{convert_ct2_to_ggml, ensure_whisper_model, validate_ggml, ConvertError};

use super::*;
use voxorder_config::{AsrConfig, SpeechConfig};

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

fn ct2_dir() -> PathBuf {
    models_dir().join("whisper/ct2-tiny.en")
}

/// Converted once per test run, into a fixed place so runs do not pile up copies.
fn converted() -> &'static (PathBuf, ConvertStats) {
    static MODEL: OnceLock<(PathBuf, ConvertStats)> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = std::env::temp_dir().join("voxorder-asr-tests");
        let out = dir.join("ggml-tiny.en.bin");
        let mut calls = 0;
        let stats = convert_ct2_to_ggml(&ct2_dir(), &out, &mut |done, total| {
            calls += 1;
            assert!(done <= total);
        })
        .expect("conversion (are the models fetched? bash scripts/setup.sh)");
        assert!(calls > 100, "progress reported {calls} times");
        (out, stats)
    })
}

fn recognizer() -> MutexGuard<'static, WhisperRecognizer> {
    static REC: OnceLock<Mutex<WhisperRecognizer>> = OnceLock::new();
    REC.get_or_init(|| {
        let (path, _) = converted();
        Mutex::new(WhisperRecognizer::new(path, &AsrConfig::default()).expect("load"))
    })
    .lock()
    .unwrap_or_else(|p| p.into_inner())
}

fn load_clip(name: &str) -> Vec<f32> {
    load_wav(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/asr")
            .join(name),
    )
}

/// Reads a 16-bit mono WAV and brings it to 16 kHz. Test-only resampling: a Hann-windowed
/// sinc evaluated at each output instant, cut off below the lower Nyquist frequency.
fn load_wav(path: &Path) -> Vec<f32> {
    let mut reader = hound::WavReader::open(path).expect("clip");
    let rate = f64::from(reader.spec().sample_rate);
    let x: Vec<f64> = reader
        .samples::<i16>()
        .map(|s| f64::from(s.expect("sample")) / 32768.0)
        .collect();
    let ratio = 16_000.0 / rate;
    let cutoff = 0.45 * ratio.min(1.0) * 2.0; // in cycles per input sample × 2
    const HALF: i64 = 24;
    let n_out = (x.len() as f64 * ratio) as usize;
    (0..n_out)
        .map(|j| {
            let t = j as f64 / ratio;
            let centre = t.floor() as i64;
            let mut acc = 0.0;
            for k in (centre - HALF + 1)..=(centre + HALF) {
                let Some(&v) = usize::try_from(k).ok().and_then(|k| x.get(k)) else {
                    continue;
                };
                let d = t - k as f64;
                let arg = std::f64::consts::PI * cutoff * d;
                let sinc = if arg.abs() < 1e-9 {
                    1.0
                } else {
                    arg.sin() / arg
                };
                let w = 0.5 + 0.5 * (std::f64::consts::PI * d / HALF as f64).cos();
                acc += v * cutoff * sinc * w;
            }
            acc as f32
        })
        .collect()
}

fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

#[test]
fn converted_model_is_well_formed_and_reproducible() {
    let (path, stats) = converted();
    let summary = validate_ggml(path).expect("valid");
    assert_eq!(summary.tensors, stats.tensors);
    assert_eq!(summary.hparams, stats.hparams);
    assert_eq!(summary.n_tokens, 50_256);
    assert_eq!(
        (
            stats.hparams.n_vocab,
            stats.hparams.n_audio_layer,
            stats.hparams.n_audio_head
        ),
        (51_864, 4, 6)
    );
    // Four encoder blocks of 15 tensors, four decoder blocks of 24, and 12 others.
    assert_eq!(stats.tensors, 4 * 15 + 4 * 24 + 11);
    let again = std::env::temp_dir().join(format!("voxorder-asr-again-{}.bin", std::process::id()));
    let second = convert_ct2_to_ggml(&ct2_dir(), &again, &mut |_, _| {}).expect("convert");
    let _ = std::fs::remove_file(&again);
    assert_eq!(
        second.sha256, stats.sha256,
        "conversion is not deterministic"
    );
    eprintln!(
        "converted ggml sha256 {} ({} bytes, {:.2} s)",
        stats.sha256, stats.bytes, stats.seconds
    );
}

#[test]
fn transcribes_a_sentence() {
    let audio = load_clip("order.wav");
    let t = recognizer()
        .transcribe(&audio, &Expect::Anything)
        .expect("transcribe");
    let words = squash(&t.text);
    assert!(words.contains("whereismyorder"), "{:?}", t.text);
    assert!(t.no_speech_prob < 0.5, "{t:?}");
    assert!(t.avg_logprob < 0.0 && t.avg_logprob > -2.0, "{t:?}");
    assert!(
        (t.audio_seconds - audio.len() as f64 / 16_000.0).abs() < 1e-9,
        "{t:?}"
    );
}

#[test]
fn transcribes_digits_as_digits() {
    let audio = load_clip("digits.wav");
    let t = recognizer()
        .transcribe(&audio, &Expect::Digits { min: 3, max: 8 })
        .expect("transcribe");
    assert_eq!(squash(&t.text), "12345", "{:?}", t.text);
}

#[test]
fn hears_a_short_yes() {
    let audio = load_clip("yes.wav");
    assert!(
        audio.len() < 16_000,
        "the clip must be under a second to test padding"
    );
    let t = recognizer()
        .transcribe(&audio, &Expect::YesNo)
        .expect("transcribe");
    assert_eq!(squash(&t.text), "yes", "{t:?}");
}

/// With the closed set of short answers loaded, "yes" is heard as "yes" and a sentence
/// is decoded freely, under `expect`. The recogniser is shared by the tests: the set is
/// cleared again before anything is asserted.
fn short_answer_and_sentence_under(expect: Expect) {
    let answers: Vec<String> = ["yes", "no", "operator", "repeat that"]
        .map(String::from)
        .to_vec();
    let mut asr = recognizer();
    asr.set_short_answers(&answers);
    let yes = asr.transcribe(&load_clip("yes.wav"), &expect);
    let sentence = asr.transcribe(&load_clip("order.wav"), &expect);
    asr.set_short_answers(&[]);
    let yes = yes.expect("transcribe");
    assert_eq!(squash(&yes.text), "yes", "{yes:?}");
    let sentence = sentence.expect("transcribe");
    assert!(
        squash(&sentence.text).len() > "repeat that".len(),
        "{sentence:?}"
    );
}

/// A sentence at a yes/no turn is longer than any closed-set answer: decoded freely.
#[test]
fn a_short_answer_comes_from_the_closed_set_and_a_sentence_does_not() {
    short_answer_and_sentence_under(Expect::YesNo);
}

/// With nothing expected, a short answer still comes out as a word: the closed set is
/// asked only when free decoding heard a lone letter, and a sentence stays as heard.
#[test]
fn a_short_answer_with_nothing_expected_is_a_word() {
    short_answer_and_sentence_under(Expect::Anything);
}

/// A catalogue far longer than whisper's prompt gives a prompt of its first whole names
/// within the limit, and the turn is still transcribed. whisper-rs reads whisper.cpp's
/// "too many tokens" as a length, so such a catalogue once gave a vector claiming
/// billions of tokens.
#[test]
fn a_catalogue_longer_than_the_prompt_is_cut_to_whole_names() {
    let names: Vec<String> = (0..300)
        .map(|i| format!("Fleece Hoodie {i} - Forest Green, Size XXL"))
        .collect();
    let mut asr = recognizer();
    let prompt = asr.prompt_tokens(&Expect::Phrases(names.clone()));
    assert!(
        (100..=200).contains(&prompt.len()),
        "{} prompt tokens",
        prompt.len()
    );
    let first_name = asr.prompt_tokens(&Expect::Phrases(names[..1].to_vec()));
    let without_stop = &first_name[..first_name.len() - 1];
    assert_eq!(&prompt[..without_stop.len()], without_stop);
    let heard = asr
        .transcribe(&load_clip("order.wav"), &Expect::Phrases(names))
        .expect("transcribed");
    assert!(heard.text.to_lowercase().contains("order"), "{heard:?}");
}

/// With the store's numbers known, a reading one digit off a known number gives way to
/// it, and a number far from every known one is kept as heard. The recogniser is shared
/// by the tests: the known numbers are cleared before anything is asserted.
#[test]
fn a_known_number_wins_over_a_near_reading_and_not_over_a_far_one() {
    let audio = load_clip("digits.wav");
    let expect = Expect::Digits { min: 5, max: 5 };
    let mut asr = recognizer();
    let heard = asr.transcribe(&audio, &expect);
    asr.set_known_numbers(&["12345".into(), "12999".into(), "67890".into()]);
    // The beam's reading with one digit wrong, scored as the real reading was.
    let misheard = heard.as_ref().ok().map(|h| Transcript {
        text: "12845".into(),
        ..h.clone()
    });
    let near = misheard
        .as_ref()
        .map(|m| asr.known_number_answer(&audio, m, &[], 5, 5));
    asr.set_known_numbers(&["67890".into(), "99812".into()]);
    let far = asr.transcribe(&audio, &expect);
    // Known numbers of another length are not considered at all.
    asr.set_known_numbers(&["1234500".into()]);
    let other_length = asr.transcribe(&audio, &expect);
    asr.set_known_numbers(&[]);
    let heard = heard.expect("transcribe");
    assert_eq!(squash(&heard.text), "12345", "{heard:?}");
    let near = near
        .expect("misheard")
        .expect("decode")
        .expect("a known number");
    assert_eq!(squash(&near.text), "12345", "{near:?}");
    assert_eq!(squash(&far.expect("transcribe").text), "12345");
    assert_eq!(squash(&other_length.expect("transcribe").text), "12345");
}

#[test]
fn silence_and_empty_audio_give_empty_text() {
    let t = recognizer()
        .transcribe(&vec![0.0; 3 * 16_000], &Expect::Anything)
        .expect("silence");
    assert_eq!(t.text, "", "{t:?}");
    let t = recognizer()
        .transcribe(&[], &Expect::Anything)
        .expect("empty");
    assert_eq!(t.text, "");
    // NaN samples are treated as silence, not handed to whisper.cpp.
    let t = recognizer()
        .transcribe(&vec![f32::NAN; 16_000], &Expect::YesNo)
        .expect("nan");
    assert_eq!(t.text, "", "{t:?}");
}

#[test]
fn white_noise_invents_no_sentence() {
    // xorshift: deterministic noise without a random-number crate.
    let mut s: u32 = 0x1234_5678;
    let noise: Vec<f32> = (0..3 * 16_000)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32 - 0.5) * 0.2
        })
        .collect();
    for expect in [Expect::Anything, Expect::YesNo] {
        let t = recognizer().transcribe(&noise, &expect).expect("noise");
        assert!(t.text.split_whitespace().count() <= 1, "{expect:?}: {t:?}");
    }
}

#[test]
fn long_audio_is_transcribed_in_windows() {
    let clip = load_clip("order.wav");
    let mut audio = clip.clone();
    audio.extend(std::iter::repeat_n(0.0, 29 * 16_000));
    audio.extend_from_slice(&clip);
    let t = recognizer()
        .transcribe(&audio, &Expect::Anything)
        .expect("long");
    assert!(squash(&t.text).contains("order"), "{t:?}");
    assert!(t.audio_seconds > 30.0);
}

fn ct2_copy_with_model(dir: &Path, model: &[u8]) {
    std::fs::create_dir_all(dir).expect("dir");
    std::fs::write(dir.join("model.bin"), model).expect("write");
    for f in ["config.json", "vocabulary.txt"] {
        std::fs::copy(ct2_dir().join(f), dir.join(f)).expect("copy");
    }
}

#[test]
fn truncated_or_corrupt_model_bin_is_a_typed_error() {
    let full = std::fs::read(ct2_dir().join("model.bin")).expect("model.bin");
    let tmp = tempfile::tempdir().expect("tempdir");
    let ct2 = tmp.path().join("ct2-tiny.en");
    let out = tmp.path().join("ggml-tiny.en.bin");
    for cut in [0, 3, 10, 40, 5_000, full.len() / 2, full.len() - 1] {
        ct2_copy_with_model(&ct2, &full[..cut]);
        let err = convert_ct2_to_ggml(&ct2, &out, &mut |_, _| {}).err();
        assert!(
            matches!(err, Some(ConvertError::Ct2 { .. })),
            "cut at {cut}: {err:?}"
        );
        assert!(!out.exists() && !tmp.path().join("ggml-tiny.en.bin.partial").exists());
    }
    // Flip a shape so a variable's byte count no longer matches.
    let mut corrupt = full.clone();
    let at = corrupt
        .windows(6)
        .position(|w| w == b"weight")
        .expect("a weight")
        + 8;
    corrupt[at] ^= 0x40;
    ct2_copy_with_model(&ct2, &corrupt);
    let err = convert_ct2_to_ggml(&ct2, &out, &mut |_, _| {}).err();
    assert!(matches!(err, Some(ConvertError::Ct2 { .. })), "{err:?}");
    // A vocabulary that is not byte-level BPE.
    ct2_copy_with_model(&ct2, &full);
    std::fs::write(ct2.join("vocabulary.txt"), "a\nb\n\u{4e2d}\n").expect("write");
    let err = convert_ct2_to_ggml(&ct2, &out, &mut |_, _| {}).err();
    assert!(
        matches!(err, Some(ConvertError::Vocabulary { .. })),
        "{err:?}"
    );
}

#[test]
fn garbage_or_truncated_ggml_is_a_typed_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = AsrConfig::default();
    let garbage = tmp.path().join("garbage.bin");
    std::fs::write(&garbage, b"this is not a model at all, just text").expect("write");
    assert!(matches!(
        WhisperRecognizer::new(&garbage, &cfg),
        Err(AsrError::Convert(_))
    ));
    // The right magic followed by nonsense sizes.
    let mut magic = 0x6767_6d6cu32.to_le_bytes().to_vec();
    magic.extend((0..200u32).flat_map(|i| (i.wrapping_mul(2_654_435_761)).to_le_bytes()));
    std::fs::write(&garbage, &magic).expect("write");
    assert!(matches!(
        WhisperRecognizer::new(&garbage, &cfg),
        Err(AsrError::Convert(_))
    ));
    let empty = tmp.path().join("empty.bin");
    std::fs::write(&empty, b"").expect("write");
    assert!(WhisperRecognizer::new(&empty, &cfg).is_err());
    assert!(WhisperRecognizer::new(&tmp.path().join("absent.bin"), &cfg).is_err());
    // A real model cut short, at the end and in the middle of a tensor.
    let good = std::fs::read(&converted().0).expect("read");
    for cut in [good.len() - 1, good.len() / 3, 100] {
        std::fs::write(&garbage, &good[..cut]).expect("write");
        let err = WhisperRecognizer::new(&garbage, &cfg).err();
        assert!(
            matches!(err, Some(AsrError::Convert(ConvertError::Ggml { .. }))),
            "cut {cut}: {err:?}"
        );
    }
}

#[test]
fn ensure_converts_once_and_names_the_fix_when_files_are_missing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = AsrConfig::default();
    let err = ensure_whisper_model(tmp.path(), &cfg)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("scripts/setup.sh") && err.contains("models prepare"),
        "{err}"
    );
    assert!(err.contains("ct2-tiny.en"), "{err}");

    let ct2 = tmp.path().join("whisper/ct2-tiny.en");
    std::fs::create_dir_all(&ct2).expect("dir");
    for f in ["model.bin", "config.json", "vocabulary.txt"] {
        std::os::unix::fs::symlink(ct2_dir().join(f), ct2.join(f)).expect("link");
    }
    // Several users converting at once (tests, `run` and `transcribe` started together)
    // each publish a whole file; none sees another's half-written one.
    let paths: Vec<PathBuf> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..3)
            .map(|_| s.spawn(|| ensure_whisper_model(tmp.path(), &cfg).expect("converted")))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("thread"))
            .collect()
    });
    let path = tmp.path().join("whisper/ggml-tiny.en.bin");
    assert!(paths.iter().all(|p| p == &path), "{paths:?}");
    assert_eq!(
        voxorder_runtime::models::sha256_file(&path).expect("sha"),
        converted().1.sha256
    );
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("whisper"))
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let modified = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(ensure_whisper_model(tmp.path(), &cfg).expect("again"), path);
    assert_eq!(
        std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime"),
        modified
    );
    // A damaged model in place is reported, not silently used.
    std::fs::write(&path, b"junk").expect("write");
    assert!(matches!(
        ensure_whisper_model(tmp.path(), &cfg),
        Err(ConvertError::Ggml { .. })
    ));
}

#[test]
fn recognizer_from_config_reports_a_missing_model() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = SpeechConfig::default();
    let err = recognizer_from_config(&cfg, tmp.path()).err();
    assert!(
        matches!(err, Some(AsrError::Convert(ConvertError::Missing { .. }))),
        "{err:?}"
    );
}

/// Accuracy and speed of the biasing and sizing choices on espeak-ng clips (needs the
/// `espeak-ng` program). Prints a table; asserts nothing about speed.
/// `cargo test --release -p voxorder-speech --lib asr::tests::measure -- --ignored --nocapture`
#[test]
#[ignore = "a measurement that prints a table, not a check; needs espeak-ng and minutes"]
fn measure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = |name: &str, text: &str| -> Vec<f32> {
        let path = dir.path().join(format!("{name}.wav"));
        let ok = std::process::Command::new("espeak-ng")
            .args(["-v", "en-us", "-w"])
            .arg(&path)
            .arg(text)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "espeak-ng failed");
        load_wav(&path)
    };
    let digits = [
        ("4 7 2 9 1 5", "four seven two nine one five"),
        ("8 0 3 1 2", "eight zero three one two"),
        ("5 5 5 1 2 3 4", "five five five one two three four"),
        ("9 1 0 2 1", "nine one zero two one"),
        ("3 0 6 2", "three oh six two"),
        ("1 2 3 4 5 6 7 8", "one two three four five six seven eight"),
        ("6 4 9 7", "six four nine seven"),
        ("2 8 1 7 3", "two eight one seven three"),
    ];
    let sentences = [
        ("where is my order", "where is my order"),
        ("i want to cancel my order", "I want to cancel my order"),
        (
            "can i change the delivery address",
            "can I change the delivery address",
        ),
        ("yes", "yes"),
        ("no", "no"),
        ("yeah thats right", "yeah that's right"),
        ("nope", "nope"),
        ("talk to a person", "talk to a person"),
    ];
    let mut rec = recognizer();
    let runs = [
        (
            "margin 64, no bias",
            64,
            Biasing {
                prompts: true,
                token_bias: false,
            },
        ),
        (
            "margin 64, bias",
            64,
            Biasing {
                prompts: true,
                token_bias: true,
            },
        ),
        (
            "margin 192, bias",
            192,
            Biasing {
                prompts: true,
                token_bias: true,
            },
        ),
    ];
    for (label, margin, biasing) in runs {
        rec.audio_ctx_margin = margin;
        rec.set_biasing(biasing);
        let mut exact = 0;
        for (i, (want, text)) in digits.iter().enumerate() {
            let audio = clip(&format!("d{i}"), text);
            let t = rec
                .transcribe(&audio, &Expect::Digits { min: 4, max: 8 })
                .expect("d");
            let got: String = t.text.chars().filter(|c| c.is_ascii_digit()).collect();
            exact += usize::from(got == want.replace(' ', ""));
            eprintln!(
                "  {label}: digits {want:16} → {:?} nsp={:.3} lp={:.2} {:.2}s",
                t.text, t.no_speech_prob, t.avg_logprob, t.decode_seconds
            );
        }
        eprintln!("{label}: digits exact {exact}/{}", digits.len());
        let mut exact = 0;
        for (i, (want, text)) in sentences.iter().enumerate() {
            let audio = clip(&format!("s{i}"), text);
            let expect = if (3..=6).contains(&i) {
                Expect::YesNo
            } else {
                Expect::Anything
            };
            let t = rec.transcribe(&audio, &expect).expect("s");
            exact += usize::from(squash(&t.text) == squash(want));
            eprintln!(
                "  {label}: {expect:?} {want:36} → {:?} nsp={:.3} lp={:.2} {:.2}s",
                t.text, t.no_speech_prob, t.avg_logprob, t.decode_seconds
            );
        }
        eprintln!("{label}: sentences exact {exact}/{}", sentences.len());
    }
    rec.set_biasing(Biasing {
        prompts: true,
        token_bias: true,
    });
    // Configurations interleaved per clip and the best of three runs reported, so load
    // from other processes on the machine distorts the comparison less.
    for (i, (_, text)) in sentences.iter().enumerate().take(3) {
        let audio = clip(&format!("t{i}"), text);
        for (label, margin, sized) in [
            ("+64", 64, true),
            ("+192", 192, true),
            ("full 30 s", 0, false),
        ] {
            rec.audio_ctx_margin = margin;
            rec.set_size_audio_ctx(sized);
            let runs: Vec<Transcript> = (0..3)
                .map(|_| rec.transcribe(&audio, &Expect::Anything).expect("t"))
                .collect();
            let best = runs
                .iter()
                .map(|t| t.decode_seconds)
                .fold(f64::MAX, f64::min);
            eprintln!(
                "audio_ctx {label}: {:.2} s audio → {best:.3} s decode, best of 3 ({:?})",
                runs[0].audio_seconds, runs[0].text
            );
        }
    }
    rec.audio_ctx_margin = whisper::AUDIO_CTX_MARGIN;
    rec.set_size_audio_ctx(true);
    let silence = vec![0.0; 3 * 16_000];
    let t = rec
        .transcribe(&silence, &Expect::Anything)
        .expect("silence");
    eprintln!("silence: {t:?}");
    // Upper bound: includes this test process and the conversion's read of model.bin.
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for line in status.lines().filter(|l| l.starts_with("VmHWM")) {
            eprintln!("peak RSS of the test process: {line}");
        }
    }
}

/// Digit and short answers of the rendered spoken set (`tools/spoken_set`) through the
/// recogniser alone: a quicker look than `voxorder bench --accuracy`, which also runs the
/// NLU. Digits are read from the transcript as the recogniser writes them; short answers
/// are compared word for word. Clips are picked as the bench picks them. Prints each miss,
/// then per kind (and pooled as `all`), condition and setting the exact count with its 95%
/// Wilson interval, the clips fixed and broken against the first setting, and decode
/// times (p50/p90) per setting; it asserts nothing timed. Environment:
/// - `SPOKEN_CACHE` (the set), `MEASURE_EVERY` (8: every clip whose name hashes to a
///   multiple), `MEASURE_KINDS` (order_number,zip,phone; also short
///   and opening, a request naming its order number), `MEASURE_KOKORO=1`
///   (the Kokoro voices too), `MEASURE_ID` (one clip, `voice/id`, with its free decoding
///   printed);
/// - `MEASURE_SNR`: conditions, comma-separated, run in turn: `clean`, a number (white
///   noise at that many dB) or `b` and a number (babble of four other voices at that
///   many dB); `clean` when unset, e.g. `clean,10,b10`;
/// - `MEASURE_REPEAT_BONUS`: the A/B switch, values of the logit bonus on "double" and
///   "triple" (`whisper::REPEAT_BONUS` when unset), each clip decoded under every one,
///   the first the reference, e.g. `0,3`;
/// - `MEASURE_KNOWN=1` (the set's order numbers and 5000 other 13-digit numbers as the
///   store's known numbers; `=2` the same less each clip's own number, as for a number
///   the store does not hold; every known-number decoding is printed as `known-try` with
///   its distance from the number heard), `MEASURE_THREADS` (2), `MEASURE_ADAPTIVE=1` (threads from the
///   load), `MEASURE_FULL_CTX=1` (whisper's whole 30 s window for every clip),
///   `MEASURE_SIZED=1` (a window sized to the clip, numbers too) or `MEASURE_NUMBER_WINDOW=N`
///   (numbers over at least N seconds; without either, as configured), `MEASURE_FACTOR=1`
///   (zips and phones heard as at the identity question, not as digit turns), `MEASURE_CTX_MARGIN`
///   (encoder frames added to the clip's).
///
/// `SPOKEN_CACHE=~/.cache/voxorder/spoken MEASURE_KOKORO=1 MEASURE_SNR=clean,10
/// MEASURE_REPEAT_BONUS=0,3 cargo test --release -p voxorder-speech --lib
/// asr::tests::measure_spoken_digits -- --ignored --nocapture`
#[test]
#[ignore = "a measurement that prints misses and counts; needs the rendered spoken set"]
fn measure_spoken_digits() {
    let dir = PathBuf::from(std::env::var("SPOKEN_CACHE").expect("SPOKEN_CACHE"));
    let every: u64 = std::env::var("MEASURE_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let kinds = std::env::var("MEASURE_KINDS").unwrap_or("order_number,zip,phone".into());
    let snr_list = std::env::var("MEASURE_SNR").unwrap_or("clean".into());
    let fnv = |text: &str| {
        text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let manifest = std::fs::read_to_string(dir.join("manifest.jsonl")).expect("manifest");
    let clips: Vec<serde_json::Value> = manifest
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let field = |c: &serde_json::Value, k: &str| c[k].as_str().unwrap_or_default().to_string();
    let mut asr = recognizer();
    let threads: u32 = std::env::var("MEASURE_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    asr.set_threads(threads);
    asr.set_adaptive_threads(std::env::var("MEASURE_ADAPTIVE").is_ok_and(|v| v == "1"));
    asr.set_size_audio_ctx(!std::env::var("MEASURE_FULL_CTX").is_ok_and(|v| v == "1"));
    let measure_flag = |name: &str| std::env::var(name).ok();
    asr.set_number_window_seconds(
        match (
            measure_flag("MEASURE_SIZED").as_deref(),
            measure_flag("MEASURE_NUMBER_WINDOW").and_then(|v| v.parse().ok()),
        ) {
            (Some("1"), _) => 0,
            (_, Some(seconds)) => seconds,
            _ => AsrConfig::default().number_window_seconds,
        },
    );
    if let Some(margin) = std::env::var("MEASURE_CTX_MARGIN")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        asr.audio_ctx_margin = margin;
    }
    // The locale's short answers, as the device loads them from the dialog's catalog.
    let phrases = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../dialog/assets/locales/en-US/phrases.toml"),
    )
    .expect("phrases");
    let answers: Vec<String> = phrases
        .lines()
        .find_map(|l| l.strip_prefix("short_answers = "))
        .and_then(|list| serde_json::from_str(list).ok())
        .expect("short_answers");
    asr.set_short_answers(&answers);
    // `MEASURE_KNOWN=2`: each clip's own number left out of the known ones, as for a
    // caller who says a number the store does not hold.
    let known_without_own = std::env::var("MEASURE_KNOWN").is_ok_and(|v| v == "2");
    let mut all_known: Vec<String> = Vec::new();
    if std::env::var("MEASURE_KNOWN").is_ok_and(|v| v == "1" || v == "2") {
        let mut known: Vec<String> = clips
            .iter()
            .filter(|c| field(c, "kind") == "order_number")
            .map(|c| field(c, "digits"))
            .collect();
        known.extend(random_order_numbers(5000, 0x9e37_79b9_7f4a_7c15));
        asr.set_known_numbers(&known);
        all_known = known;
    }
    // Conditions: `clean`, a number (white noise at that SNR) or `b` and a number (babble:
    // four clips of other voices at equal level) — several separated by commas.
    let conditions: Vec<(String, Option<(bool, f32)>)> = snr_list
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| {
            let (babble, db) = match c.strip_prefix('b') {
                Some(db) => (true, db),
                None => (false, c),
            };
            let noise = (c != "clean").then(|| {
                let db = db.parse().expect("MEASURE_SNR: clean, <dB> or b<dB>");
                (babble, db)
            });
            (c.to_string(), noise)
        })
        .collect();
    // Babble: four `intent` clips of voices other than the speaker's, each at unit power,
    // summed and scaled to the condition's SNR.
    let babble_pool: Vec<(String, String)> = clips
        .iter()
        .filter(|c| field(c, "kind") == "intent")
        .map(|c| (field(c, "voice"), field(c, "path")))
        .collect();
    // Settings compared clip by clip (an A/B switch): values of the logit bonus on
    // "double" and "triple" (`whisper::REPEAT_BONUS`), comma-separated. The first is the
    // reference each other one is paired with.
    let settings: Vec<f32> = std::env::var("MEASURE_REPEAT_BONUS")
        .ok()
        .map(|v| v.split(',').filter_map(|b| b.trim().parse().ok()).collect())
        .filter(|v: &Vec<f32>| !v.is_empty())
        .unwrap_or_else(|| vec![whisper::REPEAT_BONUS]);
    // (kind or "all", condition, setting) → (right, total); (clip, condition, setting) →
    // whether it was right, for the pairing; decode times per setting.
    let mut tally: BTreeMap<(String, String, usize), (usize, usize)> = BTreeMap::new();
    let mut per_clip: HashMap<(String, String, usize), bool> = HashMap::new();
    let mut ms: Vec<Vec<f64>> = vec![Vec::new(); settings.len()];
    let only = std::env::var("MEASURE_ID").ok();
    // `MEASURE_FACTOR=1`: zips and phones heard as at the identity question, where a zip,
    // a phone, an email or the order number corrected may come.
    const FACTOR_SHAPES: [(usize, usize); 3] = [(5, 5), (10, 11), (13, 13)];
    let as_factor = std::env::var("MEASURE_FACTOR").is_ok_and(|v| v == "1");
    for (cond, noise) in &conditions {
        for clip in &clips {
            let (kind, voice, id) = (field(clip, "kind"), field(clip, "voice"), field(clip, "id"));
            if only.as_ref().is_some_and(|o| *o != format!("{voice}/{id}")) {
                continue;
            }
            if !kinds.split(',').any(|k| k == kind)
                || (voice.starts_with("kokoro")
                    && !std::env::var("MEASURE_KOKORO").is_ok_and(|v| v == "1"))
                || !fnv(&format!("{voice}/{id}")).is_multiple_of(every)
            {
                continue;
            }
            let want = field(clip, "digits");
            let expect = match kind.as_str() {
                "short" => Expect::YesNo,
                // A request naming its number, heard with nothing expected.
                "opening" => Expect::Anything,
                "zip" | "phone" if as_factor => Expect::NumberOrFree(FACTOR_SHAPES.to_vec()),
                "zip" => Expect::Digits { min: 5, max: 5 },
                "phone" => Expect::Digits { min: 10, max: 11 },
                _ => Expect::Digits {
                    min: want.len(),
                    max: want.len(),
                },
            };
            let mut audio = load_wav(&PathBuf::from(field(clip, "path")));
            let power = audio.iter().map(|x| x * x).sum::<f32>() / audio.len().max(1) as f32;
            match noise {
                Some((false, db)) => {
                    let level = (power / 10f32.powf(db / 10.0) * 3.0).sqrt();
                    let mut s: u32 = fnv(&id) as u32 | 1;
                    for x in audio.iter_mut() {
                        s ^= s << 13;
                        s ^= s >> 17;
                        s ^= s << 5;
                        *x += (s as f32 / u32::MAX as f32 * 2.0 - 1.0) * level;
                    }
                }
                Some((true, db)) => {
                    let babble = babble_for(&babble_pool, &voice, &id, audio.len(), fnv);
                    let pb = babble.iter().map(|x| x * x).sum::<f32>() / babble.len().max(1) as f32;
                    if pb > 0.0 {
                        let gain = (power / (pb * 10f32.powf(db / 10.0))).sqrt();
                        for (x, b) in audio.iter_mut().zip(&babble) {
                            *x += b * gain;
                        }
                    }
                }
                None => {}
            }
            let key = format!("{kind} {voice}/{id}");
            if known_without_own {
                let others: Vec<String> =
                    all_known.iter().filter(|n| **n != want).cloned().collect();
                asr.set_known_numbers(&others);
            }
            for (si, &bonus) in settings.iter().enumerate() {
                asr.repeat_bonus = bonus;
                asr.last_known = None;
                let t = asr.transcribe(&audio, &expect).expect("transcribe");
                if let Some((heard, heard_lp, known, known_lp)) = asr.last_known.take() {
                    eprintln!(
                        "known-try {cond} {voice} truth={want} heard={heard} h={heard_lp:.3} \
                         known={known} k={known_lp:.3} dist={} known_right={}",
                        whisper::digit_distance(&known, &heard),
                        known == want
                    );
                }
                if let Some((free_lp, held_lp)) = asr.last_held.take() {
                    eprintln!(
                        "held {cond} {voice}/{id} truth={want} got={} free={free_lp:.3} \
                         held={held_lp:.3}",
                        whisper::digits_of(&t.text)
                    );
                }
                let (got, ok) = if kind == "short" {
                    (
                        squash(&t.text),
                        squash(&t.text) == squash(&field(clip, "text")),
                    )
                } else {
                    let got = whisper::digits_of(&t.text);
                    let ok = got == want || got.strip_prefix('1') == Some(want.as_str());
                    (got, ok)
                };
                for k in [kind.as_str(), "all"] {
                    let entry = tally.entry((k.into(), cond.clone(), si)).or_default();
                    entry.0 += usize::from(ok);
                    entry.1 += 1;
                }
                per_clip.insert((key.clone(), cond.clone(), si), ok);
                ms[si].push(t.decode_seconds * 1000.0);
                if only.is_some() {
                    let free = asr.transcribe(&audio, &Expect::Anything).expect("free");
                    eprintln!(
                        "bonus {bonus}: biased {:?} lp {:.3}; free {:?} lp {:.3}",
                        t.text, t.avg_logprob, free.text, free.avg_logprob
                    );
                }
                if !ok {
                    eprintln!(
                        "miss {cond} bonus={bonus} {voice} {kind}: {:?} → {:?} ({got})",
                        field(clip, "text"),
                        t.text
                    );
                }
            }
        }
    }
    asr.set_known_numbers(&[]);
    asr.set_short_answers(&[]);
    asr.set_threads(AsrConfig::default().threads);
    asr.set_adaptive_threads(true);
    asr.set_size_audio_ctx(true);
    asr.set_number_window_seconds(AsrConfig::default().number_window_seconds);
    asr.audio_ctx_margin = whisper::AUDIO_CTX_MARGIN;
    asr.repeat_bonus = whisper::REPEAT_BONUS;
    for ((kind, cond, si), (right, total)) in &tally {
        let (lo, hi) = wilson(*right, *total);
        // Against the reference setting, clip by clip: right only with this one (fixed)
        // and right only with the reference (broken).
        let paired = if *si > 0 {
            let (mut fixed, mut broken) = (0, 0);
            for ((clip, c, s), ok) in &per_clip {
                let of_kind = kind == "all" || clip.split(' ').next() == Some(kind.as_str());
                if c != cond || s != si || !of_kind {
                    continue;
                }
                match per_clip.get(&(clip.clone(), c.clone(), 0)) {
                    Some(false) if *ok => fixed += 1,
                    Some(true) if !*ok => broken += 1,
                    _ => {}
                }
            }
            format!(" vs bonus {}: fixed {fixed}, broken {broken}", settings[0])
        } else {
            String::new()
        };
        eprintln!(
            "{kind:12} {cond:6} bonus {:4} every {every} threads {threads}: \
             {right}/{total} exact = {:.2} [{lo:.2}, {hi:.2}]{paired}",
            settings[*si],
            *right as f64 / (*total).max(1) as f64
        );
    }
    for (bonus, ms) in settings.iter().zip(ms.iter_mut()) {
        ms.sort_by(f64::total_cmp);
        eprintln!(
            "bonus {bonus}: decode p50 {:.0} ms, p90 {:.0} ms over {} clips",
            ms.get(ms.len() / 2).copied().unwrap_or(0.0),
            ms.get(ms.len() * 9 / 10).copied().unwrap_or(0.0),
            ms.len()
        );
    }
}

/// Babble for one clip: four `intent` clips (`pool`, voice and path) of voices other than
/// `voice`, each scaled to unit power, started at a point chosen from the clip's id and
/// looped to `len` samples, summed. Deterministic per clip, so every run hears the same.
fn babble_for(
    pool: &[(String, String)],
    voice: &str,
    id: &str,
    len: usize,
    fnv: impl Fn(&str) -> u64,
) -> Vec<f32> {
    let mut babble = vec![0f32; len];
    let mut state = fnv(&format!("{voice}/{id}/babble"));
    let (mut talkers, mut tries) = (0, 0);
    while talkers < 4 && tries < 64 && !pool.is_empty() {
        tries += 1;
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let (v, path) = &pool[(state >> 33) as usize % pool.len()];
        if v == voice {
            continue;
        }
        let other = load_wav(Path::new(path));
        let p = other.iter().map(|x| x * x).sum::<f32>() / other.len().max(1) as f32;
        if p == 0.0 {
            continue;
        }
        let start = (state >> 17) as usize % other.len();
        for (j, b) in babble.iter_mut().enumerate() {
            *b += other[(start + j) % other.len()] / p.sqrt();
        }
        talkers += 1;
    }
    babble
}

/// 95% Wilson score interval of `right` out of `items` (the same as the accuracy bench's).
fn wilson(right: usize, items: usize) -> (f64, f64) {
    if items == 0 {
        return (0.0, 1.0);
    }
    let (n, p, z) = (items as f64, right as f64 / items as f64, 1.96f64);
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}
