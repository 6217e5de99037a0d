"""Countries, their peoples and world bodies, in every language the engine reads (from `lang/*.yaml`).

A question about a place the entry does not know ("Cuba", "Nicaraguan", "the UN") must not
get this story's figure, however well the rest of it matches. The list is deliberately broad:
a place the base does know (Venezuela, the United States, the Caribbean) is simply found in
the base's own text and is then allowed.
"""

from __future__ import annotations

from bot.engine.language import merged_words

PLACES = sorted(merged_words("places"))
