//! Silero VAD v6 on ONNX Runtime: 512-sample frames at 16 kHz, each fed with the last 64
//! samples of the frame before (the model was trained with that context) and the
//! recurrent state carried from frame to frame.

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::Tensor;

use super::{VadError, VoiceActivity};
use crate::audio::ASR_RATE;

/// New samples per frame (32 ms at 16 kHz).
pub const FRAME: usize = 512;
/// Samples of the previous frame prepended to each input.
const CONTEXT: usize = 64;
/// The recurrent state, [2, 1, 128].
const STATE: usize = 2 * 128;

/// Silero VAD on one ONNX Runtime session.
pub struct SileroVad {
    session: Session,
    path: PathBuf,
    state: Vec<f32>,
    context: [f32; CONTEXT],
    input: Vec<f32>,
}

impl std::fmt::Debug for SileroVad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SileroVad")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SileroVad {
    /// Loads the model at `model` with ONNX Runtime from `ort_lib`, checking it has the
    /// inputs and outputs this code feeds.
    pub fn load(model: &Path, ort_lib: &Path) -> Result<SileroVad, VadError> {
        let bad = |reason: String| VadError::Model {
            path: model.to_path_buf(),
            reason,
        };
        if !model.is_file() {
            return Err(bad(
                "file not found (run `voxorder setup` / scripts/setup.sh)".into(),
            ));
        }
        let env = voxorder_runtime::onnx::ort_environment(ort_lib).map_err(|e| match e {
            voxorder_runtime::onnx::OrtError::Integrity(e) => VadError::Integrity(e),
            e => bad(format!("ONNX Runtime: {e}")),
        })?;
        voxorder_runtime::models::verify(model)?;
        let session = Session::builder(&env)
            .map_err(|e| bad(e.to_string()))?
            .with_intra_threads(1)
            .map_err(|e| bad(e.to_string()))?
            .commit_from_file(model)
            .map_err(|e| bad(e.to_string()))?;
        let ins: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        let outs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
        for want in ["input", "state", "sr"] {
            if !ins.contains(&want) {
                return Err(bad(format!(
                    "not a Silero VAD model: no input {want:?} (has {ins:?})"
                )));
            }
        }
        for want in ["output", "stateN"] {
            if !outs.contains(&want) {
                return Err(bad(format!(
                    "not a Silero VAD model: no output {want:?} (has {outs:?})"
                )));
            }
        }
        Ok(SileroVad {
            session,
            path: model.to_path_buf(),
            state: vec![0.0; STATE],
            context: [0.0; CONTEXT],
            input: Vec::with_capacity(CONTEXT + FRAME),
        })
    }
}

impl VoiceActivity for SileroVad {
    fn frame_samples(&self) -> usize {
        FRAME
    }

    fn speech_probability(&mut self, frame: &[f32]) -> Result<f32, VadError> {
        VadError::check_frame(frame, FRAME)?;
        let err = VadError::Inference;
        self.input.clear();
        self.input.extend_from_slice(&self.context);
        self.input.extend_from_slice(frame);
        let input = Tensor::from_array((vec![1i64, (CONTEXT + FRAME) as i64], self.input.clone()))
            .map_err(err)?;
        let state = Tensor::from_array((vec![2i64, 1, 128], self.state.clone())).map_err(err)?;
        let sr = Tensor::from_array((Vec::<i64>::new(), vec![i64::from(ASR_RATE)])).map_err(err)?;
        let outputs = self
            .session
            .run(ort::inputs!["input" => input, "state" => state, "sr" => sr])
            .map_err(err)?;
        let (_, prob) = outputs["output"].try_extract_tensor::<f32>().map_err(err)?;
        let (_, next) = outputs["stateN"].try_extract_tensor::<f32>().map_err(err)?;
        if next.len() != STATE || prob.is_empty() {
            return Err(VadError::Output {
                states: next.len(),
                probabilities: prob.len(),
            });
        }
        self.state.copy_from_slice(next);
        self.context.copy_from_slice(&frame[FRAME - CONTEXT..]);
        let p = prob[0];
        Ok(if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            0.0
        })
    }

    fn reset(&mut self) {
        self.state.iter_mut().for_each(|v| *v = 0.0);
        self.context = [0.0; CONTEXT];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::testutil::{espeak, models_dir, silence};

    fn load() -> SileroVad {
        let m = models_dir();
        SileroVad::load(
            &m.join("vad/silero_vad.onnx"),
            &voxorder_runtime::paths::ort_lib(&m),
        )
        .expect("silero loads")
    }

    fn probs(vad: &mut SileroVad, x: &[f32]) -> Vec<f32> {
        x.chunks_exact(FRAME)
            .map(|f| vad.speech_probability(f).expect("run"))
            .collect()
    }

    #[test]
    fn speech_scores_high_and_silence_low() {
        let mut vad = load();
        let speech = espeak("where is my order, I placed it last week", "en-us", 160);
        let p = probs(&mut vad, &speech.samples);
        let max = p.iter().copied().fold(0.0f32, f32::max);
        assert!(max > 0.8, "max speech probability {max}");
        vad.reset();
        let p = probs(&mut vad, &silence(1.0));
        assert!(p.iter().all(|&v| v < 0.1), "{p:?}");
    }

    #[test]
    fn wrong_frame_size_and_bad_model_are_typed_errors() {
        let mut vad = load();
        assert!(matches!(
            vad.speech_probability(&[0.0; 100]),
            Err(VadError::FrameSize {
                expected: 512,
                got: 100
            })
        ));
        let m = models_dir();
        let lib = voxorder_runtime::paths::ort_lib(&m);
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = SileroVad::load(&dir.path().join("none.onnx"), &lib).expect_err("missing");
        assert!(matches!(missing, VadError::Model { .. }), "{missing}");
        let bytes = std::fs::read(m.join("vad/silero_vad.onnx")).expect("read");
        let cut = dir.path().join("cut.onnx");
        std::fs::write(&cut, &bytes[..bytes.len() / 3]).expect("write");
        let err = SileroVad::load(&cut, &lib).expect_err("cut model");
        assert!(matches!(err, VadError::Model { .. }), "{err}");
        // A valid ONNX model that is not Silero.
        let err =
            SileroVad::load(&m.join("wake/melspectrogram.onnx"), &lib).expect_err("other model");
        assert!(err.to_string().contains("not a Silero VAD model"), "{err}");
    }
}
