"""Registers the deeper tier (``ml_deep``) as an OPT-IN detector: created only
when named (``registry.create([..., "ml_deep"])``), never by default, and only
when the ``deep`` extra is installed and the artefact is present. Kept apart
from ``deep.py`` so that importing the registry never imports onnxruntime.

The factory wires the fast tier in, so inbound texts reach the deep model only
when the fast tier's probability is near one of its thresholds; drafts
(outbound) always do.
"""

from __future__ import annotations

from warden.detectors.base import Detector
from warden.detectors.ml.deep import DEEP_DIR, DeepDetector, available
from warden.detectors.registry import register


def _deep_detector() -> Detector:
    from warden.detectors.ml.detector import MLDetector

    return DeepDetector(MLDetector(), DEEP_DIR)


if available():
    register("ml_deep", opt_in=True)(_deep_detector)
