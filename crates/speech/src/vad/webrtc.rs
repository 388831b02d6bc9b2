//! WebRTC's voice-activity detector (libfvad through `webrtc-vad`): 30 ms frames of
//! 16-bit audio, a yes/no answer, microseconds per frame — the option for the smallest
//! boards. Its probability is 0 or 1.
//!
//! `webrtc_vad::Vad` holds a raw pointer to libfvad's state and so is not `Send`; the one
//! `unsafe impl` below asserts what makes moving it sound.
#![allow(unsafe_code)]

use webrtc_vad::{SampleRate, Vad, VadMode};

use super::{VadError, VoiceActivity};

/// 30 ms at 16 kHz.
pub const FRAME: usize = 480;

/// libfvad's instance, owned exclusively.
struct OwnedVad(Vad);

// SAFETY: the pointer inside `Vad` is a heap block from `fvad_new` that only this value
// owns (it is freed in `Vad::drop` and never shared or aliased); libfvad keeps no
// thread-local or global state, and every call takes `&mut self`, so moving the owner to
// another thread and using it there is exactly as safe as using it here. It is not
// `Sync`, and nothing here shares it.
unsafe impl Send for OwnedVad {}

/// WebRTC VAD at 16 kHz.
pub struct WebRtcVad {
    vad: OwnedVad,
    aggressiveness: u8,
    pcm: Vec<i16>,
}

impl std::fmt::Debug for WebRtcVad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebRtcVad")
            .field("aggressiveness", &self.aggressiveness)
            .finish_non_exhaustive()
    }
}

fn mode(aggressiveness: u8) -> VadMode {
    match aggressiveness {
        0 => VadMode::Quality,
        1 => VadMode::LowBitrate,
        2 => VadMode::Aggressive,
        _ => VadMode::VeryAggressive,
    }
}

impl WebRtcVad {
    /// `aggressiveness` 0 (lets most sound through as speech) to 3 (strictest); larger
    /// values are taken as 3.
    pub fn new(aggressiveness: u8) -> WebRtcVad {
        let aggressiveness = aggressiveness.min(3);
        WebRtcVad {
            vad: OwnedVad(Vad::new_with_rate_and_mode(
                SampleRate::Rate16kHz,
                mode(aggressiveness),
            )),
            aggressiveness,
            pcm: Vec::with_capacity(FRAME),
        }
    }

    /// The aggressiveness a VAD threshold stands for: 0.5 (the default) → 2.
    pub fn aggressiveness_for_threshold(threshold: f32) -> u8 {
        (threshold * 4.0).floor().clamp(0.0, 3.0) as u8
    }

    pub fn aggressiveness(&self) -> u8 {
        self.aggressiveness
    }
}

impl VoiceActivity for WebRtcVad {
    fn frame_samples(&self) -> usize {
        FRAME
    }

    fn speech_probability(&mut self, frame: &[f32]) -> Result<f32, VadError> {
        VadError::check_frame(frame, FRAME)?;
        self.pcm.clear();
        self.pcm
            .extend(frame.iter().map(|&s| crate::audio::wav::to_i16(s)));
        match self.vad.0.is_voice_segment(&self.pcm) {
            Ok(true) => Ok(1.0),
            Ok(false) => Ok(0.0),
            Err(()) => Err(VadError::Refused),
        }
    }

    fn reset(&mut self) {
        // fvad_reset also restores the default rate and mode.
        self.vad.0.reset();
        self.vad.0.set_sample_rate(SampleRate::Rate16kHz);
        self.vad.0.set_mode(mode(self.aggressiveness));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::testutil::{espeak, silence};

    #[test]
    fn speech_is_voiced_and_silence_is_not() {
        let mut vad = WebRtcVad::new(2);
        let speech = espeak("where is my order, I placed it last week", "en-us", 160);
        let voiced = speech
            .samples
            .chunks_exact(FRAME)
            .filter(|f| vad.speech_probability(f).expect("run") > 0.5)
            .count();
        let frames = speech.samples.len() / FRAME;
        assert!(voiced * 2 > frames, "{voiced} of {frames} frames voiced");
        vad.reset();
        let quiet = silence(1.0);
        assert!(quiet
            .chunks_exact(FRAME)
            .all(|f| vad.speech_probability(f).expect("run") == 0.0));
        assert!(matches!(
            vad.speech_probability(&[]),
            Err(VadError::FrameSize {
                expected: 480,
                got: 0
            })
        ));
    }

    #[test]
    fn thresholds_map_to_modes_and_the_detector_moves_between_threads() {
        assert_eq!(WebRtcVad::aggressiveness_for_threshold(0.5), 2);
        assert_eq!(WebRtcVad::aggressiveness_for_threshold(0.1), 0);
        assert_eq!(WebRtcVad::aggressiveness_for_threshold(0.95), 3);
        let mut vad = WebRtcVad::new(9);
        assert_eq!(vad.aggressiveness(), 3);
        let handle = std::thread::spawn(move || {
            let p = vad.speech_probability(&[0.0; FRAME]).expect("run");
            (vad, p)
        });
        let (_vad, p) = handle.join().expect("thread");
        assert_eq!(p, 0.0);
    }
}
