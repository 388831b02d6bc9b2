//! WAV files: any channel count (mixed down to mono), 8/16/24/32-bit integer or 32-bit
//! float, any rate, read into a [`Clip`]; mono 16-bit written back.
//!
//! A data chunk shorter than its header declares is an error ([`AudioError::Truncated`]),
//! not a silently shorter clip: the spoken test set and recorded turns must be what they
//! claim to be, and a half-written file usually means a crashed recorder worth noticing.
//! Callers that want the readable part anyway use [`read_wav_with`] with
//! `allow_truncated`, which logs a warning and reports how much was missing.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::{AudioError, Clip};

/// How [`read_wav_with`] treats long and damaged files.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WavOptions {
    /// Longer files are refused before any sample memory is allocated.
    pub max_seconds: f64,
    /// Return the readable prefix of a truncated data chunk instead of an error.
    pub allow_truncated: bool,
}

/// A clip and what was wrong with its file, if anything was forgiven.
#[derive(Debug, Clone, PartialEq)]
pub struct WavRead {
    pub clip: Clip,
    /// `Some(declared frames)` when the data chunk was cut short and only its readable
    /// prefix is in `clip`.
    pub truncated_from: Option<u64>,
}

/// Reads `path` into a mono clip at the file's own rate, refusing files longer than
/// `max_seconds` and files whose data chunk is cut short.
pub fn read_wav(path: &Path, max_seconds: f64) -> Result<Clip, AudioError> {
    read_wav_with(
        path,
        &WavOptions {
            max_seconds,
            allow_truncated: false,
        },
    )
    .map(|r| r.clip)
}

/// Reads `path` with explicit options; see [`WavOptions`].
pub fn read_wav_with(path: &Path, opts: &WavOptions) -> Result<WavRead, AudioError> {
    let io = |source| AudioError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    if file_len == 0 {
        return Err(AudioError::Empty {
            path: path.to_path_buf(),
        });
    }
    let consumed = Rc::new(Cell::new(0u64));
    let counting = Counting {
        inner: BufReader::new(file),
        consumed: Rc::clone(&consumed),
    };
    let mut reader = hound::WavReader::new(counting).map_err(|e| header_error(path, e))?;
    let spec = reader.spec();
    if spec.channels == 0 {
        return Err(AudioError::ZeroChannels {
            path: path.to_path_buf(),
        });
    }
    if spec.sample_rate == 0 {
        return Err(AudioError::ZeroRate {
            path: path.to_path_buf(),
        });
    }
    let channels = usize::from(spec.channels);
    let declared_frames = u64::from(reader.duration());
    // The header's length may be a placeholder (streaming writers put 0xFFFFFFFF there);
    // the bytes actually present bound what can be read, so size the checks by both.
    let bytes_per_frame = u64::from(spec.bits_per_sample).div_ceil(8) * channels as u64;
    let present_frames = file_len.saturating_sub(consumed.get()) / bytes_per_frame.max(1);
    let frames = declared_frames.min(present_frames);
    let seconds = frames as f64 / f64::from(spec.sample_rate);
    if seconds > opts.max_seconds {
        return Err(AudioError::TooLong {
            path: path.to_path_buf(),
            seconds,
            max_seconds: opts.max_seconds,
        });
    }
    if declared_frames > present_frames && !opts.allow_truncated {
        return Err(AudioError::Truncated {
            path: path.to_path_buf(),
            declared_frames,
            available_frames: present_frames,
        });
    }
    let mut mono = Vec::with_capacity(usize::try_from(frames).unwrap_or(0));
    let outcome = match spec.sample_format {
        hound::SampleFormat::Float => {
            if spec.bits_per_sample != 32 {
                return Err(AudioError::Unsupported {
                    path: path.to_path_buf(),
                    reason: format!("{}-bit float samples", spec.bits_per_sample),
                });
            }
            mix_down(reader.samples::<f32>(), channels, &mut mono, |s| s)
        }
        hound::SampleFormat::Int => {
            if !matches!(spec.bits_per_sample, 8 | 16 | 24 | 32) {
                return Err(AudioError::Unsupported {
                    path: path.to_path_buf(),
                    reason: format!("{}-bit integer samples", spec.bits_per_sample),
                });
            }
            let scale = 1.0 / 2f64.powi(i32::from(spec.bits_per_sample) - 1);
            mix_down(reader.samples::<i32>(), channels, &mut mono, |s| {
                (f64::from(s) * scale) as f32
            })
        }
    };
    match outcome {
        Ok(()) if mono.len() as u64 == declared_frames => Ok(WavRead {
            clip: Clip::new(mono, spec.sample_rate),
            truncated_from: None,
        }),
        Ok(()) | Err(ReadStop::Eof) => {
            if !opts.allow_truncated {
                return Err(AudioError::Truncated {
                    path: path.to_path_buf(),
                    declared_frames,
                    available_frames: mono.len() as u64,
                });
            }
            tracing::warn!(
                path = %path.display(),
                declared_frames,
                read_frames = mono.len(),
                "WAV data chunk is cut short; using the readable part"
            );
            Ok(WavRead {
                clip: Clip::new(mono, spec.sample_rate),
                truncated_from: Some(declared_frames),
            })
        }
        Err(ReadStop::Other(e)) => Err(sample_error(path, e)),
    }
}

enum ReadStop {
    Eof,
    Other(hound::Error),
}

/// Averages each frame's channels into `out`; a partial last frame is dropped.
fn mix_down<S, I>(
    samples: I,
    channels: usize,
    out: &mut Vec<f32>,
    to_f32: impl Fn(S) -> f32,
) -> Result<(), ReadStop>
where
    I: Iterator<Item = hound::Result<S>>,
{
    let mut acc = 0.0f32;
    let mut n = 0usize;
    let inv = 1.0 / channels as f32;
    for s in samples {
        let s = match s {
            Ok(s) => to_f32(s),
            Err(hound::Error::IoError(e)) if is_eof(&e) => return Err(ReadStop::Eof),
            Err(e) => return Err(ReadStop::Other(e)),
        };
        // Float files may carry NaN/inf or overs; downstream models need finite [-1, 1].
        acc += if s.is_finite() {
            s.clamp(-1.0, 1.0)
        } else {
            0.0
        };
        n += 1;
        if n == channels {
            out.push(acc * inv);
            acc = 0.0;
            n = 0;
        }
    }
    Ok(())
}

/// hound reports a short read as `Other` with this message, std as `UnexpectedEof`.
fn is_eof(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::UnexpectedEof
        || (e.kind() == std::io::ErrorKind::Other && e.to_string().contains("read enough bytes"))
}

fn header_error(path: &Path, e: hound::Error) -> AudioError {
    let path = path.to_path_buf();
    match e {
        hound::Error::IoError(e) if is_eof(&e) => AudioError::NotWav {
            path,
            reason: "the header is cut short".into(),
        },
        hound::Error::IoError(source) => AudioError::Io { path, source },
        hound::Error::FormatError(m) if m.contains("zero channels") => {
            AudioError::ZeroChannels { path }
        }
        hound::Error::FormatError(m) => AudioError::NotWav {
            path,
            reason: m.into(),
        },
        hound::Error::Unsupported => AudioError::Unsupported {
            path,
            reason: "compressed or unknown sample encoding".into(),
        },
        other => AudioError::Unsupported {
            path,
            reason: other.to_string(),
        },
    }
}

fn sample_error(path: &Path, e: hound::Error) -> AudioError {
    match e {
        hound::Error::IoError(source) => AudioError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => AudioError::Unsupported {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    }
}

/// Writes `clip` as mono 16-bit PCM at its own rate (samples are clamped to [-1, 1]).
pub fn write_wav(path: &Path, clip: &Clip) -> Result<(), AudioError> {
    let fail = |reason: String| AudioError::Write {
        path: PathBuf::from(path),
        reason,
    };
    if clip.sample_rate == 0 {
        return Err(fail("sample rate is 0".into()));
    }
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: clip.sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).map_err(|e| fail(e.to_string()))?;
    for &s in &clip.samples {
        writer
            .write_sample(to_i16(s))
            .map_err(|e| fail(e.to_string()))?;
    }
    writer.finalize().map_err(|e| fail(e.to_string()))
}

/// One sample as 16-bit PCM (clamped, rounded; NaN becomes 0).
pub fn to_i16(s: f32) -> i16 {
    if s.is_nan() {
        return 0;
    }
    (s.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

/// Counts the bytes hound has consumed, which locates the start of the data chunk.
struct Counting<R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_spec(path: &Path, spec: hound::WavSpec, frames: usize, f: impl Fn(usize, u16) -> f64) {
        let mut w = hound::WavWriter::create(path, spec).expect("create");
        for i in 0..frames {
            for c in 0..spec.channels {
                let v = f(i, c);
                match (spec.sample_format, spec.bits_per_sample) {
                    (hound::SampleFormat::Float, _) => w.write_sample(v as f32).expect("w"),
                    (_, 8) => w.write_sample((v * 127.0) as i8).expect("w"),
                    (_, 16) => w.write_sample((v * 32767.0) as i16).expect("w"),
                    (_, 24) => w.write_sample((v * 8_388_607.0) as i32).expect("w"),
                    _ => w.write_sample((v * 2_147_483_647.0) as i32).expect("w"),
                }
            }
        }
        w.finalize().expect("finalize");
    }

    fn spec(channels: u16, rate: u32, bits: u16, float: bool) -> hound::WavSpec {
        hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        }
    }

    #[test]
    fn reads_every_supported_format_and_mixes_to_mono() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (bits, float) in [
            (8, false),
            (16, false),
            (24, false),
            (32, false),
            (32, true),
        ] {
            for channels in [1u16, 2, 3] {
                let p = dir.path().join(format!("t{bits}{float}{channels}.wav"));
                // Channel c holds 0.5 * (c + 1) / channels, so the mono mix is known.
                write_spec(&p, spec(channels, 22_050, bits, float), 100, |_, c| {
                    0.5 * f64::from(c + 1) / f64::from(channels)
                });
                let clip = read_wav(&p, 10.0).expect("read");
                assert_eq!(clip.sample_rate, 22_050);
                assert_eq!(clip.samples.len(), 100);
                let want = (1..=channels)
                    .map(|c| 0.5 * f64::from(c) / f64::from(channels))
                    .sum::<f64>()
                    / f64::from(channels);
                let tol = if bits == 8 { 0.02 } else { 1e-3 };
                assert!(
                    (f64::from(clip.samples[50]) - want).abs() < tol,
                    "{bits} bit float={float} ch={channels}: {} vs {want}",
                    clip.samples[50]
                );
            }
        }
    }

    #[test]
    fn write_then_read_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("rt.wav");
        let samples: Vec<f32> = (0..1000).map(|i| ((i as f32) * 0.05).sin() * 0.8).collect();
        write_wav(&p, &Clip::new(samples.clone(), 16_000)).expect("write");
        let back = read_wav(&p, 5.0).expect("read");
        assert_eq!(back.sample_rate, 16_000);
        assert_eq!(back.samples.len(), samples.len());
        for (a, b) in samples.iter().zip(&back.samples) {
            assert!((a - b).abs() < 1e-4);
        }
        assert!(matches!(
            write_wav(&dir.path().join("zero.wav"), &Clip::new(vec![0.0], 0)),
            Err(AudioError::Write { .. })
        ));
    }

    #[test]
    fn empty_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("empty.wav");
        std::fs::write(&p, b"").expect("write");
        assert!(matches!(read_wav(&p, 10.0), Err(AudioError::Empty { .. })));
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = read_wav(&dir.path().join("nope.wav"), 10.0).expect_err("missing");
        assert!(matches!(err, AudioError::Io { .. }), "{err}");
    }

    #[test]
    fn garbage_and_cut_headers_are_not_wav() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("garbage.wav");
        std::fs::write(&p, b"this is a text file, not audio at all").expect("write");
        assert!(matches!(read_wav(&p, 10.0), Err(AudioError::NotWav { .. })));
        let good = dir.path().join("good.wav");
        write_spec(&good, spec(1, 16_000, 16, false), 100, |_, _| 0.1);
        let bytes = std::fs::read(&good).expect("read");
        std::fs::write(&p, &bytes[..20]).expect("write");
        let err = read_wav(&p, 10.0).expect_err("cut header");
        assert!(matches!(err, AudioError::NotWav { .. }), "{err}");
    }

    #[test]
    fn truncated_data_chunk_is_an_error_or_a_flagged_prefix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("cut.wav");
        write_spec(&p, spec(2, 16_000, 16, false), 1000, |i, _| {
            (i as f64 * 0.01).sin() * 0.5
        });
        let bytes = std::fs::read(&p).expect("read");
        // Keep the 44-byte header and 300 of the 1000 stereo frames.
        std::fs::write(&p, &bytes[..44 + 300 * 4]).expect("write");
        match read_wav(&p, 10.0) {
            Err(AudioError::Truncated {
                declared_frames,
                available_frames,
                ..
            }) => {
                assert_eq!(declared_frames, 1000);
                assert_eq!(available_frames, 300);
            }
            other => panic!("expected Truncated, got {other:?}"),
        }
        let lenient = read_wav_with(
            &p,
            &WavOptions {
                max_seconds: 10.0,
                allow_truncated: true,
            },
        )
        .expect("lenient");
        assert_eq!(lenient.clip.samples.len(), 300);
        assert_eq!(lenient.truncated_from, Some(1000));
    }

    /// A hand-built header, for values hound's writer refuses to produce.
    fn raw_header(channels: u16, rate: u32, bits: u16, format: u16, data_len: u32) -> Vec<u8> {
        let block = channels * bits.div_ceil(8);
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&(36 + data_len).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&format.to_le_bytes());
        v.extend_from_slice(&channels.to_le_bytes());
        v.extend_from_slice(&rate.to_le_bytes());
        v.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
        v.extend_from_slice(&block.to_le_bytes());
        v.extend_from_slice(&bits.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&data_len.to_le_bytes());
        v
    }

    #[test]
    fn zero_channels_and_zero_rate_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("zc.wav");
        let mut bytes = raw_header(0, 16_000, 16, 1, 4);
        bytes.extend_from_slice(&[0; 4]);
        std::fs::write(&p, &bytes).expect("write");
        let err = read_wav(&p, 10.0).expect_err("zero channels");
        assert!(matches!(err, AudioError::ZeroChannels { .. }), "{err}");

        let mut bytes = raw_header(1, 0, 16, 1, 4);
        bytes.extend_from_slice(&[0; 4]);
        std::fs::write(&p, &bytes).expect("write");
        let err = read_wav(&p, 10.0).expect_err("zero rate");
        assert!(matches!(err, AudioError::ZeroRate { .. }), "{err}");
    }

    #[test]
    fn unsupported_encodings_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("adpcm.wav");
        // Format tag 2 is MS ADPCM.
        let mut bytes = raw_header(1, 8_000, 4, 2, 4);
        bytes.extend_from_slice(&[0; 4]);
        std::fs::write(&p, &bytes).expect("write");
        let err = read_wav(&p, 10.0).expect_err("adpcm");
        assert!(
            matches!(
                err,
                AudioError::Unsupported { .. } | AudioError::NotWav { .. }
            ),
            "{err}"
        );
        // 64-bit float.
        let mut bytes = raw_header(1, 8_000, 64, 3, 16);
        bytes.extend_from_slice(&[0; 16]);
        std::fs::write(&p, &bytes).expect("write");
        let err = read_wav(&p, 10.0).expect_err("f64");
        assert!(
            matches!(
                err,
                AudioError::Unsupported { .. } | AudioError::NotWav { .. }
            ),
            "{err}"
        );
    }

    #[test]
    fn long_files_are_refused_before_reading() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("long.wav");
        write_spec(&p, spec(1, 8_000, 16, false), 8_000 * 3, |_, _| 0.0);
        let err = read_wav(&p, 2.0).expect_err("too long");
        match err {
            AudioError::TooLong { seconds, .. } => assert!((seconds - 3.0).abs() < 1e-9),
            other => panic!("expected TooLong, got {other:?}"),
        }
        assert_eq!(read_wav(&p, 3.5).expect("fits").samples.len(), 24_000);

        // A header claiming two hours (streaming placeholder length) over a tiny file is a
        // truncation, not a 2-hour allocation.
        let mut bytes = raw_header(1, 48_000, 16, 1, 2 * 3600 * 48_000 * 2);
        bytes.extend_from_slice(&[0; 2000]);
        std::fs::write(&p, &bytes).expect("write");
        let err = read_wav(&p, 60.0).expect_err("placeholder");
        assert!(
            matches!(
                err,
                AudioError::Truncated {
                    available_frames: 1000,
                    ..
                }
            ),
            "{err}"
        );
    }
}
