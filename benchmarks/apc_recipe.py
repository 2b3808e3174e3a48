"""alt-profanity-check's method trained on Warden's data: a baseline that
separates what APC's model does from what its training data gives it.

The recipe is APC's own (``profanity_check/data/train_model.py``): TF-IDF over
words, English stop words removed, ``min_df=0.0001``; a class-balanced linear
SVM, sigmoid-calibrated by 5-fold ``CalibratedClassifierCV``; one label,
offensive or not, here Warden's ``toxicity``; the original texts, unnormalised,
as APC reads them. It is fitted on the same train-split rows (the same sources
excluded) as the Warden model it is compared with.

The shipped APC was trained on about 200,000 texts (Davidson et al. and
Wikipedia talk comments), most of which are not in ``../shared/data``: where it
beats this copy of itself, the difference is its data, not its method.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ml_data import Example
from ml_labels import UNKNOWN
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC


class ApcRecipe:
    def __init__(self, examples: Sequence[Example], exclude: tuple[str, ...] = ()) -> None:
        rows = [e for e in examples if e.split == "train" and e.source not in exclude
                and e.labels["toxicity"] != UNKNOWN]
        self.vectoriser = TfidfVectorizer(stop_words="english", min_df=0.0001)
        features = self.vectoriser.fit_transform([e.text for e in rows])
        svm = LinearSVC(class_weight="balanced", dual=False, tol=1e-2, max_iter=100_000)
        self.model = CalibratedClassifierCV(svm).fit(features, [e.labels["toxicity"] for e in rows])
        self.rows = len(rows)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.model.predict_proba(self.vectoriser.transform(list(texts)))[:, 1], dtype=np.float64)
