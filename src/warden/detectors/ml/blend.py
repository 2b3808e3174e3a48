"""What the deeper tier reports: per category, a blend of the fast tier's and
the deep model's scores, ``P = sigmoid(a * fast + b * deep + c)`` on their
log-odds scales, with its own threshold.

Neither model alone is best everywhere (the fast tier knows the words of the
public data sets, the deep model the meaning of plain-word abuse); the blend
beats both on held-out data (``models/DEEP_MODEL_CARD.md``). Its weights are
a logistic regression fitted on the calibration split by
``training/deep_blend.py`` against ONE fast-tier version and ONE deep-model
version; the file names both, and a blend is refused with any other pair (a
retrained fast tier needs a refitted blend, not a silently skewed one).

``blend.json`` is plain data: categories, per category ``[a, b, c]`` and the
threshold, and what it was fitted on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from warden.domain.errors import ConfigurationError

BLEND_FILE = "blend.json"


@dataclass(frozen=True, slots=True)
class Blend:
    categories: tuple[str, ...]
    fast_version: str
    deep_version: str
    weights: npt.NDArray[np.float64]  # one row per category: fast, deep, bias
    thresholds: npt.NDArray[np.float64]
    meta: dict[str, Any]

    def probabilities(self, fast: npt.NDArray[np.float64], deep: npt.NDArray[np.float64]
                      ) -> npt.NDArray[np.float64]:
        """Blended probabilities from the two tiers' log-odds (rows x categories)."""
        z = fast * self.weights[:, 0] + deep * self.weights[:, 1] + self.weights[:, 2]
        out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))
        return out

    def check(self, fast_version: str, deep_version: str) -> None:
        """Refuse to blend models other than the ones the weights were fitted for."""
        if (fast_version, deep_version) != (self.fast_version, self.deep_version):
            raise ConfigurationError(
                f"the deeper tier's blend was fitted for {self.fast_version} and {self.deep_version}, but the "
                f"models are {fast_version} and {deep_version}: refit it with training/deep_blend.py")


def read_blend(directory: Path, categories: tuple[str, ...]) -> Blend:
    path = directory / BLEND_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        per = data["per_category"]
        if tuple(data["categories"]) != categories or set(per) != set(categories):
            raise ValueError(f"categories {data['categories']} do not match the model's {list(categories)}")
        weights = np.array([[float(v) for v in per[c]["weights"]] for c in categories], dtype=np.float64)
        thresholds = np.array([float(per[c]["threshold"]) for c in categories], dtype=np.float64)
        if weights.shape != (len(categories), 3) or not np.isfinite(weights).all():
            raise ValueError("each category needs three finite weights (fast, deep, bias)")
        if not ((thresholds > 0.0) & (thresholds < 1.0)).all():
            raise ValueError("thresholds must lie strictly between 0 and 1")
        return Blend(categories, str(data["fast_version"]), str(data["deep_version"]), weights, thresholds,
                     data)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigurationError(f"cannot read the deeper tier's blend {path}: {error}") from error
