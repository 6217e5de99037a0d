"""Where factbot keeps files of its own by default (imported by the settings and the snapshot cache)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """`$XDG_CACHE_HOME/factbot`, else `~/.cache/factbot`; None when there is no home to put it in."""
    env = os.environ if environ is None else environ
    root = env.get("XDG_CACHE_HOME", "").strip()
    if root:
        return Path(root) / "factbot"
    try:
        return Path.home() / ".cache" / "factbot"
    except (RuntimeError, KeyError):  # no HOME and no passwd entry (`env -i`, some containers)
        return None
