//! Training helper: prints the classifier features of each stdin line as JSON
//! (`{"i": [...], "v": [...]}`), using the exact featuriser inference uses.
//! Usage: `cargo run -p voxorder-nlu --example nlu_features -- SPEC.json < utterances.txt`.

use std::io::{BufRead, Write};

use voxorder_nlu::features::FeatureSpec;

fn main() -> anyhow::Result<()> {
    let spec: FeatureSpec = match std::env::args().nth(1) {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)?,
        None => FeatureSpec::default(),
    };
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lines() {
        let f = spec.featurize(&line?);
        serde_json::to_writer(
            &mut out,
            &serde_json::json!({"i": f.indices, "v": f.values}),
        )?;
        writeln!(out)?;
    }
    Ok(())
}
