//! Turns the CTranslate2 (faster-whisper) Whisper model that the setup step fetches into
//! the ggml file whisper.cpp loads, in pure Rust; checks a ggml file's structure before
//! whisper.cpp sees it; finds or prepares the model a configuration names.
//!
//! No package registry ships a ggml Whisper model, so the device derives one from the
//! CTranslate2 files (`model.bin`, `config.json`, `vocabulary.txt`). The layouts on both
//! sides and the mapping of tensor names are in the code and comments below.
//! The output is a pure function of the input files, so its sha256 is reproducible.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use sha2::{Digest, Sha256};
use thiserror::Error;

use voxorder_config::AsrConfig;

/// The files of a CTranslate2 Whisper model directory.
pub const CT2_FILES: [&str; 3] = ["model.bin", "config.json", "vocabulary.txt"];

/// What to run when the model files are missing.
pub const FETCH_HINT: &str =
    "run `bash scripts/setup.sh` to fetch the models, then `voxorder models prepare`";

/// ggml's file magic ("ggml").
const GGML_MAGIC: u32 = 0x6767_6d6c;
/// The only CTranslate2 binary layout this reader knows.
const CT2_BINARY_VERSION: u32 = 6;
const SAMPLE_RATE: f64 = 16_000.0;
const N_FFT: usize = 400;
/// Regular byte-level BPE tokens (everything before `<|endoftext|>`) of the English-only
/// vocabulary; the multilingual one has one more slot, written empty.
const N_TEXT_TOKENS_EN: usize = 50_256;
const N_TEXT_TOKENS_MULTI: usize = 50_257;
/// Vocabulary size from which whisper.cpp treats a model as multilingual.
const MULTILINGUAL_VOCAB: usize = 51_865;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConvertError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a usable CTranslate2 Whisper model: {reason}")]
    Ct2 { path: PathBuf, reason: String },
    #[error("{path}: bad vocabulary: {reason}")]
    Vocabulary { path: PathBuf, reason: String },
    #[error(
        "{path}: not a usable whisper.cpp model: {reason} (delete it and run \
         `voxorder models prepare` to rebuild it from the CTranslate2 files)"
    )]
    Ggml { path: PathBuf, reason: String },
    #[error("speech model missing: {missing} not found; {FETCH_HINT}")]
    Missing { missing: PathBuf },
    /// A model file is not the one its manifest names.
    #[error(transparent)]
    Integrity(#[from] voxorder_runtime::models::IntegrityError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ConvertError + '_ {
    move |source| ConvertError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a conversion wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertStats {
    pub tensors: usize,
    pub bytes: u64,
    /// Lower-case hex sha256 of the written file.
    pub sha256: String,
    pub hparams: Hparams,
    pub seconds: f64,
}

/// whisper.cpp's hyper-parameters, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hparams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    pub ftype: i32,
}

impl Hparams {
    fn as_array(&self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }
}

// ---------------------------------------------------------------------------------------
// Finding and preparing the model a configuration names.

/// The CTranslate2 directory a ggml file is derived from: `whisper/ggml-tiny.en.bin` ←
/// `whisper/ct2-tiny.en/`.
pub fn ct2_dir_for(ggml: &Path) -> Option<PathBuf> {
    let stem = ggml.file_name()?.to_str()?;
    let model = stem.strip_prefix("ggml-")?.strip_suffix(".bin")?;
    Some(ggml.with_file_name(format!("ct2-{model}")))
}

/// The whisper.cpp model the configuration names, converted from its CTranslate2 files
/// first when only those are present. A file already there is checked, not rewritten.
pub fn ensure_whisper_model(models_dir: &Path, cfg: &AsrConfig) -> Result<PathBuf, ConvertError> {
    ensure_whisper_model_with_progress(models_dir, cfg, &mut |_, _| {})
}

/// [`ensure_whisper_model`] reporting conversion progress as (tensors done, total).
pub fn ensure_whisper_model_with_progress(
    models_dir: &Path,
    cfg: &AsrConfig,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<PathBuf, ConvertError> {
    let ggml = models_dir.join(&cfg.whisper_model);
    if ggml.is_file() {
        voxorder_runtime::models::verify(&ggml)?;
        validate_ggml(&ggml)?;
        return Ok(ggml);
    }
    let Some(ct2) = ct2_dir_for(&ggml) else {
        return Err(ConvertError::Missing { missing: ggml });
    };
    if let Some(missing) = CT2_FILES.iter().map(|f| ct2.join(f)).find(|p| !p.is_file()) {
        return Err(ConvertError::Missing { missing });
    }
    for f in CT2_FILES {
        voxorder_runtime::models::verify(&ct2.join(f))?;
    }
    tracing::info!(from = %ct2.display(), to = %ggml.display(), "converting the Whisper model");
    let stats = convert_ct2_to_ggml(&ct2, &ggml, progress)?;
    tracing::info!(
        seconds = stats.seconds,
        bytes = stats.bytes,
        sha256 = %stats.sha256,
        "Whisper model converted"
    );
    Ok(ggml)
}

// ---------------------------------------------------------------------------------------
// Reading CTranslate2's model.bin.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    Bf16,
}

impl DType {
    fn from_code(code: u8) -> Option<DType> {
        Some(match code {
            0 => DType::F32,
            1 => DType::I8,
            2 => DType::I16,
            3 => DType::I32,
            4 => DType::F16,
            5 => DType::Bf16,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            DType::I8 => 1,
            DType::I16 | DType::F16 | DType::Bf16 => 2,
            DType::F32 | DType::I32 => 4,
        }
    }
}

struct Variable<'a> {
    dims: Vec<usize>,
    dtype: DType,
    data: &'a [u8],
}

/// A bounds-checked little-endian cursor: every read past the end is an error.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| {
                format!(
                    "file ends early (needed {n} bytes at offset {} of {})",
                    self.pos,
                    self.data.len()
                )
            })?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// u16 length including a trailing NUL, then the bytes.
    fn string(&mut self) -> Result<String, String> {
        let len = usize::from(self.u16()?);
        let bytes = self.take(len)?;
        let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
        String::from_utf8(bytes.to_vec()).map_err(|_| "a name is not UTF-8".to_string())
    }
}

fn parse_ct2(data: &[u8]) -> Result<BTreeMap<String, Variable<'_>>, String> {
    let mut c = Cursor { data, pos: 0 };
    let version = c.u32()?;
    if version != CT2_BINARY_VERSION {
        return Err(format!(
            "binary version {version} (only {CT2_BINARY_VERSION} is known)"
        ));
    }
    let spec = c.string()?;
    if spec != "WhisperSpec" {
        return Err(format!("model spec {spec:?}, expected \"WhisperSpec\""));
    }
    let _revision = c.u32()?;
    let count = c.u32()?;
    let mut vars = BTreeMap::new();
    for _ in 0..count {
        let name = c.string()?;
        let rank = c.u8()?;
        let mut dims = Vec::with_capacity(usize::from(rank));
        for _ in 0..rank {
            dims.push(c.u32()? as usize);
        }
        let code = c.u8()?;
        let dtype =
            DType::from_code(code).ok_or_else(|| format!("{name}: unknown data type {code}"))?;
        let bytes = c.u32()? as usize;
        let expected = dims
            .iter()
            .try_fold(dtype.size(), |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| format!("{name}: shape {dims:?} overflows"))?;
        if bytes != expected {
            return Err(format!(
                "{name}: {bytes} bytes for shape {dims:?} of {dtype:?} (expected {expected})"
            ));
        }
        let data = c.take(bytes)?;
        vars.insert(name, Variable { dims, dtype, data });
    }
    // Aliases (e.g. the output projection sharing the token embedding) are read only to
    // prove the file is complete; the ggml format ties them implicitly.
    let aliases = c.u32()?;
    for _ in 0..aliases {
        c.string()?;
        c.string()?;
    }
    Ok(vars)
}

// ---------------------------------------------------------------------------------------
// Numbers.

/// IEEE binary16 bits → f32 (exact).
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let mant = u32::from(h & 0x3ff);
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: renormalise so the leading one becomes the implicit bit.
            let mut e: u32 = 127 - 15 + 1;
            let mut m = mant;
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((m & 0x3ff) << 13)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (mant << 13),
        _ => sign | ((exp + 112) << 23) | (mant << 13),
    };
    f32::from_bits(bits)
}

/// f32 → IEEE binary16 bits, rounding to nearest even (what numpy's `astype(float16)`
/// does).
pub(crate) fn f32_to_f16(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32;
    let mant = b & 0x7f_ffff;
    if exp == 0xff {
        return sign | 0x7c00 | if mant != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        if e < -10 {
            return sign;
        }
        let m = mant | 0x80_0000;
        let shift = (14 - e) as u32;
        let half = 1u32 << (shift - 1);
        let rounded = m >> shift;
        let rem = m & ((1u32 << shift) - 1);
        let r = if rem > half || (rem == half && rounded & 1 == 1) {
            rounded + 1
        } else {
            rounded
        };
        return sign | r as u16;
    }
    let mut h = ((e as u32) << 10) | (mant >> 13);
    let rem = mant & 0x1fff;
    // A carry out of the mantissa correctly bumps the exponent (up to infinity).
    if rem > 0x1000 || (rem == 0x1000 && h & 1 == 1) {
        h += 1;
    }
    sign | h as u16
}

/// librosa's `filters.mel(sr=16000, n_fft=400, n_mels)` (Slaney mel scale, Slaney area
/// normalisation), reproducing numpy's order of operations and its float32 storage so the
/// result matches openai-whisper's `mel_filters.npz`. Row-major `[n_mels][1 + n_fft/2]`.
pub fn mel_filters(n_mels: usize) -> Vec<f32> {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let logstep = 6.4f64.ln() / 27.0;
    let hz_to_mel = |f: f64| {
        if f >= MIN_LOG_HZ {
            min_log_mel + (f / MIN_LOG_HZ).ln() / logstep
        } else {
            f / F_SP
        }
    };
    let mel_to_hz = |m: f64| {
        if m >= min_log_mel {
            MIN_LOG_HZ * (logstep * (m - min_log_mel)).exp()
        } else {
            F_SP * m
        }
    };
    let n_bins = 1 + N_FFT / 2;
    // np.fft.rfftfreq(n=400, d=1/sr)
    let val = 1.0 / (N_FFT as f64 * (1.0 / SAMPLE_RATE));
    let fft_freqs: Vec<f64> = (0..n_bins).map(|i| i as f64 * val).collect();
    // np.linspace(min_mel, max_mel, n_mels + 2), endpoint pinned to max_mel
    let n_points = n_mels + 2;
    let (min_mel, max_mel) = (hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2.0));
    let step = (max_mel - min_mel) / (n_points - 1) as f64;
    let mel_f: Vec<f64> = (0..n_points)
        .map(|i| {
            let m = if i + 1 == n_points {
                max_mel
            } else {
                i as f64 * step + min_mel
            };
            mel_to_hz(m)
        })
        .collect();
    let mut weights = vec![0f32; n_mels * n_bins];
    for i in 0..n_mels {
        let fdiff_lo = mel_f[i + 1] - mel_f[i];
        let fdiff_hi = mel_f[i + 2] - mel_f[i + 1];
        let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
        for (j, &f) in fft_freqs.iter().enumerate() {
            let lower = -(mel_f[i] - f) / fdiff_lo;
            let upper = (mel_f[i + 2] - f) / fdiff_hi;
            let w = 0f64.max(lower.min(upper)) as f32;
            weights[i * n_bins + j] = (f64::from(w) * enorm) as f32;
        }
    }
    weights
}

/// GPT-2's `bytes_to_unicode`, inverted: the character a vocabulary line uses → the byte.
fn unicode_to_byte() -> BTreeMap<char, u8> {
    let mut printable: Vec<u32> = (u32::from(b'!')..=u32::from(b'~'))
        .chain(0xA1..=0xAC)
        .chain(0xAE..=0xFF)
        .collect();
    let mut chars = printable.clone();
    let mut n = 0;
    for b in 0..=255u32 {
        if !printable.contains(&b) {
            printable.push(b);
            chars.push(256 + n);
            n += 1;
        }
    }
    printable
        .iter()
        .zip(&chars)
        .filter_map(|(&b, &c)| Some((char::from_u32(c)?, u8::try_from(b).ok()?)))
        .collect()
}

fn read_vocabulary(path: &Path, count: usize) -> Result<Vec<Vec<u8>>, ConvertError> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => ConvertError::Vocabulary {
            path: path.to_path_buf(),
            reason: "not UTF-8 text".into(),
        },
        _ => io_err(path)(e),
    })?;
    let table = unicode_to_byte();
    let lines: Vec<&str> = text.split('\n').take(count).collect();
    if lines.len() < count {
        return Err(ConvertError::Vocabulary {
            path: path.to_path_buf(),
            reason: format!("{} lines, the model needs {count}", lines.len()),
        });
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            line.chars()
                .map(|c| table.get(&c).copied())
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| ConvertError::Vocabulary {
                    path: path.to_path_buf(),
                    reason: format!("token {i} ({line:?}) is not byte-level BPE text"),
                })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Mapping CTranslate2 variables to whisper.cpp tensors.

/// One tensor to write: a contiguous slice of a CTranslate2 variable.
struct OutTensor<'a> {
    name: String,
    /// Outermost first, as CTranslate2 and PyTorch list them; ggml gets them reversed.
    dims: Vec<usize>,
    src: DType,
    data: &'a [u8],
    f32: bool,
}

struct Mapper<'m, 'a> {
    vars: &'m BTreeMap<String, Variable<'a>>,
    path: &'m Path,
    out: Vec<OutTensor<'a>>,
}

impl<'a> Mapper<'_, 'a> {
    fn err(&self, reason: String) -> ConvertError {
        ConvertError::Ct2 {
            path: self.path.to_path_buf(),
            reason,
        }
    }

    fn var(&self, name: &str) -> Result<&Variable<'a>, ConvertError> {
        self.vars
            .get(name)
            .ok_or_else(|| self.err(format!("variable {name} is missing")))
    }

    fn scalar(&self, name: &str) -> Result<i64, ConvertError> {
        let v = self.var(name)?;
        let d = v.data;
        let value = match (v.dtype, d.len()) {
            (DType::I8, 1) => i64::from(d[0] as i8),
            (DType::I16, 2) => i64::from(i16::from_le_bytes([d[0], d[1]])),
            (DType::I32, 4) => i64::from(i32::from_le_bytes([d[0], d[1], d[2], d[3]])),
            _ => return Err(self.err(format!("{name} is not an integer scalar"))),
        };
        Ok(value)
    }

    fn check_float(&self, name: &str, v: &Variable<'_>) -> Result<(), ConvertError> {
        match v.dtype {
            DType::F32 | DType::F16 | DType::Bf16 => Ok(()),
            other => Err(self.err(format!(
                "{name} is stored as {other:?}; quantized models are not supported, \
                 use a float16 or float32 export"
            ))),
        }
    }

    /// Pushes `src` whole, checking its shape.
    fn push(
        &mut self,
        src: &str,
        dst: String,
        dims: &[usize],
        f32: bool,
    ) -> Result<(), ConvertError> {
        let v = self.var(src)?;
        self.check_float(src, v)?;
        if v.dims != dims {
            return Err(self.err(format!("{src} has shape {:?}, expected {dims:?}", v.dims)));
        }
        let t = OutTensor {
            name: dst,
            dims: dims.to_vec(),
            src: v.dtype,
            data: v.data,
            f32,
        };
        self.out.push(t);
        Ok(())
    }

    /// Splits `src` (fused along its outer axis, `parts` equal pieces) and pushes the
    /// pieces that have a destination name; `None` drops a piece (key biases, which
    /// Whisper does not have and CTranslate2 stores as zeros).
    fn push_split(
        &mut self,
        src: &str,
        dsts: &[Option<String>],
        piece_dims: &[usize],
        f32: bool,
    ) -> Result<(), ConvertError> {
        let v = self.var(src)?;
        self.check_float(src, v)?;
        let parts = dsts.len();
        let mut fused = piece_dims.to_vec();
        fused[0] *= parts;
        if v.dims != fused {
            return Err(self.err(format!("{src} has shape {:?}, expected {fused:?}", v.dims)));
        }
        let piece = v.data.len() / parts;
        let (dtype, data) = (v.dtype, v.data);
        for (i, dst) in dsts.iter().enumerate() {
            if let Some(name) = dst {
                self.out.push(OutTensor {
                    name: name.clone(),
                    dims: piece_dims.to_vec(),
                    src: dtype,
                    data: &data[i * piece..(i + 1) * piece],
                    f32,
                });
            }
        }
        Ok(())
    }

    fn layer_norm(&mut self, src: &str, dst: &str, n: usize) -> Result<(), ConvertError> {
        self.push(&format!("{src}/gamma"), format!("{dst}.weight"), &[n], true)?;
        self.push(&format!("{src}/beta"), format!("{dst}.bias"), &[n], true)
    }

    fn linear(&mut self, src: &str, dst: &str, out: usize, inp: usize) -> Result<(), ConvertError> {
        self.push(
            &format!("{src}/weight"),
            format!("{dst}.weight"),
            &[out, inp],
            false,
        )?;
        self.push(&format!("{src}/bias"), format!("{dst}.bias"), &[out], true)
    }

    fn count_layers(&self, prefix: &str) -> usize {
        (0..)
            .take_while(|i| {
                let p = format!("{prefix}/layer_{i}/");
                self.vars
                    .range(p.clone()..)
                    .next()
                    .is_some_and(|(k, _)| k.starts_with(&p))
            })
            .count()
    }

    fn dims_of(&self, name: &str, rank: usize) -> Result<Vec<usize>, ConvertError> {
        let v = self.var(name)?;
        if v.dims.len() != rank || v.dims.contains(&0) {
            return Err(self.err(format!("{name} has shape {:?}", v.dims)));
        }
        Ok(v.dims.clone())
    }

    fn hparams(&self) -> Result<Hparams, ConvertError> {
        let emb = self.dims_of("decoder/embeddings/weight", 2)?;
        let enc_pos = self.dims_of("encoder/position_encodings/encodings", 2)?;
        let dec_pos = self.dims_of("decoder/position_encodings/encodings", 2)?;
        let conv1 = self.dims_of("encoder/conv1/weight", 3)?;
        let to_i32 = |what: &str, v: usize| {
            i32::try_from(v).map_err(|_| self.err(format!("{what} {v} is out of range")))
        };
        let heads = |name: &str| {
            let h = self.scalar(name)?;
            i32::try_from(h)
                .ok()
                .filter(|&h| h > 0)
                .ok_or_else(|| self.err(format!("{name} = {h}")))
        };
        let h = Hparams {
            n_vocab: to_i32("vocabulary size", emb[0])?,
            n_audio_ctx: to_i32("audio context", enc_pos[0])?,
            n_audio_state: to_i32("audio width", enc_pos[1])?,
            n_audio_head: heads("encoder/num_heads")?,
            n_audio_layer: to_i32("encoder layers", self.count_layers("encoder"))?,
            n_text_ctx: to_i32("text context", dec_pos[0])?,
            n_text_state: to_i32("text width", emb[1])?,
            n_text_head: heads("decoder/num_heads")?,
            n_text_layer: to_i32("decoder layers", self.count_layers("decoder"))?,
            n_mels: to_i32("mel bands", conv1[1])?,
            ftype: 1,
        };
        if h.n_audio_state != h.n_text_state || dec_pos[1] != emb[1] {
            return Err(self.err("encoder and decoder widths differ".into()));
        }
        if h.n_audio_layer == 0 || h.n_text_layer == 0 {
            return Err(self.err("no encoder or decoder layers".into()));
        }
        if emb[0] < N_TEXT_TOKENS_MULTI {
            return Err(self.err(format!("vocabulary of {} tokens is too small", emb[0])));
        }
        Ok(h)
    }

    /// Every whisper.cpp tensor in a fixed order (the order of openai-whisper's
    /// state dict), so the file is byte-for-byte reproducible.
    fn map_all(&mut self, h: &Hparams) -> Result<(), ConvertError> {
        let n = h.n_audio_state as usize;
        let mels = h.n_mels as usize;
        let (a_ctx, t_ctx, vocab) = (
            h.n_audio_ctx as usize,
            h.n_text_ctx as usize,
            h.n_vocab as usize,
        );
        self.push(
            "encoder/position_encodings/encodings",
            "encoder.positional_embedding".into(),
            &[a_ctx, n],
            true,
        )?;
        self.push(
            "encoder/conv1/weight",
            "encoder.conv1.weight".into(),
            &[n, mels, 3],
            false,
        )?;
        // Conv biases become [n, 1] so they broadcast over time in whisper.cpp's graph.
        self.push(
            "encoder/conv1/bias",
            "encoder.conv1.bias".into(),
            &[n],
            true,
        )?;
        self.reshape_last(&[n, 1]);
        self.push(
            "encoder/conv2/weight",
            "encoder.conv2.weight".into(),
            &[n, n, 3],
            false,
        )?;
        self.push(
            "encoder/conv2/bias",
            "encoder.conv2.bias".into(),
            &[n],
            true,
        )?;
        self.reshape_last(&[n, 1]);
        for i in 0..h.n_audio_layer {
            let (s, d) = (format!("encoder/layer_{i}"), format!("encoder.blocks.{i}"));
            self.self_attention(&s, &d, n)?;
            self.ffn(&s, &d, n)?;
        }
        self.layer_norm("encoder/layer_norm", "encoder.ln_post", n)?;
        self.push(
            "decoder/position_encodings/encodings",
            "decoder.positional_embedding".into(),
            &[t_ctx, n],
            true,
        )?;
        self.push(
            "decoder/embeddings/weight",
            "decoder.token_embedding.weight".into(),
            &[vocab, n],
            false,
        )?;
        for i in 0..h.n_text_layer {
            let (s, d) = (format!("decoder/layer_{i}"), format!("decoder.blocks.{i}"));
            self.self_attention(&s, &d, n)?;
            self.layer_norm(
                &format!("{s}/attention/layer_norm"),
                &format!("{d}.cross_attn_ln"),
                n,
            )?;
            self.linear(
                &format!("{s}/attention/linear_0"),
                &format!("{d}.cross_attn.query"),
                n,
                n,
            )?;
            self.push_split(
                &format!("{s}/attention/linear_1/weight"),
                &[
                    Some(format!("{d}.cross_attn.key.weight")),
                    Some(format!("{d}.cross_attn.value.weight")),
                ],
                &[n, n],
                false,
            )?;
            self.push_split(
                &format!("{s}/attention/linear_1/bias"),
                &[None, Some(format!("{d}.cross_attn.value.bias"))],
                &[n],
                true,
            )?;
            self.linear(
                &format!("{s}/attention/linear_2"),
                &format!("{d}.cross_attn.out"),
                n,
                n,
            )?;
            self.ffn(&s, &d, n)?;
        }
        self.layer_norm("decoder/layer_norm", "decoder.ln", n)
    }

    fn reshape_last(&mut self, dims: &[usize]) {
        if let Some(t) = self.out.last_mut() {
            t.dims = dims.to_vec();
        }
    }

    fn self_attention(&mut self, s: &str, d: &str, n: usize) -> Result<(), ConvertError> {
        self.layer_norm(
            &format!("{s}/self_attention/layer_norm"),
            &format!("{d}.attn_ln"),
            n,
        )?;
        self.push_split(
            &format!("{s}/self_attention/linear_0/weight"),
            &[
                Some(format!("{d}.attn.query.weight")),
                Some(format!("{d}.attn.key.weight")),
                Some(format!("{d}.attn.value.weight")),
            ],
            &[n, n],
            false,
        )?;
        self.push_split(
            &format!("{s}/self_attention/linear_0/bias"),
            &[
                Some(format!("{d}.attn.query.bias")),
                None,
                Some(format!("{d}.attn.value.bias")),
            ],
            &[n],
            true,
        )?;
        self.linear(
            &format!("{s}/self_attention/linear_1"),
            &format!("{d}.attn.out"),
            n,
            n,
        )
    }

    fn ffn(&mut self, s: &str, d: &str, n: usize) -> Result<(), ConvertError> {
        self.layer_norm(&format!("{s}/ffn/layer_norm"), &format!("{d}.mlp_ln"), n)?;
        self.linear(
            &format!("{s}/ffn/linear_0"),
            &format!("{d}.mlp.0"),
            4 * n,
            n,
        )?;
        self.linear(
            &format!("{s}/ffn/linear_1"),
            &format!("{d}.mlp.2"),
            n,
            4 * n,
        )
    }
}

// ---------------------------------------------------------------------------------------
// Writing the ggml file.

/// Hashes everything written through it.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn write_i32(w: &mut impl Write, v: i32) -> std::io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

fn write_tensor(w: &mut impl Write, t: &OutTensor<'_>) -> std::io::Result<()> {
    let as_i32 = |v: usize| {
        i32::try_from(v).map_err(|_| std::io::Error::other(format!("{} is too large", t.name)))
    };
    write_i32(w, as_i32(t.dims.len())?)?;
    write_i32(w, as_i32(t.name.len())?)?;
    write_i32(w, if t.f32 { 0 } else { 1 })?;
    for &d in t.dims.iter().rev() {
        write_i32(w, as_i32(d)?)?;
    }
    w.write_all(t.name.as_bytes())?;
    let mut buf = Vec::with_capacity(64 * 1024);
    let src_size = t.src.size();
    for chunk in t.data.chunks(16 * 1024 * src_size) {
        buf.clear();
        match (t.src, t.f32) {
            (DType::F16, false) | (DType::F32, true) => buf.extend_from_slice(chunk),
            (src, to_f32) => {
                for e in chunk.chunks_exact(src_size) {
                    let x = match src {
                        DType::F16 => f16_to_f32(u16::from_le_bytes([e[0], e[1]])),
                        DType::Bf16 => {
                            f32::from_bits(u32::from(u16::from_le_bytes([e[0], e[1]])) << 16)
                        }
                        _ => f32::from_le_bytes([e[0], e[1], e[2], e[3]]),
                    };
                    if to_f32 {
                        buf.extend_from_slice(&x.to_le_bytes());
                    } else {
                        buf.extend_from_slice(&f32_to_f16(x).to_le_bytes());
                    }
                }
            }
        }
        w.write_all(&buf)?;
    }
    Ok(())
}

/// The temporary name a conversion writes to before renaming into place.
/// A temporary name beside `out` that no other process converting at the same moment
/// uses: two processes sharing one partial file would interleave their writes, and the
/// first rename would publish a file the second is still writing into.
fn partial_path(out: &Path) -> PathBuf {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}-{seq}.partial", std::process::id()));
    out.with_file_name(name)
}

/// Converts the CTranslate2 Whisper model in `ct2_dir` into a whisper.cpp ggml file at
/// `out`. Writes a partial file beside it and renames it into place, so `out` is either absent or
/// complete. `progress` gets (tensors written, total).
pub fn convert_ct2_to_ggml(
    ct2_dir: &Path,
    out: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ConvertStats, ConvertError> {
    let started = Instant::now();
    for f in CT2_FILES {
        let p = ct2_dir.join(f);
        if !p.is_file() {
            return Err(ConvertError::Missing { missing: p });
        }
    }
    let model_path = ct2_dir.join("model.bin");
    let data = std::fs::read(&model_path).map_err(io_err(&model_path))?;
    let vars = parse_ct2(&data).map_err(|reason| ConvertError::Ct2 {
        path: model_path.clone(),
        reason,
    })?;
    let mut mapper = Mapper {
        vars: &vars,
        path: &model_path,
        out: Vec::new(),
    };
    let hparams = mapper.hparams()?;
    mapper.map_all(&hparams)?;
    let tensors = mapper.out;
    let n_tokens = if hparams.n_vocab as usize >= MULTILINGUAL_VOCAB {
        N_TEXT_TOKENS_MULTI
    } else {
        N_TEXT_TOKENS_EN
    };
    let vocab_path = ct2_dir.join("vocabulary.txt");
    let mut vocab = read_vocabulary(&vocab_path, n_tokens)?;
    if n_tokens == N_TEXT_TOKENS_MULTI {
        // whisper.cpp expects an empty token in this slot of multilingual vocabularies.
        vocab[N_TEXT_TOKENS_EN].clear();
    }
    let filters = mel_filters(hparams.n_mels as usize);

    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    let tmp = partial_path(out);
    let result = (|| -> std::io::Result<(u64, String)> {
        let file = File::create(&tmp)?;
        let mut w = HashingWriter {
            inner: BufWriter::with_capacity(1 << 20, file),
            hasher: Sha256::new(),
            bytes: 0,
        };
        w.write_all(&GGML_MAGIC.to_le_bytes())?;
        for v in hparams.as_array() {
            write_i32(&mut w, v)?;
        }
        write_i32(&mut w, hparams.n_mels)?;
        write_i32(&mut w, (1 + N_FFT / 2) as i32)?;
        for f in &filters {
            w.write_all(&f.to_le_bytes())?;
        }
        write_i32(&mut w, n_tokens as i32)?;
        for token in &vocab {
            write_i32(&mut w, token.len() as i32)?;
            w.write_all(token)?;
        }
        progress(0, tensors.len());
        for (i, t) in tensors.iter().enumerate() {
            write_tensor(&mut w, t)?;
            progress(i + 1, tensors.len());
        }
        w.flush()?;
        let HashingWriter {
            inner,
            hasher,
            bytes,
        } = w;
        let file = inner.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        let digest = hasher.finalize();
        let hex = digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        Ok((bytes, hex))
    })();
    let (bytes, sha256) = match result {
        Ok(v) => v,
        Err(e) => {
            // The partial file is useless; leaving it would only confuse a later look.
            let _ = std::fs::remove_file(&tmp);
            return Err(io_err(&tmp)(e));
        }
    };
    std::fs::rename(&tmp, out).map_err(io_err(out))?;
    Ok(ConvertStats {
        tensors: tensors.len(),
        bytes,
        sha256,
        hparams,
        seconds: started.elapsed().as_secs_f64(),
    })
}

// ---------------------------------------------------------------------------------------
// Checking a ggml file before whisper.cpp reads it.

/// Bytes per block and elements per block of the ggml tensor types a Whisper file may
/// hold (f32, f16 and the classic quantisations).
fn ggml_type_layout(t: i32) -> Option<(u64, u64)> {
    Some(match t {
        0 => (4, 1),
        1 => (2, 1),
        2 => (18, 32),
        3 => (20, 32),
        6 => (22, 32),
        7 => (24, 32),
        8 => (34, 32),
        _ => return None,
    })
}

/// What a structurally sound ggml Whisper file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct GgmlSummary {
    pub hparams: Hparams,
    pub n_tokens: usize,
    pub tensors: usize,
}

/// Walks a whisper.cpp ggml file end to end (header, filters, vocabulary, every tensor's
/// header and size) without loading the weights. whisper.cpp trusts the sizes it reads
/// and aborts the process on some bad ones; this turns garbage or a file cut short into a
/// typed error first.
pub fn validate_ggml(path: &Path) -> Result<GgmlSummary, ConvertError> {
    let file = File::open(path).map_err(io_err(path))?;
    let len = file.metadata().map_err(io_err(path))?.len();
    let mut r = BufReader::new(file);
    let bad = |reason: String| ConvertError::Ggml {
        path: path.to_path_buf(),
        reason,
    };
    let read_i32 = |r: &mut BufReader<File>, what: &str| -> Result<i32, ConvertError> {
        let mut b = [0u8; 4];
        r.read_exact(&mut b).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => bad(format!("file ends early (reading {what})")),
            _ => io_err(path)(e),
        })?;
        Ok(i32::from_le_bytes(b))
    };
    if read_i32(&mut r, "the magic")? as u32 != GGML_MAGIC {
        return Err(bad("no ggml magic at the start".into()));
    }
    let mut hp = [0i32; 11];
    for v in hp.iter_mut() {
        *v = read_i32(&mut r, "the hyper-parameters")?;
    }
    let hparams = Hparams {
        n_vocab: hp[0],
        n_audio_ctx: hp[1],
        n_audio_state: hp[2],
        n_audio_head: hp[3],
        n_audio_layer: hp[4],
        n_text_ctx: hp[5],
        n_text_state: hp[6],
        n_text_head: hp[7],
        n_text_layer: hp[8],
        n_mels: hp[9],
        ftype: hp[10],
    };
    let in_range = |v: i32, lo: i32, hi: i32| (lo..=hi).contains(&v);
    let sane = in_range(hparams.n_vocab, N_TEXT_TOKENS_MULTI as i32, 1 << 20)
        && in_range(hparams.n_audio_ctx, 1, 1 << 16)
        && in_range(hparams.n_audio_state, 1, 1 << 16)
        && hparams.n_audio_state == hparams.n_text_state
        && in_range(hparams.n_audio_head, 1, 1024)
        && in_range(hparams.n_text_head, 1, 1024)
        && hparams.n_audio_state % hparams.n_audio_head == 0
        && hparams.n_text_state % hparams.n_text_head == 0
        && in_range(hparams.n_audio_layer, 1, 256)
        && in_range(hparams.n_text_layer, 1, 256)
        && in_range(hparams.n_text_ctx, 1, 1 << 16)
        && in_range(hparams.n_mels, 1, 1024)
        && in_range(hparams.ftype % 1000, 0, 32);
    if !sane {
        return Err(bad(format!("implausible hyper-parameters {hparams:?}")));
    }
    let skip = |r: &mut BufReader<File>, n: u64, what: &str| -> Result<(), ConvertError> {
        let pos = r.stream_position().map_err(io_err(path))?;
        if pos.checked_add(n).is_none_or(|end| end > len) {
            return Err(bad(format!("file ends early (in {what})")));
        }
        r.seek(SeekFrom::Current(n as i64)).map_err(io_err(path))?;
        Ok(())
    };
    let n_mel = read_i32(&mut r, "the mel filters")?;
    let n_fft = read_i32(&mut r, "the mel filters")?;
    if n_mel != hparams.n_mels || !in_range(n_fft, 1, 1 << 16) {
        return Err(bad(format!("mel filter bank {n_mel}×{n_fft}")));
    }
    skip(&mut r, 4 * n_mel as u64 * n_fft as u64, "the mel filters")?;
    let n_tokens = read_i32(&mut r, "the vocabulary")?;
    if !in_range(n_tokens, 1, hparams.n_vocab) {
        return Err(bad(format!("{n_tokens} vocabulary entries")));
    }
    for _ in 0..n_tokens {
        let l = read_i32(&mut r, "the vocabulary")?;
        if !in_range(l, 0, 1024) {
            return Err(bad(format!("a vocabulary entry of {l} bytes")));
        }
        skip(&mut r, l as u64, "the vocabulary")?;
    }
    let mut tensors = 0usize;
    loop {
        let pos = r.stream_position().map_err(io_err(path))?;
        if pos == len {
            break;
        }
        let n_dims = read_i32(&mut r, "a tensor header")?;
        let name_len = read_i32(&mut r, "a tensor header")?;
        let ttype = read_i32(&mut r, "a tensor header")?;
        if !in_range(n_dims, 1, 4) || !in_range(name_len, 1, 512) {
            return Err(bad(format!("tensor {tensors}: bad header")));
        }
        let (block_bytes, block_elems) =
            ggml_type_layout(ttype).ok_or_else(|| bad(format!("tensor type {ttype}")))?;
        let mut elements: u64 = 1;
        for _ in 0..n_dims {
            let d = read_i32(&mut r, "a tensor shape")?;
            if !in_range(d, 1, i32::MAX) {
                return Err(bad(format!("tensor {tensors}: dimension {d}")));
            }
            elements = elements
                .checked_mul(d as u64)
                .filter(|&e| e <= len)
                .ok_or_else(|| bad(format!("tensor {tensors}: too many elements")))?;
        }
        if !elements.is_multiple_of(block_elems) {
            return Err(bad(format!("tensor {tensors}: size not a whole block")));
        }
        skip(&mut r, name_len as u64, "a tensor name")?;
        skip(&mut r, elements / block_elems * block_bytes, "tensor data")?;
        tensors += 1;
    }
    if tensors == 0 {
        return Err(bad("no tensors".into()));
    }
    Ok(GgmlSummary {
        hparams,
        n_tokens: n_tokens as usize,
        tensors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats_round_trip_and_round_to_nearest_even() {
        for h in 0..=u16::MAX {
            let x = f16_to_f32(h);
            if x.is_nan() {
                assert!(f32_to_f16(x) & 0x7c00 == 0x7c00);
                continue;
            }
            assert_eq!(f32_to_f16(x), h, "bits {h:#06x} → {x}");
        }
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        // 1 + 2^-11 lies halfway between 1 and the next half; ties go to even (1.0).
        assert_eq!(f32_to_f16(1.0 + 2f32.powi(-11)), 0x3c00);
        assert_eq!(f32_to_f16(1.0 + 3.0 * 2f32.powi(-11)), 0x3c02);
        assert_eq!(f32_to_f16(1e6), 0x7c00);
    }

    #[test]
    fn mel_filters_match_librosa_reference_values() {
        let f = mel_filters(80);
        assert_eq!(f.len(), 80 * 201);
        // Reference values from librosa.filters.mel(sr=16000, n_fft=400, n_mels=80).
        assert!((f[1] - 0.024_862_28).abs() < 2e-6, "{}", f[1]);
        assert_eq!(f[0], 0.0);
        // Slaney normalisation: every band has the same area in Hz, so low bands (narrow)
        // peak higher than high bands (wide).
        let peak = |band: usize| {
            f[band * 201..(band + 1) * 201]
                .iter()
                .cloned()
                .fold(0f32, f32::max)
        };
        assert!(peak(0) > peak(79));
        // Each band is a triangle: non-zero over a contiguous run of bins.
        for band in 0..80 {
            let row = &f[band * 201..(band + 1) * 201];
            let nz: Vec<usize> = (0..201).filter(|&j| row[j] > 0.0).collect();
            assert!(!nz.is_empty(), "band {band} is empty");
            assert_eq!(
                nz.last().map(|l| l - nz[0] + 1),
                Some(nz.len()),
                "band {band}"
            );
        }
    }

    #[test]
    fn byte_level_table_covers_every_byte_once() {
        let t = unicode_to_byte();
        assert_eq!(t.len(), 256);
        assert_eq!(t.get(&'Ġ'), Some(&b' '));
        assert_eq!(t.get(&'Ċ'), Some(&b'\n'));
        assert_eq!(t.get(&'a'), Some(&b'a'));
    }

    #[test]
    fn ct2_dir_is_derived_from_the_ggml_name() {
        assert_eq!(
            ct2_dir_for(Path::new("m/whisper/ggml-tiny.en.bin")),
            Some(PathBuf::from("m/whisper/ct2-tiny.en"))
        );
        assert_eq!(ct2_dir_for(Path::new("m/whisper/model.bin")), None);
    }

    #[test]
    fn truncated_ct2_headers_are_errors() {
        let mut data = Vec::new();
        data.extend_from_slice(&6u32.to_le_bytes());
        data.extend_from_slice(&12u16.to_le_bytes());
        data.extend_from_slice(b"WhisperSpec\0");
        data.extend_from_slice(&3u32.to_le_bytes());
        data.extend_from_slice(&1u32.to_le_bytes());
        for cut in 0..data.len() {
            assert!(parse_ct2(&data[..cut]).is_err(), "cut at {cut}");
        }
        // A variable claiming more bytes than its shape holds.
        let mut bad = data.clone();
        bad.extend_from_slice(&2u16.to_le_bytes());
        bad.extend_from_slice(b"x\0");
        bad.push(1);
        bad.extend_from_slice(&4u32.to_le_bytes());
        bad.push(4);
        bad.extend_from_slice(&u32::MAX.to_le_bytes());
        let err = parse_ct2(&bad).err().unwrap_or_default();
        assert!(err.contains("bytes for shape"), "{err}");
        let wrong_version = [5u8, 0, 0, 0];
        assert!(parse_ct2(&wrong_version).is_err());
    }
}
