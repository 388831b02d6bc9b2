"""Reference inference for a model directory written by train.py: exactly what
the Rust side must do (features from the Rust featuriser, tokeniser + encoder ONNX,
intent_head.onnx, then the out-of-scope rule), used for evaluation and checks.json."""
import json
from pathlib import Path

import numpy as np

import common as C


class Model:
    def __init__(self, model_dir, int8=False, threads=2):
        import onnxruntime as ort

        self.dir = Path(model_dir)
        self.m = json.loads((self.dir / "manifest.json").read_text())
        self.labels = self.m["labels"]
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.head = ort.InferenceSession(str(self.dir / "intent_head.onnx"), so, providers=["CPUExecutionProvider"])
        self.enc = None
        if self.m["inputs"]["embedding"]:
            from tokenizers import Tokenizer

            e = self.m["encoder"]
            self.tok = Tokenizer.from_file(str(self.dir / e["dir"] / e["tokenizer"]))
            name = e["int8_model"] if int8 else e["model"]
            self.enc = ort.InferenceSession(str(self.dir / e["dir"] / name), so, providers=["CPUExecutionProvider"])

    def embed(self, text):
        enc = self.tok.encode(text)
        ids = np.array([enc.ids], dtype=np.int64)
        mask = np.array([enc.attention_mask], dtype=np.int64)
        return enc.ids, self.enc.run(["embedding"], {"input_ids": ids, "attention_mask": mask})[0]

    def probabilities(self, texts):
        feats = None
        if self.m["inputs"]["ngram"]:
            X = C.ngram_features(texts, self.m["features"]).tocsr()
            feats = X
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        for i, t in enumerate(texts):
            feed = {}
            if feats is not None:
                row = feats[i]
                feed["indices"] = row.indices.astype(np.int64)
                feed["values"] = row.data.astype(np.float32)
            if self.enc is not None:
                feed["embedding"] = self.embed(t)[1]
            out[i] = self.head.run(["probabilities"], feed)[0]
        return out

    def predict(self, texts):
        p = self.probabilities(texts)
        idx = C.decide(p, self.labels, {k: self.m["rule"][k] for k in ("t_change", "t_other", "r_change")})
        return [self.labels[i] for i in idx], p

    def explain(self, text):
        labels, p = self.predict([text])
        p = p[0]
        top = np.argsort(-p)[:3]
        r = {"text": text, "decision": labels[0],
             "top3": [[self.labels[i], round(float(p[i]), 5)] for i in top]}
        if self.m["inputs"]["ngram"]:
            X = C.ngram_features([text], self.m["features"])
            r["ngram_nonzero"] = int(X.nnz)
        if self.enc is not None:
            ids, e = self.embed(text)
            r["token_ids"] = list(ids)
            r["embedding_first4"] = [round(float(v), 5) for v in e[0][:4]]
        return r
