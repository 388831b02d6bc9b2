//! `ScriptedRecognizer`: a recogniser that returns queued texts, for testing the speech
//! pipeline and dialogs without a model.

use std::collections::VecDeque;

use super::{AsrError, Expect, Recognizer, Transcript};

/// Returns the queued transcripts in order, then empty text; records what each call was
/// asked to expect.
#[derive(Debug, Default)]
pub struct ScriptedRecognizer {
    queue: VecDeque<Result<String, String>>,
    expects: Vec<Expect>,
}

impl ScriptedRecognizer {
    /// A recogniser that will "hear" these texts, one per utterance.
    pub fn new<I, S>(texts: I) -> ScriptedRecognizer
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ScriptedRecognizer {
            queue: texts.into_iter().map(|t| Ok(t.into())).collect(),
            expects: Vec::new(),
        }
    }

    /// Queues another utterance.
    pub fn push(&mut self, text: impl Into<String>) {
        self.queue.push_back(Ok(text.into()));
    }

    /// Queues a decoding failure.
    pub fn push_failure(&mut self, message: impl Into<String>) {
        self.queue.push_back(Err(message.into()));
    }

    /// Utterances not yet consumed.
    pub fn remaining(&self) -> usize {
        self.queue.len()
    }

    /// What each `transcribe` call expected, in order.
    pub fn expects(&self) -> &[Expect] {
        &self.expects
    }
}

impl Recognizer for ScriptedRecognizer {
    fn name(&self) -> &str {
        "scripted"
    }

    fn transcribe(&mut self, audio: &[f32], expect: &Expect) -> Result<Transcript, AsrError> {
        self.expects.push(expect.clone());
        let text = match self.queue.pop_front() {
            Some(Ok(text)) => text,
            Some(Err(message)) => return Err(AsrError::Scripted { message }),
            None => String::new(),
        };
        Ok(Transcript {
            no_speech_prob: if text.is_empty() { 1.0 } else { 0.0 },
            text,
            avg_logprob: 0.0,
            audio_seconds: audio.len() as f64 / 16_000.0,
            decode_seconds: 0.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_queued_texts_then_silence_and_records_expectations() {
        let mut r = ScriptedRecognizer::new(["where is my order", "1 2 3"]);
        r.push_failure("device unplugged");
        let a = r.transcribe(&[0.0; 16_000], &Expect::Anything);
        assert_eq!(
            a.map(|t| (t.text, t.audio_seconds)).ok(),
            Some(("where is my order".into(), 1.0))
        );
        let digits = Expect::Digits { min: 3, max: 8 };
        assert_eq!(
            r.transcribe(&[], &digits).map(|t| t.text).ok().as_deref(),
            Some("1 2 3")
        );
        assert!(matches!(
            r.transcribe(&[], &Expect::YesNo),
            Err(AsrError::Scripted { .. })
        ));
        let silent = r.transcribe(&[], &Expect::YesNo).ok();
        assert_eq!(
            silent.map(|t| (t.text, t.no_speech_prob)),
            Some((String::new(), 1.0))
        );
        assert_eq!(r.remaining(), 0);
        assert_eq!(r.expects().len(), 4);
        assert_eq!(r.expects()[1], digits);
    }
}
