"""Shared pieces of the intent-model recipe: training data, n-gram features, tokeniser,
decision rule. Reads assets/nlu/train/ only; the held-out sets are never read here.

Row order matters (it fixes the fine-tuning batches and the solver's sums): the intent
files in name order, then OutOfScope.txt, then paraphrases.tsv.
"""
import hashlib
import json
import os
import subprocess
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from scipy.sparse import csr_matrix

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TRAIN_DIR = ROOT / "assets" / "nlu" / "train"
OOS_FILE = TRAIN_DIR / "OutOfScope.txt"
PARA_FILE = TRAIN_DIR / "paraphrases.tsv"
CACHE = Path(os.environ.get("VOXORDER_NLU_CACHE")
             or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "voxorder" / "nlu")
PARAMS = json.loads((HERE / "params.json").read_text())
SEED = PARAMS["seed"]

OOS = "OutOfScope"
FALLBACK = "Fallback"
REJECT = {OOS, FALLBACK}
CHANGING = {
    "CancelOrder", "ReturnItem", "ExchangeItem", "RescheduleDelivery", "ChangeAddress",
    "PlaceOrder", "Reorder", "ManageSubscription", "ConfirmOrder",
}

# Featuriser parameters (crates/nlu/src/features.rs); they travel in the manifest.
NGRAM_SPEC = {
    "version": 1, "dim": 1 << 16, "char_ngram_min": 3, "char_ngram_max": 5,
    "word_weight": 1.0, "bigram_weight": 1.0, "char_weight": 0.5,
}


def load_training():
    """Rows (label, text) in the recipe's order."""
    rows = []
    for path in sorted(TRAIN_DIR.glob("*.txt")):
        if path == OOS_FILE:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append((path.stem, line.strip()))
    for line in OOS_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append((OOS, line.strip()))
    for line in PARA_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            label, text = line.split("\t", 1)
            rows.append((label.strip(), text.strip()))
    return rows


def ngram_features(texts, spec=NGRAM_SPEC):
    """Sparse features from the Rust featuriser (crates/nlu/examples/nlu_features.rs),
    so training and inference share one implementation."""
    spec_path = CACHE / "ngram_spec.json"
    spec_path.parent.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(json.dumps(spec))
    proc = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "-p", "voxorder-nlu", "--example", "nlu_features", "--",
         str(spec_path)],
        input="\n".join(texts) + "\n", capture_output=True, text=True, check=True, cwd=ROOT)
    lines = proc.stdout.splitlines()
    assert len(lines) == len(texts), (len(lines), len(texts))
    rows, cols, vals = [], [], []
    for r, line in enumerate(lines):
        f = json.loads(line)
        rows.extend([r] * len(f["i"]))
        cols.extend(f["i"])
        vals.extend(f["v"])
    return csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(len(texts), spec["dim"]),
                      dtype=np.float32)


def decide(probs, classes, rule):
    """Final labels from calibrated probabilities (crates/nlu/src/reject.rs does the same).

    reject mass r = p(OutOfScope) + p(Fallback); best in-scope intent i with p_i.
      r >= p_i                                                   -> reject
      i order-changing and (r >= r_change or p_i < t_change)     -> reject
      i otherwise and p_i < t_other                              -> reject
    A rejection is labelled OutOfScope or Fallback, whichever has more probability.
    """
    ci = {c: i for i, c in enumerate(classes)}
    oos, fb = ci[OOS], ci[FALLBACK]
    inscope = np.array([i for i, c in enumerate(classes) if c not in REJECT])
    changing = np.array([classes[i] in CHANGING for i in range(len(classes))])
    best = inscope[probs[:, inscope].argmax(1)]
    p_best = probs[np.arange(len(probs)), best]
    r = probs[:, oos] + probs[:, fb]
    rej_label = np.where(probs[:, oos] >= probs[:, fb], oos, fb)
    is_ch = changing[best]
    t = np.where(is_ch, rule.get("t_change", 0.0), rule.get("t_other", 0.0))
    reject = (r >= p_best) | (p_best < t)
    if rule.get("r_change") is not None:
        reject |= is_ch & (r >= rule["r_change"])
    return np.where(reject, rej_label, best)
