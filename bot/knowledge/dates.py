"""Dates with a precision: a day, a month or only a year, as the sources give them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


class Precision(IntEnum):
    """How much of a date the source gives. Ordered: YEAR < MONTH < DAY."""

    YEAR = 1
    MONTH = 2
    DAY = 3


@dataclass(frozen=True, order=True, slots=True)
class PartialDate:
    """A calendar date known to a given precision ("2013", "2024-07", "2026-01-01").

    Ordering puts a year before any month in it and a month before any day in it,
    so a timeline sorts "2024-07" ahead of "2024-07-28".
    """

    year: int
    month: int = 0
    day: int = 0

    @property
    def precision(self) -> Precision:
        """Day, month or year."""
        if self.day:
            return Precision.DAY
        if self.month:
            return Precision.MONTH
        return Precision.YEAR

    @classmethod
    def parse(cls, raw: object) -> PartialDate:
        """Read a date as YAML gives it: a `date`, an int year, or "YYYY", "YYYY-MM", "YYYY-MM-DD".

        Raises ValueError with a message for editors when the date is malformed or impossible.
        """
        if isinstance(raw, PartialDate):
            return raw
        if isinstance(raw, dt.datetime):
            raw = raw.date()
        if isinstance(raw, dt.date):
            return cls(raw.year, raw.month, raw.day)
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ValueError(f"a date must look like 2026-01-01, 2024-07 or 2013, not {raw!r}")
        text = str(raw).strip()
        m = _ISO.match(text)
        if not m:
            raise ValueError(f"a date must look like 2026-01-01, 2024-07 or 2013, not {text!r}")
        year, month, day = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
        if m.group(2) is not None and not 1 <= month <= 12:
            raise ValueError(f"{text!r} has no month {month}: months run from 01 to 12")
        if m.group(3) is not None:
            try:
                dt.date(year, month, day)
            except ValueError:
                raise ValueError(
                    f"{text!r} is not a real day ({MONTH_NAMES[month - 1]} has no day {day})"
                ) from None
        if not 1800 <= year <= 2200:
            raise ValueError(f"{text!r}: the year {year} looks like a typo")
        return cls(year, month, day)

    def iso(self) -> str:
        """ "2026-01-01", "2024-07" or "2013"."""
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    def label(self, language: str = "en") -> str:
        """For people: "1 January 2026", "July 2024", "2013"; in Spanish "1 de enero de 2026"."""
        if language == "en":
            if self.day:
                return f"{self.day} {MONTH_NAMES[self.month - 1]} {self.year}"
            if self.month:
                return f"{MONTH_NAMES[self.month - 1]} {self.year}"
            return str(self.year)
        from bot.locale import catalogue  # the interface's words, not the knowledge model's

        words = catalogue(language)
        if self.day:
            return words.date_day.format(day=self.day, month=words.months[self.month - 1], year=self.year)
        if self.month:
            return words.date_month.format(month=words.months[self.month - 1], year=self.year)
        return str(self.year)

    def first_day(self) -> dt.date:
        """The earliest calendar day this date can mean."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    def last_day(self) -> dt.date:
        """The latest calendar day this date can mean."""
        if self.day:
            return dt.date(self.year, self.month, self.day)
        if self.month:
            nxt = dt.date(self.year + (self.month == 12), self.month % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date(self.year, 12, 31)

    def overlaps(self, start: dt.date | None, end: dt.date | None) -> bool:
        """True when some day of this date falls within [start, end] (either bound may be open)."""
        if start is not None and self.last_day() < start:
            return False
        return not (end is not None and self.first_day() > end)

    def __str__(self) -> str:
        return self.iso()

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: object) -> PartialDate:
            try:
                return cls.parse(value)
            except ValueError as exc:
                raise PydanticCustomError("partial_date", str(exc)) from None

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.plain_serializer_function_ser_schema(lambda d: d.iso())
        )
