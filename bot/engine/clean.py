"""Discord text made plain before it is matched: what the reader sees as prose, not markup.

A question arrives as Discord sends it: `<@123…>` for a mention, `<:pog:123…>` for an emoji,
`**bold**`, a pasted link, `@everyone`. None of that is a word of the question, and an id read
as a figure would sink the entry whose figure it is not.
"""

from __future__ import annotations

import re

from bot.engine.language import all_languages

_MENTION = re.compile(r"<(?:@[!&]?|#)\d{5,25}>")
"""User (`<@id>`, `<@!id>`), role (`<@&id>`) and channel (`<#id>`) mentions."""
_SLASH_COMMAND = re.compile(r"</[\w -]{1,64}:\d{5,25}>")
_CUSTOM_EMOJI = re.compile(r"<a?:\w{1,40}:\d{5,25}>")
_TIMESTAMP = re.compile(r"<t:-?\d{1,13}(?::[tTdDfFR])?>")
_EVERYONE = re.compile(r"@(?:everyone|here)\b")
_RETWEET = re.compile(r"^\W*(?:RT|MT)\s+@\w{1,30}:?\s*|(?<![\w@])@\w{1,30}\b:?")
""" "RT @venezuela_watch: …" pasted from another network: a handle is who posted, not the claim."""
_URL = re.compile(r"<?\b(?:https?://|www\.)[^\s<>]+>?", re.IGNORECASE)
_SHORTCODE = re.compile(r":[a-z0-9_+-]{2,32}:")
"""`:joy:` as typed before the client turns it into 😂."""
_MARKDOWN = re.compile(r"(?<!\w)(?:\*{1,3}|_{1,3}|~~|\|\||`{1,3})|(?:\*{1,3}|_{1,3}|~~|\|\||`{1,3})(?!\w)")
_QUOTE_OR_HEADING = re.compile(r"^\s{0,3}(?:>{1,3}|#{1,3}|-#)\s+", re.MULTILINE)
_MASKED_LINK = re.compile(r"\[([^\]]{1,200})\]\([^)]{1,500}\)")
_INVISIBLE_IN_WORD = re.compile(r"(?<=\w)[\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e]+(?=\w)")
"""A zero-width space, joiner or soft hyphen inside a word ("peo\u200bple") joins it up again."""


_TAGS = sorted((t for data in all_languages() for t in data.headline_tags), key=len, reverse=True)
_HEADLINE_TAG = re.compile(rf"^\W*(?:{'|'.join(re.escape(t) for t in _TAGS)})\s*[:!|\-–—]+\s*", re.IGNORECASE)
""""BREAKING: 80 freed": the tag that opens a post is not part of its claim."""


def clean_discord_text(text: str) -> str:
    """The question as prose: mentions, emoji, links, markdown and invisible characters removed.

    >>> clean_discord_text("<@123456789012345678> **how many** peo\u200bple got out?? https://x.co/a")
    'how many people got out??'
    """
    text = _INVISIBLE_IN_WORD.sub("", text)
    text = _MASKED_LINK.sub(r"\1", text)  # "[the AFP story](https://…)" reads "the AFP story"
    for pattern in (
        _MENTION,
        _SLASH_COMMAND,
        _CUSTOM_EMOJI,
        _TIMESTAMP,
        _EVERYONE,
        _URL,
        _SHORTCODE,
        _RETWEET,
    ):
        text = pattern.sub(" ", text)
    text = _QUOTE_OR_HEADING.sub("", text)
    text = _MARKDOWN.sub("", text)
    text = _HEADLINE_TAG.sub("", " ".join(text.split()))
    return text
