"""The calibrated model: refitting reproduces the shipped file, and --explain names every signal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest

from bot.calibrate import fit_sets, question_sets
from bot.engine import Engine
from bot.engine.decision import CALIBRATION_PATH, FEATURES, Calibration, default_calibration
from bot.explain import explain
from bot.knowledge import load_base

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_base())


def test_refitting_reproduces_the_shipped_calibration(engine: Engine) -> None:
    """`python -m bot calibrate` was run on exactly these sets and this code: refit and compare."""
    shipped = json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))
    refit = cast(dict[str, Any], fit_sets(engine, question_sets(DATA)).to_json())
    assert refit["threshold"] == pytest.approx(shipped["threshold"], abs=1e-4)
    for key in ("weights", "mean", "scale"):
        for name in FEATURES:
            assert refit[key][name] == pytest.approx(shipped[key][name], abs=1e-4), (key, name)


def test_the_model_prefers_a_right_answer_to_a_wrong_one(engine: Engine) -> None:
    calibration = default_calibration()
    right = engine.candidates("how many people died in the protests after the election")[0]
    vague = engine.candidates("how many pizzas did the bakery sell")
    assert calibration.probability(right.signals) > 0.8
    assert all(calibration.probability(s.signals) < calibration.threshold for s in vague)


def test_a_hard_guard_overrides_the_model(engine: Engine) -> None:
    """Cuba is another story: whatever the other signals say, the probability is zero."""
    scored = engine.candidates("how many political prisoners were released in Cuba on 1 January?")
    assert scored and all(default_calibration().probability(s.signals) == 0.0 for s in scored)


def test_a_calibration_file_for_other_features_is_refused() -> None:
    raw = default_calibration().to_json()
    raw["weights"] = {"something_else": 1.0}
    with pytest.raises(ValueError, match="features"):
        Calibration.from_json(raw)


def test_explain_shows_each_signal_and_the_outcome(engine: Engine) -> None:
    report = explain(engine, "how many ppl got out on new years day")
    assert "jan1-how-many" in report and "Outcome: answered" in report
    for signal in ("coverage", "phrasing_overlap", "fuzzy_ratio", "intent_fit", "check_figure"):
        assert f"{signal}=" in report
    declined = explain(engine, "how many prisoners did Cuba release?")
    assert "Outcome: declined" in declined and "hard guard" in declined
