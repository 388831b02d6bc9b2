//! Voice activity detection and endpointing: per-frame speech probabilities (Silero on
//! ONNX Runtime, or WebRTC's light detector) and the endpointer that turns them into
//! utterances, silences and barge-ins.

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum VadError {
    #[error("VAD model {path}: {reason}")]
    Model {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("VAD failed: {0}")]
    Run(String),
}

/// Scores fixed-size frames of 16 kHz mono audio.
pub trait VoiceActivity: Send {
    /// Samples per frame this detector takes (512 for Silero, 480 for WebRTC at 30 ms).
    fn frame_samples(&self) -> usize;
    /// Probability in [0, 1] that the frame holds speech.
    fn speech_probability(&mut self, frame: &[f32]) -> Result<f32, VadError>;
    /// Forgets state between utterances.
    fn reset(&mut self);
}
