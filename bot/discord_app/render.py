"""Everything the bot shows on Discord is rendered here, and nothing leaves here over Discord's limits.

Answers, timeline pages, sources, about, reload reports and stats become embeds and message content;
text typed by users is escaped before it is echoed back; every send uses `NO_MENTIONS`. The limits
are Discord's (https://discord.com/developers/docs/resources/message#embed-object-embed-limits);
exceeding one makes Discord reject the whole message with 400 Invalid Form Body, so each part is cut
to size with an ellipsis and lists end with "…and N more" instead.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands

from bot import locale
from bot.engine import Answer
from bot.engine.answer import FactUse, Suggestion, Verdict, VerdictKind
from bot.engine.clean import clean_discord_text
from bot.knowledge.base import KnowledgeBase
from bot.knowledge.model import Event, Story
from bot.locale import text as t
from bot.questionlog import LogStats, ProcessRow
from bot.service import ReloadResult
from bot.timeline import event_line, paginate

if TYPE_CHECKING:
    from bot.timeline_image import TimelinePicture

# --- Discord's limits -------------------------------------------------------------------------------

CONTENT_LIMIT: Final = 2000
EMBED_TITLE_LIMIT: Final = 256
EMBED_DESCRIPTION_LIMIT: Final = 4096
EMBED_FIELDS_LIMIT: Final = 25
FIELD_NAME_LIMIT: Final = 256
FIELD_VALUE_LIMIT: Final = 1024
FOOTER_LIMIT: Final = 2048
AUTHOR_LIMIT: Final = 256
EMBED_TOTAL_LIMIT: Final = 6000
"""Title, description, field names and values, footer and author together, across a message's embeds."""
EMBEDS_PER_MESSAGE: Final = 10
CHOICES_LIMIT: Final = 25
CHOICE_TEXT_LIMIT: Final = 100
BUTTONS_PER_ROW: Final = 5
ROWS_PER_MESSAGE: Final = 5
BUTTON_LABEL_LIMIT: Final = 80
CUSTOM_ID_LIMIT: Final = 100
ATTACHMENT_DESCRIPTION_LIMIT: Final = 1024
"""An attachment's description: its alt text."""

QUESTION_MAX_LENGTH: Final = 300
"""The /ask option's max length: longer than any real question, short enough to echo back."""
EVENTS_PER_PAGE: Final = 10
"""Timeline lines per page: a screenful on a phone."""
TIMELINE_PAGE_BUDGET: Final = 3000
"""Characters of event lines per timeline page, below the 4,096 of a description to leave room."""
TIMELINE_PICTURE: Final = "timeline.png"
"""The filename of the /timeline picture: the embed shows it as attachment://timeline.png."""

NO_MENTIONS: Final = discord.AllowedMentions.none()
"""Passed on every send (and the bot's default): nothing the bot says pings anyone."""

COLOUR_ANSWER: Final = discord.Colour.blue()
COLOUR_UNSURE: Final = discord.Colour.gold()
COLOUR_DECLINED: Final = discord.Colour.light_grey()
COLOUR_ERROR: Final = discord.Colour.red()
COLOUR_OK: Final = discord.Colour.green()

ELLIPSIS: Final = "…"

APOLOGY: Final = (
    "Sorry, something went wrong on my side while handling that. It has been logged; please try again."
)

_SPACES = re.compile(r"\s+")
_UNESCAPE = re.compile(r"\\([\\*_`~|>#\[\]()-])")


# --- text helpers ------------------------------------------------------------------------------------


def truncate(text: str, limit: int, suffix: str = ELLIPSIS) -> str:
    """`text` cut to at most `limit` characters, ending with `suffix` when cut."""
    if len(text) <= limit:
        return text
    if limit <= len(suffix):
        return suffix[:limit]
    return text[: limit - len(suffix)].rstrip() + suffix


def clean_user_text(text: str) -> str:
    """One line: control and format characters dropped (zero-width tricks), whitespace collapsed."""
    kept = "".join(" " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch for ch in text)
    kept = "".join(ch for ch in kept if unicodedata.category(ch) != "Cf")
    return _SPACES.sub(" ", kept).strip()


def escape_user_text(text: str, limit: int | None = None) -> str:
    """User text made safe to echo in markdown: cleaned, markdown and mentions escaped, then cut."""
    escaped = discord.utils.escape_mentions(discord.utils.escape_markdown(clean_user_text(text)))
    return truncate(escaped, limit) if limit is not None else escaped


def unescape_markdown(text: str) -> str:
    """Undo `discord.utils.escape_markdown` (to read back a title the bot wrote)."""
    return _UNESCAPE.sub(r"\1", text)


def join_within(lines: Sequence[str], limit: int, more: Callable[[int], str] | None = None) -> str:
    """Lines joined by newlines within `limit` characters; what does not fit becomes one "…and N more"."""
    more = more or (lambda n: f"{ELLIPSIS}and {n} more")
    lines = [truncate(line, limit) for line in lines]
    if len("\n".join(lines)) <= limit:
        return "\n".join(lines)
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        cost = len(line) + (1 if out else 0)
        tail = len(more(len(lines) - i)) + 1  # room for the note should we have to stop at the next line
        if used + cost + tail > limit:
            break
        out.append(line)
        used += cost
    out.append(more(len(lines) - len(out)))
    return truncate("\n".join(out), limit)


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Cut every part of `embed` to Discord's limits, then the whole to 6,000 characters. Returns it."""
    if embed.title:
        embed.title = truncate(embed.title, EMBED_TITLE_LIMIT)
    if embed.description:
        embed.description = truncate(embed.description, EMBED_DESCRIPTION_LIMIT)
    if embed.author.name:
        embed.set_author(name=truncate(embed.author.name, AUTHOR_LIMIT), url=embed.author.url)
    if embed.footer.text:
        embed.set_footer(text=truncate(embed.footer.text, FOOTER_LIMIT))
    fields = embed.fields[:EMBED_FIELDS_LIMIT]
    embed.clear_fields()
    for f in fields:
        embed.add_field(
            name=truncate(f.name or "\u200b", FIELD_NAME_LIMIT),
            value=truncate(f.value or "\u200b", FIELD_VALUE_LIMIT),
            inline=f.inline,
        )
    over = len(embed) - EMBED_TOTAL_LIMIT
    if over > 0 and embed.description:
        # The description is the longest and least essential part to lose a tail of.
        keep = max(len(embed.description) - over, 1)
        embed.description = truncate(embed.description, keep)
        over = len(embed) - EMBED_TOTAL_LIMIT
    while over > 0 and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
        over = len(embed) - EMBED_TOTAL_LIMIT
    return embed


def content(text: str) -> str:
    """Message content within 2,000 characters."""
    return truncate(text, CONTENT_LIMIT)


def button_label(text: str) -> str:
    """A button label within 80 characters (Discord refuses empty labels, hence the fallback)."""
    return truncate(clean_user_text(text), BUTTON_LABEL_LIMIT) or "?"


# --- the story -------------------------------------------------------------------------------------


def story_of_topic(base: KnowledgeBase, topic: str | None) -> Story | None:
    """The story a topic belongs to; the first story when the topic is None or unknown."""
    for story in base.stories:
        if topic is not None and any(t.id == topic for t in story.topics):
            return story
    return base.stories[0] if base.stories else None


def story_of_entry(base: KnowledgeBase, entry_id: str | None) -> Story | None:
    """The story a Q&A entry belongs to (through its topic)."""
    qa = base.questions.get(entry_id) if entry_id else None
    return story_of_topic(base, qa.topic if qa else None)


def as_of_text(story: Story | None, language: str = "en") -> str:
    """'as of 1 January 2026' ('al 1 de enero de 2026'), or '' with no story."""
    return t(language, "as_of", date=story.as_of.label(language)) if story else ""


def asked_prefixes() -> tuple[str, ...]:
    """The "Asked:" line's opening in every language, for reading it back."""
    return tuple(t(lang, "asked", question="") for lang in locale.languages())


# --- answers ---------------------------------------------------------------------------------------


VERDICT_MARK: Final = {
    VerdictKind.SUPPORTED: "✅",
    VerdictKind.CONTRADICTED: "❌",
    VerdictKind.DISPUTED: "⚖️",
}
VERDICT_COLOUR: Final = {
    VerdictKind.SUPPORTED: discord.Colour.green(),
    VerdictKind.CONTRADICTED: discord.Colour.red(),
    VerdictKind.DISPUTED: discord.Colour.orange(),
}


def verdict_text(verdict: Verdict, language: str = "en") -> str:
    """A verdict as the first line people read, with its mark: what was claimed, what the sources say."""
    mark = VERDICT_MARK[verdict.kind]
    word = t(language, f"verdict_{verdict.kind.value}_mark")
    sourced = t(language, "the_sources_say", sourced=escape_user_text(verdict.sourced))
    if verdict.kind == VerdictKind.SUPPORTED:
        return f"{mark} **{word}** — {sourced}."
    if verdict.kind == VerdictKind.CONTRADICTED:
        asserted = escape_user_text(verdict.asserted)
        claimed = t(language, "the_claim_says", asserted=asserted) if verdict.asserted else ""
        return f"{mark} **{word}** — {claimed}{sourced}."
    joiner = " y " if language == "es" else " and "
    sides = "\n".join(f"• {joiner.join(s.claimants)}: **{s.value}**" for s in verdict.sides)
    return f"{mark} **{word}** — {t(language, 'the_sources_disagree')}\n{sides}"


def answer_body(answer: Answer) -> str:
    """The answer as an embed shows it: the verdict first when it checks a claim; sources and "did you
    mean" are shown apart (fields and buttons)."""
    body = answer.body
    return f"{verdict_text(answer.verdict, answer.language)}\n{body}" if answer.verdict else body


def without_title(body: str, title: str) -> str:
    """`body` less its first sentence when that sentence opens with `title`: the embed shows the
    title right above it ("I can't answer that from my sources" twice in a row otherwise)."""
    if not body.casefold().startswith(title.casefold()):
        return body
    _, sep, rest = body.partition(". ")
    return rest.lstrip() if sep and rest.strip() else body


def is_figure(fact: FactUse, base: KnowledgeBase) -> bool:
    """Whether the Figures field shows a fact: only a figure, one with an amount ("28 people").
    A name, a place or a date given as the value ("the Tocorón prison", "July 2024") is in the
    answer's text already."""
    known = base.facts.get(fact.id)
    return bool(fact.value) and known is not None and known.amount is not None


def figure_line(fact: FactUse) -> str:
    """'**28 people** — 2024': the figure, then its date unless that is the value itself."""
    same = fact.value.casefold() == fact.date_label.casefold()
    return f"**{fact.value}**" + (f" — {fact.date_label}" if fact.date_label and not same else "")


def answer_embed(answer: Answer, base: KnowledgeBase, asked: str | None = None) -> discord.Embed:
    """An answer (or an honest decline) as one embed: question, text, figures, sources, confidence."""
    story = story_of_entry(base, answer.entry_id)
    lang = answer.language
    if not answer.answered:
        title = t(lang, "decline_title")
        body = without_title(answer_body(answer), title) + "\n" + t(lang, "timeline_about_hint")
        embed = discord.Embed(title=title, description=body, colour=COLOUR_DECLINED)
        embed.set_footer(text=t(lang, "knowledge_as_of", date=story.as_of.label(lang)) if story else "")
    else:
        embed = discord.Embed(
            title=escape_user_text(answer.entry_question or answer.question, EMBED_TITLE_LIMIT),
            description=answer_body(answer),
            colour=(
                VERDICT_COLOUR[answer.verdict.kind]
                if answer.verdict
                else COLOUR_UNSURE
                if answer.low_confidence
                else COLOUR_ANSWER
            ),
        )
        figures = [figure_line(f) for f in answer.facts if is_figure(f, base)]
        if figures:
            embed.add_field(
                name=t(lang, "figures"), value=join_within(figures, FIELD_VALUE_LIMIT), inline=False
            )
        sources = [f"• {c.chain_text()}" for c in answer.citations]
        if sources:
            name = t(lang, "source" if len(sources) == 1 else "sources")
            embed.add_field(name=name, value=join_within(sources, FIELD_VALUE_LIMIT), inline=False)
        # unsure: the suggestions say so; a confidence figure beside them would contradict it
        footer = (
            [t(lang, "unsure")]
            if answer.low_confidence
            else [t(lang, "confidence", percent=f"{answer.confidence:.0%}")]
        )
        if story:
            footer.append(as_of_text(story, lang))
        embed.set_footer(text=" · ".join(footer))
    if asked is not None:
        # as prose: a mention (<@123…>) is dropped, never shown as its raw id
        shown = clean_user_text(clean_discord_text(asked))
        matched = answer.entry_question or ""
        if shown and shown.casefold() != matched.casefold():
            # Embed author names are plain text (no markdown), so only mentions need neutralising.
            asked_line = t(lang, "asked", question=discord.utils.escape_mentions(shown))
            embed.set_author(name=truncate(asked_line, AUTHOR_LIMIT))
    return fit_embed(embed)


def nothing_to_check(language: str = "en") -> str:
    """The one polite line when a message holds nothing the sources can check."""
    return t(language, "nothing_to_check")


def claim_embeds(answers: Sequence[Answer], base: KnowledgeBase, jump_url: str) -> list[discord.Embed]:
    """One embed per checked claim, each leading with its verdict; the first links the message."""
    embeds = []
    for n, answer in enumerate(answers, 1):
        embed = answer_embed(answer, base, asked=answer.question)
        if n == 1:
            embed.set_author(name=t(answer.language, "checked_against"), url=jump_url)
        elif embed.author:
            embed.remove_author()
        claim = t(answer.language, "claim", n=n, text=clean_user_text(answer.question))
        embed.title = escape_user_text(claim, EMBED_TITLE_LIMIT)
        embeds.append(fit_embed(embed))
    while total_embed_size(embeds) > EMBED_TOTAL_LIMIT and len(embeds) > 1:
        embeds.pop()  # three long answers may not fit in one message: the first ones matter most
    return embeds


def asked_question(message: discord.Message | None) -> str | None:
    """Read back the question an answer message was for: its "Asked:" line, else its title."""
    if message is None or not message.embeds:
        return None
    embed = message.embeds[0]
    for prefix in asked_prefixes():
        if embed.author.name and embed.author.name.startswith(prefix):
            # escape_mentions put zero-width spaces after "@"; the log wants the words as typed.
            return embed.author.name[len(prefix) :].replace("\u200b", "")
    return unescape_markdown(embed.title) if embed.title else None


def fallback_suggestions(base: KnowledgeBase, limit: int = 3) -> tuple[Suggestion, ...]:
    """When a decline has nothing close: the first question of each topic, so there is still a way on."""
    out: list[Suggestion] = []
    for topic in base.topics():
        qa = next((q for q in base.questions.values() if q.topic == topic), None)
        if qa is not None:
            out.append(Suggestion(qa.id, qa.question, 0.0))
        if len(out) >= limit:
            break
    return tuple(out)


def autocomplete_choices(pairs: Iterable[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """Known questions as autocomplete choices: at most 25, each name and value within 100 characters."""
    seen: set[str] = set()
    out: list[app_commands.Choice[str]] = []
    for _, question in pairs:
        text = truncate(clean_user_text(question), CHOICE_TEXT_LIMIT)
        if text and text not in seen:
            seen.add(text)
            out.append(app_commands.Choice(name=text, value=text))
        if len(out) >= CHOICES_LIMIT:
            break
    return out


# --- notices ---------------------------------------------------------------------------------------


def cooldown_notice(retry_after: float, rate: int, per: float, language: str = "en") -> str:
    """The one polite message a user over the rate limit gets."""
    wait = max(math.ceil(retry_after), 1)
    return content(t(language, "cooldown", rate=rate, per=f"{per:g}", retry=wait))


def mention_help(base: KnowledgeBase, scope: str, bot_name: str) -> str:
    """What to say when mentioned with no question."""
    example = next(iter(base.questions.values())).question if base.questions else "What happened?"
    return content(
        f"Ask me about {scope}. Mention me with a question, e.g. “@{bot_name} {example}”, or use /ask. "
        "/timeline shows the story in dates, /sources who said what."
    )


# --- timeline --------------------------------------------------------------------------------------


def timeline_lines(events: Sequence[Event], base: KnowledgeBase, language: str = "en") -> list[str]:
    """One line per event with the date in bold: '**1 January 2026** — Title: summary'."""
    out = []
    for event in events:
        line = event_line(event, language)
        date, sep, rest = line.partition(" — ")
        out.append(truncate(f"**{date}**{sep}{rest}" if sep else line, TIMELINE_PAGE_BUDGET))
    return out


def timeline_embed(
    base: KnowledgeBase,
    events: Sequence[Event],
    page: int,
    *,
    filters: str = "",
    topic: str | None = None,
    language: str = "en",
) -> tuple[discord.Embed, int, int]:
    """One page of the timeline: (embed, page shown, number of pages).

    The first page reads as a summary of the story: its title and summary, then the first events.
    `page` is clamped into range (a button may outlive a reload that shortened the timeline).
    """
    story = story_of_topic(base, topic)
    title, intro = story.text(language) if story else (t(language, "timeline_title"), "")
    if filters:
        intro = f"{intro}\n\n*{filters}*" if intro else f"*{filters}*"
    intro = truncate(intro, EMBED_DESCRIPTION_LIMIT - TIMELINE_PAGE_BUDGET - 2)
    lines = timeline_lines(events, base, language)
    # Page one carries the summary too: fewer event lines, so every page is about the same size.
    pages = paginate(
        lines,
        TIMELINE_PAGE_BUDGET,
        first_page_budget=max(TIMELINE_PAGE_BUDGET - len(intro), TIMELINE_PAGE_BUDGET // 3),
        max_lines=EVENTS_PER_PAGE,
    )
    page = min(max(page, 0), len(pages) - 1)
    body = "\n".join(pages[page]) if lines else t(language, "timeline_empty")
    if page == 0:
        description = f"{intro}\n\n{body}" if intro else body
    else:
        description = body
        title = t(language, "continued", title=title)
    embed = discord.Embed(title=title, description=description, colour=COLOUR_ANSWER)
    footer = [t(language, "event_one" if len(events) == 1 else "event_many", n=len(events))]
    if len(pages) > 1:
        footer.append(t(language, "page_of", page=page + 1, pages=len(pages)))
    if story:
        footer.append(as_of_text(story, language))
    embed.set_footer(text=" · ".join(footer))
    return fit_embed(embed), page, len(pages)


def timeline_picture_file(picture: TimelinePicture) -> discord.File:
    """The timeline picture as an attachment, its alt text as the attachment's description."""
    return discord.File(
        io.BytesIO(picture.png),
        filename=TIMELINE_PICTURE,
        description=truncate(picture.alt_text, ATTACHMENT_DESCRIPTION_LIMIT),
    )


def show_timeline_picture(embed: discord.Embed) -> discord.Embed:
    """Show the attached timeline picture inside the embed (rather than as a loose file under it)."""
    return embed.set_image(url=f"attachment://{TIMELINE_PICTURE}")


# --- sources and about -----------------------------------------------------------------------------


def source_lines(base: KnowledgeBase, language: str = "en") -> list[str]:
    """Per source: who it is, how many facts it states or carries, and when it said them."""
    lines = []
    for source in base.sources.values():
        stated = [f for f in base.facts.values() if any(a.source == source.id for a in f.sources)]
        carried = [f for f in base.facts.values() if any(source.id in a.via for a in f.sources)]
        said = sorted({a.said_on for f in stated for a in f.sources if a.source == source.id and a.said_on})
        parts = [f"**{source.name}** ({locale.kind_label(language, source.kind.value)})"]
        if stated:
            parts.append(t(language, "fact_one" if len(stated) == 1 else "fact_many", n=len(stated)))
        if said:
            parts.append(t(language, "said_on", dates=", ".join(d.label(language) for d in said)))
        if source.published:
            parts.append(t(language, "published_on", date=source.published.label(language)))
        if carried:
            key = "carries_one" if len(carried) == 1 else "carries_many"
            parts.append(t(language, key, n=len(carried)))
        if source.via:
            cited = " → ".join(base.sources[v].name for v in source.via if v in base.sources)
            parts.append(t(language, "cites", names=cited))
        line = " — ".join(parts[:2]) + ("; " + "; ".join(parts[2:]) if len(parts) > 2 else "")
        if source.title:
            line += f": *{source.title}*"
        lines.append(line)
    return lines


def sources_embed(base: KnowledgeBase, language: str = "en") -> discord.Embed:
    """/sources: what the bot knows and from whom, with dates."""
    story = story_of_topic(base, None)
    intro = t(language, "sources_intro")
    body = join_within(source_lines(base, language), EMBED_DESCRIPTION_LIMIT - len(intro) - 2)
    embed = discord.Embed(
        title=t(language, "sources"), description=f"{intro}\n\n{body}", colour=COLOUR_ANSWER
    )
    c = base.counts()
    counts = t(language, "sources_footer", sources=c["sources"], facts=c["facts"])
    embed.set_footer(text=f"{counts} · {as_of_text(story, language)}".rstrip(" ·"))
    return fit_embed(embed)


def about_embed(
    base: KnowledgeBase, scope: str, bot_name: str, language: str = "en", version: str | None = None
) -> discord.Embed:
    """/about: the story, how current it is, how to ask, and what the base holds (and its `version`,
    the hash of the files this process loaded, so an admin can tell the processes of a cluster apart)."""
    story = story_of_topic(base, None)
    title, summary = story.text(language) if story else (t(language, "about"), "")
    embed = discord.Embed(title=title, description=summary, colour=COLOUR_ANSWER)
    if story:
        embed.add_field(name=t(language, "as_of_label"), value=story.as_of.label(language), inline=True)
    for other in base.stories[1:]:
        other_title = other.text(language)[0]
        embed.add_field(
            name=t(language, "also_covers"),
            value=f"{other_title} ({as_of_text(other, language)})",
            inline=False,
        )
    embed.add_field(
        name=t(language, "what_i_answer"), value=t(language, "questions_about", scope=scope), inline=False
    )
    embed.add_field(
        name=t(language, "how_to_ask"), value=t(language, "how_to_ask_text", bot=bot_name), inline=False
    )
    summary_line = base.summary_line() + (f" · {t(language, 'base_version')} {version}" if version else "")
    embed.add_field(name=t(language, "knowledge_base"), value=summary_line, inline=False)
    embed.set_footer(text=t(language, "about_footer"))
    return fit_embed(embed)


# --- admin -----------------------------------------------------------------------------------------


def reload_report(result: ReloadResult) -> tuple[str, list[discord.Embed]]:
    """/reload's ephemeral reply: the summary, and on failure every problem as file:line [entry] message."""
    if result.ok:
        return content(f"✅ {result.summary}"), []
    lines = [f"• {discord.utils.escape_markdown(str(p))}" for p in result.problems]
    n = len(lines)
    embed = discord.Embed(
        title=f"{n} problem{'s' if n != 1 else ''} in the knowledge base",
        description=join_within(
            lines,
            EMBED_DESCRIPTION_LIMIT,
            more=lambda k: f"{ELLIPSIS}and {k} more (run `python -m bot check` to list them all)",
        ),
        colour=COLOUR_ERROR,
    )
    text = f"❌ {result.summary} I keep answering from the working base."
    return content(text), [fit_embed(embed)]


def stats_embed(
    stats: LogStats | None,
    base: KnowledgeBase,
    note: str = "",
    version: str | None = None,
    *,
    unreadable: bool = False,
    processes: Sequence[ProcessRow] = (),
    this_process: str | None = None,
) -> discord.Embed:
    """/stats: what was asked and how it went, and what people asked that the bot could not answer;
    the footer names the base `version` this process answers from. `unreadable`: the log is on but
    could not be read (`stats` is None; the note says why). `processes`: every process heard from
    lately, grouped by the base version each answers from, so one look shows whether they agree."""
    embed = discord.Embed(title="Question statistics", colour=COLOUR_ANSWER)
    if stats is None and unreadable:
        embed.description = "The question log could not be read, so there is nothing to count now."
    elif stats is None:
        embed.description = "The question log is off (FACTBOT_DB_PATH=off), so there is nothing to count."
    else:
        embed.description = f"{stats.total} question{'s' if stats.total != 1 else ''} in the log."
        for name, value in (
            ("Answered", stats.answered),
            ("Low confidence", stats.low_confidence),
            ("Declined", stats.declined),
            ("👍 Helpful", stats.helpful),
            ("👎 Not helpful", stats.not_helpful),
            ("People", stats.distinct_users),
        ):
            embed.add_field(name=name, value=str(value), inline=True)
        # Near-duplicates are one group, as in `misses`: a question typed ten ways is one line.
        misses = [
            f"{n}× {escape_user_text(q, 200)}" + (f" ({k} wordings)" if k > 1 else "")
            for q, n, k in stats.top_misses
        ]
        embed.add_field(
            name="Top misses",
            value=join_within(misses, FIELD_VALUE_LIMIT) if misses else "None so far.",
            inline=False,
        )
    if len(processes) > 1:  # one process: its version is in the footer already
        embed.add_field(name="Processes", value=processes_text(processes, this_process), inline=False)
    if note:
        embed.add_field(name="Note", value=note, inline=False)
    embed.set_footer(text=f"Knowledge: {base.summary_line()}" + (f" · version {version}" if version else ""))
    return fit_embed(embed)


def processes_text(processes: Sequence[ProcessRow], this_process: str | None = None) -> str:
    """'3 processes, all on version abc' or one line per version with its processes; a process whose
    files do not validate is marked, since it answers from an older base than its files say."""
    by_version: dict[str, list[ProcessRow]] = {}
    for row in processes:
        by_version.setdefault(row.base_version, []).append(row)

    def who(row: ProcessRow) -> str:
        parts = [escape_user_text(row.name, 80)]
        if row.shards:
            parts.append(f"shards {row.shards}")
        if row.name == this_process:
            parts.append("this one")
        if row.refused:
            parts.append("its files do not validate")
        return ", ".join(parts)

    n = len(processes)
    if len(by_version) == 1 and not any(r.refused for r in processes):
        head = f"{n} process{'es' if n != 1 else ''}, all on version {next(iter(by_version))}"
        return join_within([head, *(f"• {who(r)}" for r in processes)], FIELD_VALUE_LIMIT)
    lines = [f"⚠️ {n} processes on {len(by_version)} versions:"]
    for version, rows in sorted(by_version.items(), key=lambda item: -len(item[1])):
        lines.append(f"**{version}**: " + "; ".join(who(r) for r in rows))
    return join_within(lines, FIELD_VALUE_LIMIT)


def check_failure_message(error: app_commands.AppCommandError) -> str:
    """Words for a refused command (permissions, wrong place), never a traceback."""
    if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
        return "Only server managers (Manage Server permission) and the bot's owner can use this command."
    return APOLOGY


def total_embed_size(embeds: Iterable[discord.Embed]) -> int:
    """Characters counted against the 6,000 per message."""
    return sum(len(e) for e in embeds)
