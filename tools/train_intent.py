#!/usr/bin/env python3
"""Trains the intent classifier from assets/nlu/train/ and writes models/intent/.

Features come from the Rust featuriser (crates/nlu/examples/nlu_features.rs), so training and
inference share one implementation. The model is a multinomial logistic regression over
hashed sparse features, calibrated by temperature scaling on out-of-fold predictions, and
exported as an ONNX graph that takes the sparse features directly:

    indices int64[N], values float[N]  ->  Gather(W) * values -> sum -> + b -> / T -> softmax

The held-out sets are never read here (crates/tidy checks it).

Usage: python tools/train_intent.py   (about a minute on 2 cores)
"""
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import scipy
import sklearn
from onnx import TensorProto, helper, numpy_helper
from scipy.optimize import minimize_scalar
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
TRAIN_DIR = ROOT / "assets" / "nlu" / "train"
OUT_DIR = ROOT / "models" / "intent"
MODEL_VERSION = 1
SEED = 20261121

# Featuriser parameters (see crates/nlu/src/features.rs); they travel in the manifest.
SPEC = {
    "version": 1,
    "dim": 1 << 16,
    "char_ngram_min": 3,
    "char_ngram_max": 5,
    "word_weight": 1.0,
    "bigram_weight": 1.0,
    "char_weight": 0.5,
}
C_GRID = [10.0, 30.0]


def training_data():
    """(labels, texts) in a stable order, and the sha256 the Rust side recomputes."""
    labels, texts = [], []
    digest = hashlib.sha256()
    for path in sorted(TRAIN_DIR.glob("*.txt")):
        intent = path.stem
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line:
                continue
            labels.append(intent)
            texts.append(line)
            digest.update(f"{intent}\t{line}\n".encode("utf-8"))
    return labels, texts, digest.hexdigest()


def featurize(texts):
    spec_path = OUT_DIR / "feature_spec.tmp.json"
    spec_path.write_text(json.dumps(SPEC))
    try:
        proc = subprocess.run(
            ["cargo", "run", "--quiet", "-p", "voxorder-nlu", "--example", "nlu_features", "--", str(spec_path)],
            input="\n".join(texts) + "\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
    finally:
        spec_path.unlink(missing_ok=True)
    rows, cols, vals = [], [], []
    lines = proc.stdout.splitlines()
    assert len(lines) == len(texts), (len(lines), len(texts))
    for r, line in enumerate(lines):
        f = json.loads(line)
        rows.extend([r] * len(f["i"]))
        cols.extend(f["i"])
        vals.extend(f["v"])
    return csr_matrix((vals, (rows, cols)), shape=(len(texts), SPEC["dim"]), dtype=np.float64)


def fit(X, y, c):
    # Balanced weights: Fallback has twice the examples of other intents, and without
    # them short answers ("aye", "come again") drift into it.
    clf = LogisticRegression(C=c, max_iter=1000, tol=1e-4, class_weight="balanced")
    clf.fit(X, y)
    return clf


def nll(logits, y, t):
    z = logits / t
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def export(clf, classes, temperature, path):
    W = clf.coef_.T.astype(np.float32)  # [dim, classes]
    b = clf.intercept_.astype(np.float32)
    n = len(classes)
    nodes = [
        helper.make_node("Gather", ["W", "indices"], ["rows"], axis=0),
        helper.make_node("Unsqueeze", ["values", "axis1"], ["values_col"]),
        helper.make_node("Mul", ["rows", "values_col"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "axis0"], ["summed"], keepdims=0),
        helper.make_node("Add", ["summed", "b"], ["logits"]),
        helper.make_node("Div", ["logits", "T"], ["scaled"]),
        helper.make_node("Softmax", ["scaled"], ["probabilities"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "voxorder_intent",
        [
            helper.make_tensor_value_info("indices", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("values", TensorProto.FLOAT, ["N"]),
        ],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [n]),
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, [n]),
        ],
        initializer=[
            numpy_helper.from_array(W, "W"),
            numpy_helper.from_array(b, "b"),
            numpy_helper.from_array(np.array(temperature, dtype=np.float32), "T"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
            numpy_helper.from_array(np.array([0], dtype=np.int64), "axis0"),
        ],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17)],
        producer_name="voxorder-train-intent",
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def main():
    t0 = time.time()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    labels, texts, data_sha = training_data()
    classes = sorted(set(labels))
    y = np.array([classes.index(l) for l in labels])
    print(f"{len(texts)} utterances, {len(classes)} intents", file=sys.stderr)
    X = featurize(texts)

    # Choose C and calibrate on out-of-fold predictions of the training data only.
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED).split(X, y))
    best = None
    for c in C_GRID:
        logits = np.zeros((len(y), len(classes)))
        for tr, te in folds:
            clf = fit(X[tr], y[tr], c)
            logits[te] = clf.decision_function(X[te])
        acc = (logits.argmax(axis=1) == y).mean()
        print(f"C={c}: cross-validated accuracy {acc:.4f}", file=sys.stderr)
        if best is None or acc > best[1]:
            best = (c, acc, logits)
    c, cv_acc, oof = best
    temperature = float(minimize_scalar(lambda t: nll(oof, y, t), bounds=(0.05, 20.0), method="bounded").x)
    print(f"chosen C={c}, temperature {temperature:.3f}", file=sys.stderr)

    clf = fit(X, y, c)
    model_path = OUT_DIR / "intent.onnx"
    export(clf, classes, temperature, model_path)
    model_sha = hashlib.sha256(model_path.read_bytes()).hexdigest()
    manifest = {
        "model_version": MODEL_VERSION,
        "model_file": "intent.onnx",
        "model_sha256": model_sha,
        "labels": classes,
        "features": SPEC,
        "temperature": temperature,
        "training": {
            "data_sha256": data_sha,
            "utterances": len(texts),
            "C": c,
            "cv_accuracy": round(float(cv_acc), 4),
            "seed": SEED,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit_learn": sklearn.__version__,
            "onnx": onnx.__version__,
        },
    }
    (OUT_DIR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    size = model_path.stat().st_size
    print(f"wrote {model_path} ({size / 1e6:.1f} MB) in {time.time() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
