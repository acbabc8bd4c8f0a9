"""The harm classifier: hashed text features + lexicon hits -> logistic regression.

Follows the scikit-learn estimator contract: ``__init__`` stores parameters only, ``fit``
returns self, learned state ends in ``_``. Labels are whatever the training corpus holds
(the taxonomy is data), with ``benign`` always among them.

Why a linear model over hashed n-grams and not a transformer: no multilingual Arabic-dialect
model ships inside a registry package (PACKAGES.md §1), the budget is ~50 µs a post on one
core, and a linear model's weights can be read next to the lexicon that explains them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

N_FEATURES = 2 ** 20


class HarmModel:
    def __init__(self, C: float = 4.0, n_features: int = N_FEATURES, class_weight="balanced"):
        self.C = C
        self.n_features = n_features
        self.class_weight = class_weight

    def fit(self, X, labels: Sequence[str], sample_weight=None) -> "HarmModel":
        """Fit on ``features.feature_matrix`` output (or any CSR matrix of n_features columns)."""
        X = X.tocsr()
        # Fit on the columns any training post used (~10% of the hashed space): same model,
        # ~10x less optimiser work, and the saved model stays small.
        used = np.unique(X.indices)
        from sklearn.linear_model import LogisticRegression   # 1.5 s to import; only training needs it
        clf = LogisticRegression(C=self.C, max_iter=2000, class_weight=self.class_weight)
        clf.fit(X[:, used], np.asarray(labels), sample_weight=sample_weight)
        self.classes_ = [str(c) for c in clf.classes_]
        self.columns_ = used.astype(np.int64)
        coef, intercept = clf.coef_, clf.intercept_
        if len(self.classes_) == 2:   # binary LR: one weight row; softmax over [0, w.x + b] is the same
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.array([0.0, intercept[0]])
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = intercept.astype(np.float32)
        self._lookup()
        return self

    def _lookup(self) -> None:
        # Dense (n_features x n_classes) weights: 2**20 x 6 float32 = 25 MB, and a sparse
        # row times a dense matrix is one C loop.
        full = np.zeros((self.n_features, len(self.classes_)), dtype=np.float32)
        full[self.columns_] = self.coef_.T
        self._W = full

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities for ``features.Features`` (or a scipy sparse matrix)."""
        # The product straight from the batch's (row, column, value) triples: converting them
        # to CSR first (sorting, summing duplicates) took twice as long as the product. For a
        # few posts (an API request) scipy's constructor checks cost more than the arithmetic,
        # so their rows are summed directly (same sums: 60 against 150-300 µs for one post).
        if hasattr(X, "rows") and X.n <= 16:
            z = np.zeros((X.n, len(self.classes_)), dtype=np.float32)
            np.add.at(z, X.rows, self._W[X.cols] * X.data[:, None])
            z += self.intercept_
        else:
            z = X.tocoo() @ self._W + self.intercept_
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def save(self, path: Path, meta: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, classes=np.array(self.classes_), columns=self.columns_,
                            coef=self.coef_, intercept=self.intercept_,
                            params=np.array([self.C, self.n_features]),
                            meta=np.array([repr(meta)]))
        tmp.replace(path)   # atomic: a killed training never leaves half a model

    @classmethod
    def load(cls, path: Path) -> "HarmModel":
        z = np.load(path, allow_pickle=False)
        m = cls(C=float(z["params"][0]), n_features=int(z["params"][1]))
        m.classes_ = [str(c) for c in z["classes"]]
        m.columns_, m.coef_, m.intercept_ = z["columns"], z["coef"], z["intercept"]
        m._lookup()
        return m
