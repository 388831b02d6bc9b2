#!/usr/bin/env python3
"""Turns a trained model directory (train.py's output) into the product's
models/intent/: the head, the int8 encoder and the tokenizer, a manifest v2 naming every
file with its sha256, and checks.json (the int8 pipeline's figures on ten sentences,
which crates/nlu/tests/intent_model.rs compares against).

The training data hash is recomputed over assets/nlu/train/ the way the Rust side does
(classifier::training_data_sha256), so a model that no longer matches its data is caught.

Usage:
  python3 tools/nlu/package.py --check [--out models/intent]
      exit 0 when every file the manifest names is present with its sum (setup's test);
  python3 tools/nlu/package.py TRAINED_DIR [--out models/intent]
      install the files a run of train.py made, refusing any whose sum differs from the
      committed manifest (the product pins that manifest);
  python3 tools/nlu/package.py TRAINED_DIR --update
      a new model: write the manifest and checks.json too; then set MANIFEST_SHA256 in
      crates/nlu/src/classifier.rs to the sum printed.
"""
import sys
import argparse
import hashlib
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TRAIN_DIR = ROOT / "assets" / "nlu" / "train"
HEAD = "intent_head.onnx"
ENCODER = "encoder/minilm-l6.int8.onnx"
TOKENIZER = "encoder/tokenizer.json"
EMBEDDING_DIM = 384


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def training_rows():
    """(label, text) in the order the Rust hash reads them: files by name; *.txt is one
    utterance a line labelled by the file name, *.tsv is label<TAB>utterance."""
    rows = []
    for path in sorted(p for p in TRAIN_DIR.iterdir() if p.suffix in (".txt", ".tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line:
                continue
            if path.suffix == ".tsv" and "\t" in line:
                label, text = line.split("\t", 1)
                rows.append((label.strip(), text.strip()))
            else:
                rows.append((path.stem, line))
    return rows


def data_sha256():
    h = hashlib.sha256()
    for label, text in training_rows():
        h.update(f"{label}\t{text}\n".encode("utf-8"))
    return h.hexdigest()


def up_to_date(out):
    try:
        files = json.loads((out / "manifest.json").read_text())["files"]
    except (OSError, ValueError, KeyError):
        return False
    return all((out / name).exists() and sha256_file(out / name) == sha for name, sha in files.items())


def install(src, out):
    """Copies the trained files the committed manifest names, each only if its sum is
    the one the manifest pins."""
    files = json.loads((out / "manifest.json").read_text())["files"]
    trained = json.loads((src / "manifest.json").read_text())
    enc = trained["encoder"]
    made = {HEAD: src / HEAD, ENCODER: src / enc["dir"] / enc["int8_model"],
            TOKENIZER: src / enc["dir"] / enc["tokenizer"]}
    wrong = []
    for name, sha in files.items():
        got = sha256_file(made[name])
        if got != sha:
            wrong.append(f"{name}: built {got}, manifest {sha}")
    if wrong:
        sys.exit("package: the recipe did not reproduce the committed model:\n  " + "\n  ".join(wrong)
                 + "\n(retrain on purpose with --update, or restore the cache that built it)")
    for name in files:
        dest = out / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.exists() or sha256_file(dest) != files[name]:
            tmp = dest.with_suffix(dest.suffix + ".part")
            shutil.copyfile(made[name], tmp)
            tmp.replace(dest)
    print(f"package: installed {', '.join(files)} in {out}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trained", nargs="?")
    ap.add_argument("--out", default=str(ROOT / "models" / "intent"))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--update", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    if args.check:
        sys.exit(0 if up_to_date(out) else 1)
    if not args.trained:
        ap.error("TRAINED_DIR is needed")
    src = Path(args.trained)
    if not args.update:
        install(src, out)
        return
    trained = json.loads((src / "manifest.json").read_text())
    checks = json.loads((src / "checks_int8.json").read_text())
    enc = trained["encoder"]
    (out / "encoder").mkdir(parents=True, exist_ok=True)
    for name, from_ in [(HEAD, HEAD), (ENCODER, f"{enc['dir']}/{enc['int8_model']}"),
                        (TOKENIZER, f"{enc['dir']}/{enc['tokenizer']}")]:
        dest = out / name
        if not dest.exists() or sha256_file(dest) != sha256_file(src / from_):
            tmp = dest.with_suffix(dest.suffix + ".part")
            shutil.copyfile(src / from_, tmp)
            tmp.replace(dest)
    files = {name: sha256_file(out / name) for name in (HEAD, ENCODER, TOKENIZER)}
    for name in (HEAD, ENCODER, TOKENIZER):
        want = trained["files"].get(name) or trained["files"].get(
            name.replace("minilm-l6.int8.onnx", enc["int8_model"]))
        assert want == files[name], f"{name}: copied file differs from the trained one"
    conv = enc["converter"]
    rows = training_rows()
    manifest = {
        "model_version": 2,
        "labels": trained["labels"],
        "reject_labels": trained["reject_labels"],
        "order_changing": trained["order_changing"],
        "features": trained["features"],
        "head": HEAD,
        "encoder": {
            "model": ENCODER,
            "tokenizer": TOKENIZER,
            "max_tokens": enc["max_tokens"],
            "dim": EMBEDDING_DIM,
            "quantization": "int8, per-channel MatMul and Gather weights",
            "pooling": enc["pooling"],
            "fine_tuned": enc["fine_tuned"],
            "base": {"package": conv["package"], "wheel_sha256": conv["wheel_sha256"]},
            "fp32_sha256": conv["outputs"]["minilm-l6.onnx"],
            "int8_min_cosine_vs_fp32": conv["verification"]["int8_min_cosine_vs_fp32"],
        },
        "temperature": trained["temperature"],
        "w_ngram": trained["w_ngram"],
        "rule": trained["rule"],
        "dev": trained["dev"],
        "files": files,
        "training": {
            "data_sha256": data_sha256(),
            "utterances": len(rows),
            "C_ngram": trained["training"]["C_ngram"],
            "fine_tune": trained["training"]["fine_tune"],
            "seed": trained["training"]["seed"],
            "versions": trained["training"]["versions"],
        },
    }
    assert manifest["training"]["utterances"] == trained["training"]["utterances"], \
        "assets/nlu/train/ holds other data than the model was trained on"
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (out / "checks.json").write_text(json.dumps(checks, indent=1) + "\n")
    print(f"package: {out} (manifest sha256 {sha256_file(out / 'manifest.json')})")


if __name__ == "__main__":
    main()
