#!/usr/bin/env python3
"""Trains the intent classifier from assets/nlu/train/ and writes models/intent/.

Inputs come from the Rust side (crates/nlu/examples/nlu_features.rs): the hashed n-gram
features and the sentence encoder's embedding (all-MiniLM-L6-v2, built by
tools/convert_minilm.py), so training and inference share one implementation. The model
is a multinomial logistic regression over [n-grams ; embedding x EMBEDDING_WEIGHT],
calibrated by temperature scaling on out-of-fold predictions, and exported as an ONNX
graph that takes the sparse features and the embedding directly:

    indices int64[N], values float[N], embedding float[384]
      ->  sum(Gather(W) * values) + embedding @ E + b -> / T -> softmax

The operating point (`decision` in the manifest) is chosen on the same out-of-fold
predictions: the confidence an order-changing intent needs, and the most probability it
may leave to `Fallback`.

Two small heads read the embedding alone and tell why an item is returned (`reasons` in
the manifest, from assets/nlu/train/return_reasons.tsv) and why an order is cancelled
(`cancel_reasons`, from cancel_reasons.tsv): the understanding takes their answer when no
phrase names the reason.

The held-out sets are never read here (crates/tidy checks it).

Usage: python tools/train_intent.py   (about five minutes on 2 cores; needs the encoder that
       `bash scripts/setup.sh` builds in models/encoder/)
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
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
TRAIN_DIR = ROOT / "assets" / "nlu" / "train"
OUT_DIR = ROOT / "models" / "intent"
MODEL_VERSION = 2
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
# The sentence encoder (see crates/nlu/src/encoder.rs); its files are built by setup.
ENCODER = {
    "model": "encoder/minilm-l6.int8.onnx",
    "model_sha256": None,  # filled in from the file the features were computed with
    "tokenizer": "encoder/tokenizer.json",
    "dim": 384,
    "max_tokens": 128,
}
EMBEDDING_WEIGHT = 1.0
# The return-reason head (see crates/nlu/src/classifier.rs `ReasonHead`).
REASONS_FILE = ROOT / "assets" / "nlu" / "train" / "return_reasons.tsv"
# The cancel-reason head, trained the same way.
CANCEL_REASONS_FILE = ROOT / "assets" / "nlu" / "train" / "cancel_reasons.tsv"
REASON_C_GRID = [1.0, 3.0, 10.0]
REASON_BAR_GRID = [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]
# The share of `none` lines a head may give a reason, out of fold. A return reason
# chooses the remedy (a damaged item is replaced or refunded without coming back first),
# so it is held tight; a cancel reason is only recorded with the cancellation, and a
# reason missed costs a question, so its head may be bolder.
REASON_MAX_FALSE = {"reason": 0.03, "cancel_reason": 0.07}
# The configured confidence threshold (nlu.confidence_threshold's default): every intent
# needs it; order-changing intents need the bar chosen below on top.
THRESHOLD = 0.45
# Candidate operating points for order-changing intents: the confidence they need, and
# the most probability they may leave to Fallback (1.0: no limit). Of the points whose
# out-of-fold in-scope accuracy cost (absolute) is within ORDER_CHANGE_MAX_COST, the one
# that takes the fewest out-of-scope requests for an order change is chosen.
# The bar starts at the 0.55 earlier models shipped with: a mid-conversation answer
# that scores an order intent just above the threshold ("the navy one, it's too small",
# ReturnItem 0.47) is an answer, and the dialog reads it as a new request if trusted.
ORDER_CHANGE_GRID = [0.55, 0.6, 0.65, 0.7, 0.75, 0.8]
FALLBACK_LIMIT_GRID = [1.0, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.07, 0.05]
# Out of fold the training lines are harder than callers' words (they are written to
# sit on the boundaries), so their cost overstates a limit's: on blind sets a Fallback
# limit of 0.2 cost no more than one in-scope line in four hundred and took out most
# of the out-of-scope requests heard as a change.
ORDER_CHANGE_MAX_COST = 0.015
# As crates/nlu/src/classifier.rs `changes_orders`.
CHANGES_ORDERS = {
    "CancelOrder", "ReturnItem", "ExchangeItem", "RescheduleDelivery", "ChangeAddress",
    "ConfirmOrder", "PlaceOrder", "Reorder", "ManageSubscription", "ReportProblem",
}


# How much more a Fallback line weighs than the balanced weight gives it.
FALLBACK_WEIGHT = 3.0
# Fallback's index among the sorted labels, set once they are known.
FALLBACK_INDEX = [0]


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
    """(sparse n-gram features, dense embeddings) of each text, from the Rust side."""
    spec_path = OUT_DIR / "feature_spec.tmp.json"
    encoder_path = OUT_DIR / "encoder_spec.tmp.json"
    spec_path.write_text(json.dumps(SPEC))
    encoder_path.write_text(json.dumps(ENCODER))
    try:
        proc = subprocess.run(
            ["cargo", "run", "--quiet", "-p", "voxorder-nlu", "--example", "nlu_features", "--",
             str(spec_path), str(encoder_path)],
            input="\n".join(texts) + "\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
            env=dict(os.environ, VOXORDER_MODELS=str(ROOT / "models")),
        )
    except subprocess.CalledProcessError as e:
        sys.exit(f"train: featuriser failed:\n{e.stderr}")
    finally:
        spec_path.unlink(missing_ok=True)
        encoder_path.unlink(missing_ok=True)
    rows, cols, vals, emb = [], [], [], []
    lines = proc.stdout.splitlines()
    assert len(lines) == len(texts), (len(lines), len(texts))
    for r, line in enumerate(lines):
        f = json.loads(line)
        rows.extend([r] * len(f["i"]))
        cols.extend(f["i"])
        vals.extend(f["v"])
        emb.append(f["e"])
    X = csr_matrix((vals, (rows, cols)), shape=(len(texts), SPEC["dim"]), dtype=np.float64)
    E = np.array(emb, dtype=np.float64)
    assert E.shape == (len(texts), ENCODER["dim"]), E.shape
    return X, E


def combine(X, E):
    return hstack([X, csr_matrix(E * EMBEDDING_WEIGHT)]).tocsr()


def fit(X, y, c):
    # Balanced weights: Fallback has ten times the examples of an intent, and without
    # them short answers ("aye", "come again") drift into it. Balanced alone, though, one
    # Fallback line weighs a tenth of an intent's and the head does not learn the
    # everyday requests that share the shop's words ("return the favour", "a return
    # ticket"): FALLBACK_WEIGHT gives them back part of their weight.
    counts = np.bincount(y)
    weights = len(y) / (len(counts) * counts)
    weights[FALLBACK_INDEX[0]] *= FALLBACK_WEIGHT
    clf = LogisticRegression(C=c, max_iter=1000, tol=1e-4,
                             class_weight=dict(enumerate(weights)))
    clf.fit(X, y)
    return clf


def nll(logits, y, t):
    z = logits / t
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def probabilities(logits, t):
    z = logits / t
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def decide(p, classes, bar, max_fallback=1.0):
    """The intents the product acts on: below the threshold, or an order change below
    its bar or leaving Fallback more than `max_fallback`, is Fallback (as
    crates/nlu/src/classifier.rs `Decision::trusts` decides)."""
    fb = classes.index("Fallback")
    changes = np.array([c in CHANGES_ORDERS for c in classes])
    best, conf = p.argmax(axis=1), p.max(axis=1)
    need = np.where(changes[best], max(bar, THRESHOLD), THRESHOLD)
    refused = (conf < need) | (changes[best] & (p[:, fb] > max_fallback))
    return np.where(refused, fb, best)


def choose_operating_point(p, y, classes):
    """Of the (bar, Fallback limit) points whose out-of-fold in-scope accuracy cost stays
    within the limit, the one taking the fewest out-of-scope requests for a change (then
    the most accurate)."""
    fb = classes.index("Fallback")
    changes = np.array([c in CHANGES_ORDERS for c in classes])
    inscope = y != fb
    base = (decide(p, classes, THRESHOLD)[inscope] == y[inscope]).mean()
    chosen, key, table = (THRESHOLD, 1.0), None, []
    for bar in ORDER_CHANGE_GRID:
        for limit in FALLBACK_LIMIT_GRID:
            d = decide(p, classes, bar, limit)
            acc = (d[inscope] == y[inscope]).mean()
            oos_recall = (d[~inscope] == fb).mean()
            oos_change = changes[d[~inscope]].mean()
            table.append({"bar": bar, "max_fallback": limit,
                          "in_scope_accuracy": round(float(acc), 4),
                          "out_of_scope_recall": round(float(oos_recall), 4),
                          "out_of_scope_as_change": round(float(oos_change), 4)})
            if base - acc <= ORDER_CHANGE_MAX_COST and (key is None or (oos_change, -acc) < key):
                chosen, key = (bar, limit), (oos_change, -acc)
    # The manifest keeps the bars alone and the limits at the chosen bar.
    table = [r for r in table if r["max_fallback"] == 1.0 or r["bar"] == chosen[0]]
    for row in table:
        print(f"bar {row['bar']:.2f}, Fallback at most {row['max_fallback']:.2f}: in-scope "
              f"{row['in_scope_accuracy']:.4f}, out-of-scope recall {row['out_of_scope_recall']:.4f}, "
              f"taken as a change {row['out_of_scope_as_change']:.4f}", file=sys.stderr)
    return chosen, table


def export(clf, classes, temperature, path):
    dim = SPEC["dim"]
    W = clf.coef_[:, :dim].T.astype(np.float32)  # [dim, classes]
    E = (clf.coef_[:, dim:].T * EMBEDDING_WEIGHT).astype(np.float32)  # [384, classes]
    b = clf.intercept_.astype(np.float32)
    n = len(classes)
    nodes = [
        helper.make_node("Gather", ["W", "indices"], ["rows"], axis=0),
        helper.make_node("Unsqueeze", ["values", "axis1"], ["values_col"]),
        helper.make_node("Mul", ["rows", "values_col"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "axis0"], ["summed"], keepdims=0),
        helper.make_node("MatMul", ["embedding", "E"], ["from_embedding"]),
        helper.make_node("Add", ["summed", "from_embedding"], ["both"]),
        helper.make_node("Add", ["both", "b"], ["logits"]),
        helper.make_node("Div", ["logits", "T"], ["scaled"]),
        helper.make_node("Softmax", ["scaled"], ["probabilities"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "voxorder_intent",
        [
            helper.make_tensor_value_info("indices", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("values", TensorProto.FLOAT, ["N"]),
            helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [ENCODER["dim"]]),
        ],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [n]),
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, [n]),
        ],
        initializer=[
            numpy_helper.from_array(W, "W"),
            numpy_helper.from_array(E, "E"),
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


def reason_data(path):
    """(labels, texts) of a reason file, and its sha256 as the Rust side computes it
    (crates/nlu/src/classifier.rs `reason_data_sha256`)."""
    labels, texts = [], []
    digest = hashlib.sha256()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        digest.update(f"{line}\n".encode("utf-8"))
        label, text = line.split("\t", 1)
        labels.append(label.strip())
        texts.append(text.strip())
    return labels, texts, digest.hexdigest()


def train_reasons(path, name):
    """A reason head over the sentence embedding: a multinomial logistic regression, C
    chosen on out-of-fold accuracy, and the probability a reason needs chosen so that at
    most REASON_MAX_FALSE[name] of the `none` lines get one out of fold."""
    labels, texts, data_sha = reason_data(path)
    classes = sorted(set(labels))
    assert "none" in classes, classes
    y = np.array([classes.index(l) for l in labels])
    print(f"{name}: {len(texts)} lines, {len(classes)} labels", file=sys.stderr)
    _, E = featurize(texts)
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED).split(E, y))
    best = None
    for c in REASON_C_GRID:
        p = np.zeros((len(y), len(classes)))
        for tr, te in folds:
            clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
            clf.fit(E[tr], y[tr])
            p[te] = clf.predict_proba(E[te])
        acc = (p.argmax(axis=1) == y).mean()
        print(f"{name} C={c}: cross-validated accuracy {acc:.4f}", file=sys.stderr)
        if best is None or acc > best[1]:
            best = (c, acc, p)
    c, acc, p = best
    none = classes.index("none")
    top, conf = p.argmax(axis=1), p.max(axis=1)
    bar = REASON_BAR_GRID[-1]
    for b in REASON_BAR_GRID:
        given = (top != none) & (conf >= b)
        false_rate = given[y == none].mean()
        right = (given & (top == y))[y != none].mean()
        print(f"{name} bar {b:.2f}: a reason for {false_rate:.3f} of none lines, "
              f"right reason for {right:.3f} of reason lines", file=sys.stderr)
        if false_rate <= REASON_MAX_FALSE[name]:
            bar = b
            break
    clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    clf.fit(E, y)
    print(f"{name}: chosen C={c}, bar {bar}", file=sys.stderr)
    return {
        "labels": classes,
        "weights": [[round(float(w), 6) for w in row] for row in clf.coef_],
        "bias": [round(float(b), 6) for b in clf.intercept_],
        "min_confidence": bar,
        "data_sha256": data_sha,
    }, {f"{name}_lines": len(texts), f"{name}_C": c, f"{name}_cv_accuracy": round(float(acc), 4)}


def main():
    t0 = time.time()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    labels, texts, data_sha = training_data()
    classes = sorted(set(labels))
    y = np.array([classes.index(l) for l in labels])
    FALLBACK_INDEX[0] = classes.index("Fallback")
    print(f"{len(texts)} utterances, {len(classes)} intents", file=sys.stderr)
    encoder_file = ROOT / "models" / ENCODER["model"]
    if not encoder_file.exists():
        sys.exit(f"train: {encoder_file} is missing: run `bash scripts/setup.sh` first")
    ENCODER["model_sha256"] = hashlib.sha256(encoder_file.read_bytes()).hexdigest()
    X, E = featurize(texts)
    X = combine(X, E)

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
    (bar, limit), bar_table = choose_operating_point(probabilities(oof, temperature), y, classes)
    print(f"chosen order-change bar {bar}, Fallback at most {limit}", file=sys.stderr)

    reasons, reason_info = train_reasons(REASONS_FILE, "reason")
    cancel_reasons, cancel_info = train_reasons(CANCEL_REASONS_FILE, "cancel_reason")

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
        "encoder": ENCODER,
        "decision": {"order_change_min": bar, "order_change_max_fallback": limit},
        "reasons": reasons,
        "cancel_reasons": cancel_reasons,
        "training": {
            "data_sha256": data_sha,
            "utterances": len(texts),
            "C": c,
            "cv_accuracy": round(float(cv_acc), 4),
            "embedding_weight": EMBEDDING_WEIGHT,
            "fallback_weight": FALLBACK_WEIGHT,
            "order_change_max_cost": ORDER_CHANGE_MAX_COST,
            "operating_points": bar_table,
            "seed": SEED,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit_learn": sklearn.__version__,
            "onnx": onnx.__version__,
            **reason_info,
            **cancel_info,
        },
    }
    (OUT_DIR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    size = model_path.stat().st_size
    print(f"wrote {model_path} ({size / 1e6:.1f} MB) in {time.time() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
