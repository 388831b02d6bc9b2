//! Voice activity detection and endpointing: per-frame speech probabilities (Silero on
//! ONNX Runtime, or WebRTC's light detector) and the endpointer that turns them into
//! utterances, silences and barge-ins.

use std::path::Path;

use thiserror::Error;

use voxorder_config::{VadConfig, VadEngine};

pub mod endpoint;
pub mod silero;
pub mod webrtc;

pub use endpoint::{segment_clip, EndpointEvent, Endpointer, Segment};

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum VadError {
    #[error("VAD model {path}: {reason}")]
    Model {
        path: std::path::PathBuf,
        reason: String,
    },
    /// ONNX Runtime failed to run Silero (should not happen with a valid model).
    #[error("VAD failed: {0}")]
    Inference(#[source] ort::Error),
    /// The model's outputs do not have the shapes Silero v6 gives.
    #[error("VAD failed: model returned {states} state values and {probabilities} probabilities")]
    Output { states: usize, probabilities: usize },
    /// libfvad refused a frame (a rate or length it does not take).
    #[error("VAD failed: libfvad refused the frame")]
    Refused,
    /// A detector whose frames have no samples cannot segment anything.
    #[error("VAD failed: the detector reports 0-sample frames")]
    EmptyFrames,
    #[error("VAD frame has {got} samples; this detector takes {expected}")]
    FrameSize { expected: usize, got: usize },
    /// The model or ONNX Runtime's library is not the file its manifest names.
    #[error(transparent)]
    Integrity(#[from] voxorder_runtime::models::IntegrityError),
}

impl VadError {
    /// A frame of any other length than the detector's is refused, not guessed at.
    pub(crate) fn check_frame(frame: &[f32], expected: usize) -> Result<(), VadError> {
        if frame.len() == expected {
            Ok(())
        } else {
            Err(VadError::FrameSize {
                expected,
                got: frame.len(),
            })
        }
    }
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

/// The detector `cfg` names: Silero from `models_dir/<silero_model>`, or WebRTC with an
/// aggressiveness derived from `threshold` (see
/// [`webrtc::WebRtcVad::aggressiveness_for_threshold`]).
pub fn vad_from_config(
    cfg: &VadConfig,
    models_dir: &Path,
    ort_lib: &Path,
) -> Result<Box<dyn VoiceActivity>, VadError> {
    Ok(match cfg.engine {
        VadEngine::Silero => Box::new(silero::SileroVad::load(
            &models_dir.join(&cfg.silero_model),
            ort_lib,
        )?),
        VadEngine::Webrtc => Box::new(webrtc::WebRtcVad::new(
            webrtc::WebRtcVad::aggressiveness_for_threshold(cfg.threshold),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_picks_the_engine() {
        let models = crate::audio::testutil::models_dir();
        let lib = voxorder_runtime::paths::ort_lib(&models);
        let mut cfg = VadConfig::default();
        assert_eq!(
            vad_from_config(&cfg, &models, &lib)
                .expect("silero")
                .frame_samples(),
            512
        );
        cfg.engine = VadEngine::Webrtc;
        assert_eq!(
            vad_from_config(&cfg, &models, &lib)
                .expect("webrtc")
                .frame_samples(),
            480
        );
        cfg.engine = VadEngine::Silero;
        cfg.silero_model = "vad/missing.onnx".into();
        assert!(matches!(
            vad_from_config(&cfg, &models, &lib),
            Err(VadError::Model { .. })
        ));
    }
}
