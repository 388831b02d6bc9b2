//! Training helper: prints the classifier inputs of each stdin line as JSON, using the
//! exact featuriser and sentence encoder inference uses: `{"i": [...], "v": [...]}` (the
//! hashed n-grams) and, given an encoder spec, `"e": [...]` (the embedding).
//! Usage: `cargo run -p voxorder-nlu --example nlu_features -- SPEC.json [ENCODER.json]
//! < utterances.txt`; the encoder's files are found below `models/` (or `VOXORDER_MODELS`).

use std::io::{BufRead, Write};

use voxorder_nlu::encoder::{EncoderSpec, SentenceEncoder};
use voxorder_nlu::features::FeatureSpec;
use voxorder_runtime::paths;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let spec: FeatureSpec = match args.next() {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)?,
        None => FeatureSpec::default(),
    };
    let encoder = match args.next() {
        Some(path) => {
            let spec: EncoderSpec = serde_json::from_str(&std::fs::read_to_string(path)?)?;
            let models = paths::models_dir();
            Some(SentenceEncoder::load(
                &models,
                &spec,
                &paths::ort_lib(&models),
            )?)
        }
        None => None,
    };
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lines() {
        let line = line?;
        let f = spec.featurize(&line);
        let mut row = serde_json::json!({"i": f.indices, "v": f.values});
        if let Some(encoder) = &encoder {
            row["e"] = serde_json::json!(encoder.embed(&line)?);
        }
        serde_json::to_writer(&mut out, &row)?;
        writeln!(out)?;
    }
    Ok(())
}
