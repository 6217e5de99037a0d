"""How close in meaning a question is to each phrasing: a small static embedding model.

The model is WordLlama's 256-dimension `l2_supercat`, whose weights ship inside the `wordllama`
wheel (about 17 MB); nothing is downloaded. Embedding a question costs about 0.05 ms. Its cosine
similarity is one named signal among the others ("semantic"), read where the words alone say
little: "who's behind the 700 number?" shares few words with "Who says more than 700 are still
held?", but means much the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


@cache
def _model() -> Any:
    """The WordLlama model, loaded once from the installed package (never from the network)."""
    import wordllama

    package = Path(wordllama.__file__).parent
    # its loader looks for the tokenizer config under cache_dir; the package folder holds both
    return wordllama.WordLlama.load(cache_dir=package, disable_download=True)


def embed(texts: Sequence[str]) -> Vectors:
    """Unit-length embeddings of the texts, one row each."""
    if not texts:
        return np.zeros((0, 256), dtype=np.float32)
    vectors = np.asarray(_model().embed(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: Vectors = vectors / norms
    return unit


def similarity(question: Vectors, rows: Vectors) -> float:
    """The best cosine similarity between one question vector and some phrasing rows (0 if none)."""
    if not len(rows):
        return 0.0
    return float(max(0.0, float((rows @ question).max())))
