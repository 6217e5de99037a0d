"""Whether to answer: a logistic model over the matcher's named signals, fitted on labelled questions.

The matcher ranks entries and names why (`Scored.signals`). This module turns those signals into
the probability that answering with the entry is right, with weights fitted by `python -m bot
calibrate` on the project's question sets (`calibration.json` beside this file). The engine answers
when that probability reaches the fitted threshold, chosen for a stated rate of wrong answers.

Hard guards stay outside the model: an entry that fails a consistency check outright (a year, a
figure, a place or a name it does not know, outside a claim being checked) is never answered,
whatever the model says. A wrong figure is the worst failure.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CALIBRATION_PATH = Path(__file__).parent / "calibration.json"
log = logging.getLogger(__name__)

HARD_MISMATCH = 0.3
"""A consistency check at or below this factor failed outright: the hard guard declines."""

FEATURE_SIGNS: dict[str, int] = {
    "log_score": 1,
    "score_above_half": 1,
    "coverage": 1,
    "phrasing_overlap": 1,
    "fuzzy_ratio": 1,
    "intent_fit": 1,
    "focus": 1,
    "log_consistency": 1,
    "claim_mismatch": -1,
    "lead": 1,
    "relative_lead": 1,
    "common_unknown_share": -1,
    "everyday_uncovered_share": 1,
    "unknown_share": -1,
    "chatter_share": 0,
    "repaired_share": -1,
    "claim": 0,
    "log_terms": 0,
}
"""The model's inputs, each derived from the matcher's signals by `features`, with the sign its
weight must have: +1 evidence for the entry, -1 evidence against it, 0 either way (chatter, claims,
length). `calibrate` keeps each fitted weight to its sign."""
FEATURES: tuple[str, ...] = tuple(FEATURE_SIGNS)


def features(signals: Mapping[str, float]) -> dict[str, float]:
    """The model's inputs from one candidate's signals (see `FEATURES`)."""
    checks = [v for k, v in signals.items() if k.startswith("check_")]
    consistency = math.prod(checks)
    soft = [v for v in checks if HARD_MISMATCH < v < 1.0]  # a claim's figure, the answer corrects it
    return {
        "log_score": math.log(max(signals.get("score", 0.0), 1e-4)),
        "score_above_half": float(signals.get("score", 0.0) >= 0.5),
        "coverage": signals.get("coverage", 0.0),
        "phrasing_overlap": signals.get("phrasing_overlap", 0.0),
        "fuzzy_ratio": signals.get("fuzzy_ratio", 0.0),
        "intent_fit": signals.get("intent_fit", 0.0),
        "focus": signals.get("focus", 0.0),
        "log_consistency": math.log(max(consistency, 1e-4)),
        "claim_mismatch": float(len(soft)),
        "lead": signals.get("lead", 0.0),
        # the same lead, as a share of the score: 1.0 against 0.9 is closer than 0.6 against 0.2
        "relative_lead": signals.get("lead", 0.0) / max(signals.get("score", 0.0), 1e-4),
        "common_unknown_share": signals.get("common_unknown_share", 0.0),
        "everyday_uncovered_share": signals.get("everyday_uncovered_share", 0.0),
        "unknown_share": signals.get("unknown_share", 0.0),
        "chatter_share": signals.get("chatter_share", 0.0),
        "repaired_share": signals.get("repaired_share", 0.0),
        "claim": signals.get("claim", 0.0),
        "log_terms": math.log1p(signals.get("terms", 0.0)),
    }


def hard_guard(signals: Mapping[str, float]) -> str | None:
    """The name of the consistency check that rules the entry out, or None."""
    for name, value in signals.items():
        if name.startswith("check_") and value <= HARD_MISMATCH:
            return name.removeprefix("check_")
    return None


@dataclass(frozen=True, slots=True)
class Calibration:
    """Fitted weights (on standardised features), the threshold and how they were obtained."""

    weights: dict[str, float]
    bias: float
    mean: dict[str, float]
    scale: dict[str, float]
    threshold: float
    """Answer at or above this probability."""
    target: str = ""
    """The rate of wrong answers the threshold was chosen for, in words."""

    def contributions(self, signals: Mapping[str, float]) -> dict[str, float]:
        """Each feature's share of the log-odds, for `ask --explain`."""
        x = features(signals)
        return {
            name: self.weights[name] * (x[name] - self.mean[name]) / self.scale[name] for name in self.weights
        }

    def probability(self, signals: Mapping[str, float]) -> float:
        """The probability that answering with this candidate is right; 0 when a hard guard fails."""
        if hard_guard(signals) is not None:
            return 0.0
        z = self.bias + sum(self.contributions(signals).values())
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))

    def to_json(self) -> dict[str, object]:
        """The calibration file's content."""
        return {
            "about": "Fitted by `python -m bot calibrate`; do not edit by hand.",
            "target": self.target,
            "threshold": round(self.threshold, 6),
            "bias": round(self.bias, 6),
            "weights": {k: round(v, 6) for k, v in self.weights.items()},
            "mean": {k: round(v, 6) for k, v in self.mean.items()},
            "scale": {k: round(v, 6) for k, v in self.scale.items()},
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> Calibration:
        """Read a calibration file's content (raises ValueError when it does not fit `FEATURES`)."""
        weights = _floats(raw, "weights")
        if set(weights) != set(FEATURES):
            raise ValueError(
                f"calibration features {sorted(weights)} are not the engine's {sorted(FEATURES)}"
            )
        return cls(
            weights=weights,
            bias=float(raw["bias"]),  # type: ignore[arg-type]
            mean=_floats(raw, "mean"),
            scale=_floats(raw, "scale"),
            threshold=float(raw["threshold"]),  # type: ignore[arg-type]
            target=str(raw.get("target", "")),
        )


def _floats(raw: Mapping[str, object], key: str) -> dict[str, float]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise ValueError(f"calibration: {key!r} must be a mapping")
    return {str(k): float(v) for k, v in value.items()}


def neutral_calibration() -> Calibration:
    """A calibration that reads the matcher's score alone, until `calibrate` writes a fitted one."""
    return Calibration(
        weights={f: (1.0 if f == "log_score" else 0.0) for f in FEATURES},
        bias=0.0,
        mean={f: 0.0 for f in FEATURES},
        scale={f: 1.0 for f in FEATURES},
        threshold=0.5,
        target="none: not fitted",
    )


@cache
def default_calibration() -> Calibration:
    """The calibration shipped with the engine; the neutral one (logged) if the file does not fit
    this code, so that a stale file never stops the bot. `python -m bot calibrate` refits it."""
    try:
        return Calibration.from_json(json.loads(CALIBRATION_PATH.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("Calibration %s not used (%s); run `python -m bot calibrate`.", CALIBRATION_PATH, exc)
        return neutral_calibration()
