"""Fine-tuning all-MiniLM-L6-v2 with a linear intent head, in JAX (CPU), no torch.

The encoder keeps its exact architecture and its output (mean-pooled, L2-normalised
embedding), so the fine-tuned weights go through the same converter (convert_minilm.py
--weights) and the same ONNX graph; the head is a linear layer on that embedding.

Training: cross-entropy with balanced class weights, AdamW (learning rates and epochs from
CONFIGS: the recipe uses "e4hi" = 4 epochs, encoder lr 5e-5, head lr 1e-2;
weight decay 0.01), linear warm-up 10% then linear decay, batch 32, no dropout, seeded
shuffling, lengths padded to a multiple of 8 (masked, so padding changes nothing).
"""
import math
import time

import numpy as np

import jax
import jax.numpy as jnp

HIDDEN, HEADS, LAYERS, LN_EPS = 384, 12, 6, 1e-12
# Named settings; the cache files and model directories carry the name.
CONFIGS = {
    "e3": {"epochs": 3, "lr_enc": 3e-5, "lr_head": 3e-3},
    "e4hi": {"epochs": 4, "lr_enc": 5e-5, "lr_head": 1e-2},
}
MAX_TOKENS = 128


def load_params(weights):
    p = {k: jnp.asarray(v) for k, v in weights.items() if v.dtype != np.int64 and not k.startswith("pooler.")}
    return p


def _ln(x, g, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / jnp.sqrt(var + LN_EPS) * g + b


def encode(W, ids, mask):
    B, T = ids.shape
    x = W["embeddings.word_embeddings.weight"][ids]
    x = x + W["embeddings.position_embeddings.weight"][:T][None]
    x = x + W["embeddings.token_type_embeddings.weight"][0][None, None]
    x = _ln(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"])
    m = mask.astype(jnp.float32)
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
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + bias
        a = jax.nn.softmax(s, axis=-1)
        ctx = (a @ v).transpose(0, 2, 1, 3).reshape(B, T, HIDDEN)
        x = _ln(lin(ctx, "attention.output.dense") + x, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"])
        h = jax.nn.gelu(lin(x, "intermediate.dense"), approximate=False)
        x = _ln(lin(h, "output.dense") + x, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"])
    pooled = (x * m[:, :, None]).sum(1) / jnp.maximum(m.sum(1, keepdims=True), 1e-9)
    return pooled / jnp.maximum(jnp.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def logits_fn(params, ids, mask):
    e = encode(params["enc"], ids, mask)
    return e @ params["head_w"] + params["head_b"]


def loss_fn(params, ids, mask, y, cw):
    lg = logits_fn(params, ids, mask)
    lp = jax.nn.log_softmax(lg, axis=-1)
    nll = -jnp.take_along_axis(lp, y[:, None], axis=1)[:, 0]
    w = cw[y]
    return (nll * w).sum() / w.sum()


def pad_batch(encs, idx):
    T = max(len(encs[i]) for i in idx)
    T = min(MAX_TOKENS, int(math.ceil(T / 8) * 8))
    ids = np.zeros((len(idx), T), dtype=np.int32)
    mask = np.zeros((len(idx), T), dtype=np.int32)
    for r, i in enumerate(idx):
        e = encs[i][:T]
        ids[r, : len(e)] = e
        mask[r, : len(e)] = 1
    return ids, mask


def train(weights, encs, y, n_classes, epochs=3, batch=32, lr_enc=3e-5, lr_head=3e-3, wd=0.01, seed=0, log=print):
    """encs: list of token-id lists (with [CLS]/[SEP], truncated). Returns params (numpy)."""
    rng = np.random.RandomState(seed)
    counts = np.bincount(y, minlength=n_classes).astype(np.float32)
    cw = jnp.asarray(len(y) / (n_classes * np.maximum(counts, 1)))
    params = {
        "enc": load_params(weights),
        "head_w": jnp.asarray(rng.normal(0, 0.02, (HIDDEN, n_classes)).astype(np.float32)),
        "head_b": jnp.zeros((n_classes,), jnp.float32),
    }
    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    steps = epochs * int(math.ceil(len(y) / batch))
    warm = max(1, steps // 10)
    b1, b2, eps = 0.9, 0.999, 1e-8

    @jax.jit
    def step(params, m, v, t, ids, mask, yb):
        loss, g = jax.value_and_grad(loss_fn)(params, ids, mask, yb, cw)
        sched = jnp.where(t < warm, (t + 1) / warm, jnp.maximum(0.0, (steps - t) / (steps - warm)))
        m = jax.tree_util.tree_map(lambda a, b: b1 * a + (1 - b1) * b, m, g)
        v = jax.tree_util.tree_map(lambda a, b: b2 * a + (1 - b2) * b * b, v, g)
        tt = t + 1

        def upd(path, p, mm, vv):
            head = path[0].key.startswith("head")
            lr = (lr_head if head else lr_enc) * sched
            mh = mm / (1 - b1 ** tt)
            vh = vv / (1 - b2 ** tt)
            decay = 0.0 if (p.ndim == 1) else wd
            return p - lr * (mh / (jnp.sqrt(vh) + eps) + decay * p)

        params = jax.tree_util.tree_map_with_path(upd, params, m, v)
        return params, m, v, loss

    t = 0
    t0 = time.time()
    for ep in range(epochs):
        order = rng.permutation(len(y))
        # Batches of similar length (sorted within chunks of 50 batches) bound padding.
        chunks = [order[i:i + batch * 50] for i in range(0, len(order), batch * 50)]
        batches = []
        for ch in chunks:
            ch = sorted(ch, key=lambda i: len(encs[i]))
            batches += [ch[i:i + batch] for i in range(0, len(ch), batch)]
        rng.shuffle(batches)
        tot = 0.0
        for bidx in batches:
            ids, mask = pad_batch(encs, bidx)
            params, m, v, loss = step(params, m, v, jnp.float32(t), ids, mask, jnp.asarray(y[bidx]))
            tot += float(loss)
            t += 1
        log(f"    epoch {ep + 1}/{epochs}: loss {tot / len(batches):.4f} ({time.time() - t0:.0f} s)")
    return jax.tree_util.tree_map(np.asarray, params)


def embed(params, encs, batch=64):
    f = jax.jit(lambda W, ids, mask: encode(W, ids, mask))
    order = sorted(range(len(encs)), key=lambda i: len(encs[i]))
    out = np.zeros((len(encs), HIDDEN), dtype=np.float32)
    W = jax.tree_util.tree_map(jnp.asarray, params["enc"])
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        ids, mask = pad_batch(encs, idx)
        out[idx] = np.asarray(f(W, ids, mask))
    return out
