//! Nothing a caller says reaches the logs in clear. `transcribe`, `simulate` and `chat`
//! run with `-vv` (debug logs, whisper.cpp's included) on speech and text that hold a
//! phone number, an email and a street, and their output is scanned for them.
//!
//! What a command is asked to print is left alone: `transcribe` prints the transcript and
//! `simulate` the caller's lines, by design. Everything else — every log line on stderr,
//! the agent's replies — must hold no run of seven or more digits, spelled or written, and
//! none of the email's or the street's words.

mod binary;
use binary::Env;

const NOW: &str = "2026-03-10T10:00:00";
const PHONE: &str = "My phone number is 512 555 0199.";
const EMAIL: &str = "My email is jane dot doe at gmail dot com.";
const STREET: &str = "Please send it to 1234 Maple Street in Springfield.";
const NAME: &str = "My name is Priscilla Okonkwo.";
/// Words of the email, the name, the street and the city that no log line may hold.
const MARKERS: &[&str] = &["jane", "gmail", "maple", "okonkwo", "springfield"];

/// Digits in a run that make it a phone number or an identifier.
const MIN_RUN: usize = 7;

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Fields whose value is a measurement or a file's digest, never something a caller said:
/// a freshly converted model logs `bytes=77704698 sha256=0e5e…`.
const MEASURED_FIELDS: &[&str] = &["bytes", "sha256", "seconds", "ms", "samples"];

/// The text of a log line: without colour codes, the leading timestamp, and the numbers
/// a log line measures with (`seconds=0.2694`, `= 77.11 MB`, `bytes=77704698`), which are
/// not what anyone said but would look like long digit runs.
fn log_text(line: &str) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    let mut words: Vec<&str> = plain.split_whitespace().collect();
    if words
        .first()
        .is_some_and(|w| w.len() > 10 && w.as_bytes()[4] == b'-' && w.contains('T'))
    {
        words.remove(0);
    }
    words
        .into_iter()
        .filter(|w| {
            let value = w.rsplit('=').next().unwrap_or(w).trim_end_matches(',');
            let measured = w.split_once('=').is_some_and(|(key, value)| {
                MEASURED_FIELDS.contains(&key)
                    && value.chars().all(|c| c.is_ascii_hexdigit() || c == '.')
            });
            let decimal = value.contains('.') && value.parse::<f64>().is_ok();
            !(measured || decimal)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

const DIGIT_WORDS: &[&str] = &[
    "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// The personal data found in `text`: long digit runs (written with any grouping, or
/// spelled out) and the markers.
fn leaks(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lower = text.to_lowercase();
    // Written digits, grouped with single separators: "512-555-0199", "(512) 555 0199".
    let mut run = String::new();
    let mut gap = 0;
    for c in lower.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_digit() {
            run.push(c);
            gap = 0;
        } else if !run.is_empty() && (gap == 0 && " -.,()".contains(c) || gap == 1 && c == ' ') {
            // One separator, or one and a space: "512-555", "512, 555", "(512) 555".
            gap += 1;
        } else {
            if run.len() >= MIN_RUN {
                found.push(format!("digits {run}"));
            }
            run.clear();
            gap = 0;
        }
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut spelled = 0;
    for w in &words {
        spelled = if DIGIT_WORDS.contains(w) {
            spelled + 1
        } else {
            0
        };
        if spelled == MIN_RUN {
            found.push("spelled-out digits".into());
        }
    }
    for m in MARKERS {
        if words.contains(m) {
            found.push(format!("word {m:?}"));
        }
    }
    found
}

/// Fails with every leaking line of `output`.
fn assert_clean(what: &str, output: &str) {
    let bad: Vec<String> = output
        .lines()
        .filter_map(|l| {
            let found = leaks(&log_text(l));
            (!found.is_empty()).then(|| format!("{found:?} in {l}"))
        })
        .collect();
    assert!(bad.is_empty(), "{what} leaks:\n{}", bad.join("\n"));
}

/// The scanner finds what it must: a test that cannot fail guards nothing.
#[test]
fn the_scanner_sees_phone_email_and_street_in_clear() {
    for line in [
        "2026-12-02T16:44:14.420849Z DEBUG whisper window raw= My number is 500-125500199",
        "DEBUG whisper window raw=call (512) 555 0199",
        "caller said five one two five five five oh one nine nine",
        "my email is jane.doe at gmail.com",
        "DEBUG token = 17031 ' Maple'",
        "DEBUG whisper window raw= my name is Priscilla Okonkwo",
        "DEBUG whisper window raw= send it to Springfield",
        "DEBUG turn said=5125550199",
        "DEBUG bytes=hello 5125550199",
    ] {
        assert!(!leaks(&log_text(line)).is_empty(), "{line}");
    }
    for line in [
        "2026-12-02T16:44:12.895194Z  INFO speech recogniser loaded seconds=0.269485339",
        "DEBUG whisper window raw= number ***-********* email j***@g***.com no_speech=0.0383140705",
        "INFO whisper_init_state: compute buffer (encode) =   64.81 MB",
        "INFO turn intent=\"GetOrderStatus\" confidence=0.9999948740005493 actions=0",
        "INFO Whisper model converted seconds=0.440795881 bytes=77704698 \
         sha256=0e5e347aff2a78de4c9daa85052a76ed8eb41132fae1beb5360716024295c09e",
    ] {
        assert!(leaks(&log_text(line)).is_empty(), "{line}");
    }
}

/// Whether a transcript holds what the scan looks for: a long digit run and one of the
/// markers. The voice renders prosody afresh each time and whisper tiny.en now and then
/// garbles a number, so a call whose transcript lacks them is spoken again.
fn heard_everything(transcript: &str) -> bool {
    let found = leaks(transcript);
    found.iter().any(|f| f.starts_with("digits")) && found.iter().any(|f| f.starts_with("word"))
}

fn json(s: &[u8]) -> serde_json::Value {
    serde_json::from_slice(s)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(s)))
}

/// One clip through `transcribe` and then, as the single caller turn of a call, through
/// `simulate`.
#[test]
fn transcribe_and_simulate_log_no_personal_data_at_debug_level() {
    let env = Env::new();
    let call = env.path("call");
    std::fs::create_dir_all(&call).expect("mkdir");
    let wav = call.join("01.wav").to_string_lossy().into_owned();
    let text = format!("{NAME} {PHONE} {EMAIL} {STREET}");
    for attempt in 1..=4 {
        let again = |heard: &str| assert!(attempt < 4, "never heard it all: {heard:?}");
        env.run_ok(&["say", &text, "-o", &wav]);
        let out = env.run(&["-vv", "transcribe", &wav, "--json"]);
        assert!(out.status.success(), "{}", stderr_of(&out));
        // stdout is the one JSON document the command was asked for, nothing else.
        let heard = json(&out.stdout)["text"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !heard_everything(&heard) {
            again(&heard);
            continue;
        }
        let log = stderr_of(&out);
        assert!(log.contains("whisper window"), "no debug log: {log}");
        assert_clean("transcribe -vv stderr", &log);

        let args = ["-vv", "--now", NOW, "simulate", "--in"];
        let out = env.run(&[&args[..], &[call.to_string_lossy().as_ref(), "--json"]].concat());
        assert!(out.status.success(), "{}", stderr_of(&out));
        let log_json = json(&out.stdout);
        let turn = &log_json["turns"][0];
        let heard = turn["transcript"].as_str().unwrap_or_default();
        if !heard_everything(heard) {
            again(heard);
            continue;
        }
        let log = stderr_of(&out);
        assert!(log.contains("whisper window"), "no debug log: {log}");
        assert_clean("simulate -vv stderr", &log);
        // The transcript is the caller's words, printed by design; the agent's replies
        // must not repeat them.
        for reply in [&log_json["opening"], &turn["reply"]] {
            assert_clean("simulate -vv replies", reply.as_str().expect("reply"));
        }
        return;
    }
}

#[test]
fn chat_logs_no_personal_data_at_debug_level() {
    let env = Env::new();
    let input = [
        "where is my order",
        "my phone number is 512 555 0199",
        "my email is jane.doe@gmail.com",
        "five one two, five five five, oh one nine nine",
        "please send it to 1234 Maple Street",
        "my email is jane dot doe at gmail dot com",
        "my name is Priscilla Okonkwo",
        "the address is 77 Elm Road, Springfield",
    ]
    .join("\n");
    let out = Env::run_with_input(
        env.command(&["-vv", "--now", NOW, "chat"]),
        input.as_bytes(),
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 8, "{stdout}");
    assert!(stdout.lines().all(|l| l.starts_with("agent: ")), "{stdout}");
    let log = stderr_of(&out);
    assert!(
        log.contains("DEBUG") || log.contains("INFO"),
        "no log: {log}"
    );
    assert_clean("chat -vv stdout", &stdout);
    assert_clean("chat -vv stderr", &log);
}
