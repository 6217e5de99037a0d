"""`ask --explain`: the signals behind an answer or a decline, for editors and developers."""

from __future__ import annotations

from bot.engine import Engine
from bot.engine.decision import hard_guard

SHOWN = 3


def explain(engine: Engine, question: str) -> str:
    """A plain-text report: the top entries, each signal by name, the model's view and the outcome."""
    answer = engine.answer(question)
    calibration = engine.calibration
    lines = [f"Question: {question.strip()}"]
    candidates = engine.candidates(question)
    if not candidates:
        lines.append("Not ranked by the matcher: a question in parts or about a date (or no known word).")
    for rank, scored in enumerate(candidates[:SHOWN], 1):
        p = calibration.probability(scored.signals)
        lines.append(f"{rank}. {scored.entry.qa.id}  p(right)={p:.3f}  score={scored.score:.3f}")
        lines.append(f"   closest phrasing: {scored.best_phrasing}")
        signals = "  ".join(f"{k}={v:.3f}" for k, v in scored.signals.items())
        lines.append(f"   signals: {signals}")
        guard = hard_guard(scored.signals)
        if guard:
            lines.append(f"   hard guard: the {guard} check fails, so this entry is never answered")
        else:
            parts = sorted(calibration.contributions(scored.signals).items(), key=lambda kv: -abs(kv[1]))
            lines.append("   log-odds: " + "  ".join(f"{k}{v:+.2f}" for k, v in parts[:6]))
    verdict = "answered" if answer.answered else "declined"
    lines.append(
        f"Outcome: {verdict} (p={answer.confidence:.3f}, threshold {calibration.threshold:.3f})"
        + (f" with {answer.entry_id}" if answer.entry_id else "")
    )
    return "\n".join(lines)
