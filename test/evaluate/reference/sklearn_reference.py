#!/usr/bin/python3
"""Cross-check of edgewise's metric definitions against scikit-learn (and scipy for temperature scaling).

Generates a fixed random case (seeded), computes the reference values and writes them to
sklearn_expected.json beside this script. The vitest suite (test/evaluate/sklearn-crosscheck.test.ts) reads
that fixture and compares, so the tests never need Python. Regenerate with:

    /usr/bin/python3 test/evaluate/reference/sklearn_reference.py

Written against Debian's python3-sklearn 1.2.1 / python3-scipy.
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.metrics import (accuracy_score, brier_score_loss, confusion_matrix, log_loss,
                             precision_recall_fscore_support, top_k_accuracy_score)

rng = np.random.default_rng(20261129)
K, N, NV = 6, 400, 300


def make(n):
    # Class 5 never occurs in the truth and gets tiny probabilities (absent from truth and predictions);
    # class 4 never occurs in the truth but is sometimes predicted (false positives only).
    truth = rng.integers(0, 4, size=n)
    logits = rng.normal(0, 1.0, size=(n, K))
    logits[np.arange(n), truth] += 1.6
    logits[:, 4] += 0.3
    logits[:, 5] -= 8.0
    logits *= 2.5  # over-confident on purpose
    p = np.exp(log_softmax(logits, axis=1))
    return p, truth


p, y = make(N)
pv, yv = make(NV)
pred = p.argmax(axis=1)  # numpy argmax: lower index on ties

labels_all = list(range(K))

# Guo et al. 2017 ECE: 15 equal-width bins, in_bin = lo < conf <= hi.
def ece_equal_width(p, y, B=15):
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    edges = [i / B for i in range(B + 1)]
    ece, mce, bins = 0.0, 0.0, []
    for b in range(B):
        lo, hi = edges[b], edges[b + 1]
        m = (conf > lo) & (conf <= hi) if b > 0 else (conf <= hi)
        cnt = int(m.sum())
        if cnt:
            acc, cf = correct[m].mean(), conf[m].mean()
            ece += cnt / len(conf) * abs(acc - cf)
            mce = max(mce, abs(acc - cf))
            bins.append({"count": cnt, "accuracy": acc, "confidence": cf})
        else:
            bins.append({"count": 0, "accuracy": None, "confidence": None})
    return ece, mce, bins


def ece_equal_mass(p, y, B=15):
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    order = np.argsort(conf, kind="stable")
    n = len(conf)
    B = min(B, n)
    bounds = (np.arange(B + 1) * n) // B
    ece = 0.0
    for b in range(B):
        idx = order[bounds[b]:bounds[b + 1]]
        ece += len(idx) / n * abs(correct[idx].mean() - conf[idx].mean())
    return ece


def fit_temperature(p, y):
    z = np.log(p)  # the case has no zero probabilities
    f = lambda t: -log_softmax(z / np.exp(t), axis=1)[np.arange(len(y)), y].mean()
    r = minimize_scalar(f, bounds=(np.log(0.05), np.log(20)), method="bounded", options={"xatol": 1e-9})
    return float(np.exp(r.x)), float(f(0.0)), float(r.fun)


prec, rec, f1, sup = precision_recall_fscore_support(y, pred, labels=labels_all, zero_division=0)
macro = precision_recall_fscore_support(y, pred, average="macro", zero_division=0)
weighted = precision_recall_fscore_support(y, pred, average="weighted", zero_division=0)
ece, mce, bins = ece_equal_width(p, y)
T, nll_before, nll_after = fit_temperature(pv, yv)
zt = np.log(p)
p_scaled = np.exp(log_softmax(zt / T, axis=1))

# A small case with exact ties for top-1: argmax takes the lower index, as accuracy_score(argmax) does.
ties_p = np.array([[0.4, 0.4, 0.2], [0.3, 0.35, 0.35], [0.5, 0.25, 0.25], [1 / 3, 1 / 3, 1 / 3]])
ties_y = np.array([1, 1, 0, 0])

out = {
    "generated_by": "test/evaluate/reference/sklearn_reference.py",
    "sklearn_version": sklearn.__version__,
    "scipy_version": scipy.__version__,
    "numpy_version": np.__version__,
    "num_classes": K,
    "test": {"probs": p.tolist(), "truth": y.tolist()},
    "validation": {"probs": pv.tolist(), "truth": yv.tolist()},
    "expected": {
        "top1": accuracy_score(y, pred),
        "top2": top_k_accuracy_score(y, p, k=2, labels=labels_all),
        "top3": top_k_accuracy_score(y, p, k=3, labels=labels_all),
        "confusion_matrix": confusion_matrix(y, pred, labels=labels_all).tolist(),
        "per_class": {"precision": prec.tolist(), "recall": rec.tolist(), "f1": f1.tolist(), "support": sup.tolist()},
        "macro": {"precision": macro[0], "recall": macro[1], "f1": macro[2]},
        "weighted": {"precision": weighted[0], "recall": weighted[1], "f1": weighted[2]},
        "nll": log_loss(y, p, labels=labels_all),
        "brier": float(sum(brier_score_loss((y == k).astype(int), p[:, k]) for k in range(K))),
        "ece_equal_width": ece,
        "mce": mce,
        "reliability": bins,
        "ece_equal_mass": ece_equal_mass(p, y),
        "temperature": T,
        "nll_validation_before": nll_before,
        "nll_validation_after": nll_after,
        "nll_test_after_temperature": log_loss(y, p_scaled, labels=labels_all),
        "ece_test_after_temperature": ece_equal_width(p_scaled, y)[0],
    },
    "ties": {
        "probs": ties_p.tolist(),
        "truth": ties_y.tolist(),
        "top1": accuracy_score(ties_y, ties_p.argmax(axis=1)),
    },
}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sklearn_expected.json")
with open(path, "w") as fh:
    json.dump(out, fh)
    fh.write("\n")
print(f"wrote {path}: top1={out['expected']['top1']:.4f} ece={ece:.4f} T={T:.4f} nll {nll_before:.4f}->{nll_after:.4f}")
