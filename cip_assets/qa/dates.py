"""Periods in questions ("last month", "in Q3 2011", "since March", "between May and July").

Relative periods are relative to the data's `as_of` date (the last date in the published marts),
never to the wall clock: "last month" over a data set that ends on 2011-12-09 is November 2011.
A month or quarter named without a year is the latest one that has started by `as_of`.
A `Period` is a half-open date range [start, end) with a label for the answer card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december")
MONTHS = {name: i + 1 for i, name in enumerate(MONTH_NAMES)}
MONTHS.update({name[:3]: i for name, i in list(MONTHS.items())})
MONTHS["sept"] = 9
MONTH_RE = r"(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
YEAR_RE = r"((?:19|20)\d{2})"
# a day: "14 November 2011", "14th of Nov, 2011", "November 14, 2011", "Nov 14th 2011" (groups: day, month, year
# or month, day, year)
DAY_RE = (rf"(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_RE}\s*,?\s*{YEAR_RE}|"
          rf"{MONTH_RE}\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*{YEAR_RE})\b")
NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
             "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15}


@dataclass(frozen=True)
class Period:
    start: date
    end: date      # exclusive
    label: str
    grain: str     # day, week, month, quarter, year, range

    def to_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label, "grain": self.grain}

    @classmethod
    def from_dict(cls, d: dict) -> "Period":
        return cls(date.fromisoformat(d["start"]), date.fromisoformat(d["end"]), d["label"], d["grain"])

    @property
    def is_single_month(self) -> bool:
        return self.start.day == 1 and self.end == _add_months(self.start, 1)

    @property
    def calendar_key(self) -> str | None:
        """'month 2011-12-01', 'quarter 2011-10-01' or 'year 2011-01-01' for exactly one calendar month, quarter or
        year (the period_key of the marts rolled up per calendar period), else None."""
        if self.start.day != 1:
            return None
        for grain, months, starts in (("month", 1, range(1, 13)), ("quarter", 3, (1, 4, 7, 10)), ("year", 12, (1,))):
            if self.start.month in starts and self.end == _add_months(self.start, months):
                return f"{grain} {self.start.isoformat()}"
        return None


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def _month(year: int, month: int) -> Period:
    start = date(year, month, 1)
    return Period(start, _add_months(start, 1), f"{year}-{month:02d}", "month")


def _half(year: int, half: int) -> Period:
    start = date(year, 6 * (half - 1) + 1, 1)
    return Period(start, _add_months(start, 6), f"H{half} {year}", "range")


def _quarter(year: int, q: int) -> Period:
    start = date(year, 3 * (q - 1) + 1, 1)
    return Period(start, _add_months(start, 3), f"Q{q} {year}", "quarter")


def _year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year + 1, 1, 1), str(year), "year")


def _latest_year_for_month(month: int, as_of: date) -> int:
    return as_of.year if month <= as_of.month else as_of.year - 1


def _range(start: date, end: date, grain: str = "range") -> Period:
    return Period(start, end, f"{start.isoformat()} to {(end - timedelta(days=1)).isoformat()}", grain)


def _named_day(name: str, year: int) -> date:
    if name in ("black friday", "cyber monday"):
        first = date(year, 11, 1)
        thanksgiving = first + timedelta(days=(3 - first.weekday()) % 7 + 21)  # the fourth Thursday
        return thanksgiving + timedelta(days=1 if name == "black friday" else 4)
    return {"christmas eve": date(year, 12, 24), "christmas day": date(year, 12, 25),
            "boxing day": date(year, 12, 26)}.get(name, date(year, 12, 31))


def _year_of_the_next(s: str, end: int) -> int | None:
    """The year of a half or quarter named right after a bare one ("h1 to h2 2023", "q2 vs q3 2011"), else None."""
    m = re.match(r"\s*(?:to|and|vs\.?|versus|through|thru|till|until|-|or|compared (?:to|with))\s*(?:h[12]|q[1-4])\s*"
                 r"(?:of\s+)?((?:19|20)\d{2})\b", s[end:])
    return int(m.group(1)) if m else None


def parse_period(text: str, as_of: date | None) -> tuple[Period | None, list[tuple[int, int]], list[Period]]:
    """(the period, character spans it used, every period found) of a lower-cased question.

    Two periods ("2023 vs 2024", "November 2011 and November 2010") come back in the third element, for
    comparisons; the first is also the period."""
    s = text.lower()
    as_of = as_of or date.today()
    found: list[tuple[int, int, Period]] = []

    def taken(a: int, b: int) -> bool:
        return any(a < e and s0 < b for s0, e, _ in found)

    def add(m: re.Match, p: Period) -> None:
        if not taken(m.start(), m.end()):
            found.append((m.start(), m.end(), p))

    nxt = as_of + timedelta(days=1)
    # "the weeks starting Monday 31 October through Monday 28 November 2011" (rewritten "weeks from ... to ..."): whole
    # weeks, the last one included to its Sunday
    for m in re.finditer(r"(?<=weeks )from\s+[^?;]{4,60}", s):
        _, inner_spans, inner = parse_period(m.group(0), as_of)
        if inner and inner_spans and inner[0].grain == "range" and (inner[0].end - timedelta(days=1)).weekday() == 0:
            first, last = inner[0].start, inner[0].end - timedelta(days=1)
            end = m.start() + max(b for _, b in inner_spans)
            if not taken(m.start(), end):
                found.append((m.start(), end, Period(first, last + timedelta(days=7),
                                                      f"weeks starting {first.isoformat()} to {last.isoformat()}", "range")))
    # "for 2011, Q1 to Q3", "2011 H1 through Q3": quarters (halves) of the year said just before them, one range
    for m in re.finditer(rf"\b{YEAR_RE}\s*,?\s*(?:from\s+)?(q[1-4]|h[12])\s*(?:to|-|–|through|thru|until|till)\s*"
                         r"(q[1-4]|h[12])\b", s):
        year = int(m.group(1))
        first = _quarter(year, int(m.group(2)[1])) if m.group(2)[0] == "q" else _half(year, int(m.group(2)[1]))
        last = _quarter(year, int(m.group(3)[1])) if m.group(3)[0] == "q" else _half(year, int(m.group(3)[1]))
        if first.start < last.end:
            add(m, Period(first.start, last.end, f"{first.label} to {last.label}", "range"))
    # "Q1 to Q3 2011", "from Q1 2011 through Q3 2011", "H1 to Q3 2011": one range, as "January to March 2011" is,
    # unless the question speaks of a change or a comparison (then the two quarters, as before)
    change = re.search(r"\b(?:grow\w*|grew|chang\w*|increas\w*|decreas\w*|declin\w*|drop\w*|fell|fall\w*|rise|rose|risen|"
                       r"difference|differ\w*|vs|versus|compar\w*|against|qoq|q-o-q|hoh|yoy|percent\w*|more|fewer|less|than|"
                       r"gap|swing|move\w*|jump\w*)\b|%|->|\u2192", s)
    quarters_to = (rf"\b(?:from\s+)?(q[1-4]|h[12])(?:\s+{YEAR_RE})?\s*(?:to|-|\u2013|through|thru|until|till)\s*"
                   rf"(q[1-4]|h[12])\s+(?:of\s+)?{YEAR_RE}\b")
    for m in ([] if change else re.finditer(quarters_to, s)):
        year2 = int(m.group(4))
        year1 = int(m.group(2)) if m.group(2) else year2
        first = _quarter(year1, int(m.group(1)[1])) if m.group(1)[0] == "q" else _half(year1, int(m.group(1)[1]))
        last = _quarter(year2, int(m.group(3)[1])) if m.group(3)[0] == "q" else _half(year2, int(m.group(3)[1]))
        if first.start < last.start and first.end <= last.end:
            add(m, Period(first.start, last.end, f"{first.label} to {last.label}", "range"))
    # "December 2010 to 9 December 2011": from the month's first day to the day
    for m in re.finditer(rf"\b(?:(?:from|between)\s+)?{MONTH_RE}[a-z]*\s+{YEAR_RE}\s+(?:to|until|till|through|thru|and|-|–)\s+"
                         rf"(?:the\s+)?{DAY_RE}", s):
        if re.search(r"\d(?:st|nd|rd|th)?\s*(?:of\s+)?$", s[:m.start(1)]):
            continue  # "1 March 2011 to 15 April 2011": a day, not the month, starts it
        a, b = date(int(m.group(2)), MONTHS[m.group(1)], 1), _day_of(m, 3)
        if b and a <= b:
            add(m, _range(a, b + timedelta(days=1)))
    # "from July to 9 December 2011": the month of the day's year (of the year before, when it comes later in it)
    # ("October to 9 December 2011" too, without "from", though never "October and 9 December": two to compare)
    for m in re.finditer(rf"\b(?:(from|between)\s+)?{MONTH_RE}[a-z]*(?:\s+(to|until|till|through|thru|and)\s+|\s*(?:-|–)\s*)"
                         rf"(?:the\s+)?{DAY_RE}", s):
        if m.group(3) == "and" and not m.group(1) or re.search(r"\d(?:st|nd|rd|th)?\s*(?:of\s+)?$|[\d-]\s*$", s[:m.start(2)]):
            continue  # "15 July to 9 December 2011": a day, not the month, starts it
        b = _day_of(m, 4)
        if b:
            month = MONTHS[m.group(2)]
            add(m, _range(date(b.year - (month > b.month), month, 1), b + timedelta(days=1)))
    # ISO days: "2011-11-07 .. 2011-11-28", "from 2011-11-07 to 2011-11-28"
    for m in re.finditer(r"\b(?:(?:from|between)\s+)?((?:19|20)\d\d)-(\d\d)-(\d\d)\s*(?:\.\.\.?|to|through|thru|until|till|"
                         r"and|-|–)\s*((?:19|20)\d\d)-(\d\d)-(\d\d)\b", s):
        a = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        b = _safe_date(int(m.group(4)), int(m.group(5)), int(m.group(6)))
        if a and b and a <= b:
            add(m, _range(a, b + timedelta(days=1)))
    # the weeks that start (on a Monday) in a month, or on the Mondays listed: "weeks starting in November 2011",
    # "weeks starting Monday 7, 14, 21 and 28 November 2011" (the last week runs past the month's end)
    for m in re.finditer(rf"(?<=weeks )(?:starting|beginning|commencing)\s+in\s+{MONTH_RE}\s*,?\s*{YEAR_RE}?\b", s):
        month = MONTHS[m.group(1)]
        year = int(m.group(2)) if m.group(2) else _latest_year_for_month(month, as_of)
        first = date(year, month, 1) + timedelta(days=(7 - date(year, month, 1).weekday()) % 7)
        last = first + timedelta(weeks=(_add_months(date(year, month, 1), 1) - first - timedelta(days=1)).days // 7)
        add(m, Period(first, last + timedelta(days=7), f"weeks starting in {year}-{month:02d}", "range"))
    for m in re.finditer(rf"(?<=weeks )(?:starting|beginning|commencing)\s+(?:on\s+)?(?:mondays?\s+|mon\s+)?(\d{{1,2}})"
                         rf"(?:st|nd|rd|th)?((?:\s*,\s*\d{{1,2}}(?:st|nd|rd|th)?)*)\s*,?\s*(?:and|&)\s*(\d{{1,2}})(?:st|nd|rd|th)?\s+"
                         rf"(?:of\s+)?{MONTH_RE}\s*,?\s*{YEAR_RE}\b", s):
        a = _safe_date(int(m.group(5)), MONTHS[m.group(4)], int(m.group(1)))
        b = _safe_date(int(m.group(5)), MONTHS[m.group(4)], int(m.group(3)))
        if a and b and a <= b:
            add(m, Period(a, b + timedelta(days=7), f"weeks starting {a.isoformat()} to {b.isoformat()}", "range"))
    # named shopping days of a year: Black Friday (the day after the fourth Thursday of November), Cyber Monday,
    # Christmas Eve / Day, Boxing Day, New Year's Eve
    for m in re.finditer(r"\b(black friday|cyber monday|christmas eve|christmas day|boxing day|new year'?s eve)(?:\s+of)?,?\s+"
                         r"((?:19|20)[0-9]{2})\b", s):
        d = _named_day(m.group(1), int(m.group(2)))
        add(m, Period(d, d + timedelta(days=1), f"{m.group(1)} {d.isoformat()}", "day"))
    # "the first week of December 2011": days 1-7 (second 8-14, third 15-21, fourth 22-28; the last: its last 7 days)
    for m in re.finditer(rf"\b(?:the\s+)?(first|1st|second|2nd|third|3rd|fourth|4th|last|final)\s+week\s+(?:of|in)\s+"
                         rf"{MONTH_RE}\s*,?\s*{YEAR_RE}?", s):
        mo = MONTHS[m.group(2)]
        month = _month(int(m.group(3)) if m.group(3) else _latest_year_for_month(mo, as_of), mo)
        nth = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3}.get(m.group(1))
        start = month.start + timedelta(days=7 * nth) if nth is not None else month.end - timedelta(days=7)
        add(m, _range(start, start + timedelta(days=7)))
    # "the first fortnight of June 2011": days 1-14 (the second 15-28, the last its last 14 days); the days said in
    # brackets after it are the asker's own ("the first fortnight of June 2011 (1st-15th)")
    for m in re.finditer(rf"\b(?:the\s+)?(first|1st|second|2nd|last|final)\s+(?:fortnight|two weeks)\s+(?:of|in)\s+"
                         rf"{MONTH_RE}\s*,?\s*{YEAR_RE}?(?:\s*\(\s*(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-|–|to|through|"
                         r"until)\s*(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\s*\))?", s):
        mo = MONTHS[m.group(2)]
        month = _month(int(m.group(3)) if m.group(3) else _latest_year_for_month(mo, as_of), mo)
        start = month.end - timedelta(days=14) if m.group(1) in ("last", "final") else \
            month.start + timedelta(days=0 if m.group(1) in ("first", "1st") else 14)
        end = start + timedelta(days=14)
        if m.group(4):
            first, last = (_safe_date(month.start.year, mo, int(g)) for g in (m.group(4), m.group(5)))
            if first != start or last is None or not first <= last < month.end:
                continue  # brackets that say another start: left for the parser to refuse
            end = last + timedelta(days=1)
        add(m, _range(start, end))
    # "growth from 2010 to 2011": two years (not "since 2010" against 2011)
    for m in re.finditer(rf"\bfrom\s+{YEAR_RE}\s+to\s+{YEAR_RE}\b", s):
        if not taken(m.start(), m.end()):
            found.append((m.start(1), m.end(1), _year(int(m.group(1)))))
            found.append((m.start(2), m.end(2), _year(int(m.group(2)))))
    # "from 2010 through 2011", "2010-2011": whole years, one range ("2010 to 2011", "2010 and 2011" stay two years)
    for m in re.finditer(rf"\b(?:from\s+)?{YEAR_RE}\s*(?:through|thru|until|till|-|–)\s*{YEAR_RE}\b", s):
        a, b = int(m.group(1)), int(m.group(2))
        if a < b:
            add(m, _range(date(a, 1, 1), date(b + 1, 1, 1)))
    # "the first nine days of December 2011", "the last 10 days of November 2011"
    for m in re.finditer(rf"\b(?:the\s+)?(first|last|final)\s+(\d{{1,2}}|{'|'.join(NUM_WORDS)})\s+days\s+(?:of|in)\s+"
                         rf"{MONTH_RE}\s*,?\s*{YEAR_RE}", s):
        days = int(m.group(2)) if m.group(2).isdigit() else NUM_WORDS[m.group(2)]
        month = _month(int(m.group(4)), MONTHS[m.group(3)])
        if 0 < days <= (month.end - month.start).days:
            start = month.start if m.group(1) == "first" else month.end - timedelta(days=days)
            add(m, _range(start, start + timedelta(days=days)))
    # "July, August and September 2011": months in a row named one by one, one range
    for m in re.finditer(rf"\b{MONTH_RE}((?:\s*,\s*{MONTH_RE})*)\s*(?:,?\s*(?:and|&|or)\s*|,\s*){MONTH_RE}\s*,?\s*{YEAR_RE}\b", s):
        named = [MONTHS[x] for x in re.findall(MONTH_RE, m.group(0))]
        together = re.search(r"\b(?:over|across|during|throughout)\s+(?:the\s+)?$", s[max(0, m.start() - 25):m.start()]) \
            or re.match(r"\s*(?:combined|together|put together|taken together|in total)\b", s[m.end():])
        if (len(named) >= 3 or len(named) == 2 and together) and named == list(range(named[0], named[0] + len(named))):
            # two months are one span only when said so ("over July and August 2011", "... combined"): else each
            year = int(m.groups()[-1])
            add(m, _range(_month(year, named[0]).start, _month(year, named[-1]).end))
    # "Dec 2010, Jan 2011 and Feb 2011": three or more months in a row, each with its year, one range
    one = rf"{MONTH_RE}[a-z]*\s+{YEAR_RE}"
    for m in re.finditer(rf"\b{one}(?:\s*,\s*{one})*\s*(?:,?\s*(?:and|&)\s*|,\s*){one}\b", s):
        named = [(int(y), MONTHS[x]) for x, y in re.findall(one, m.group(0))]
        months = [12 * y + n for y, n in named]
        if len(named) >= 3 and months == list(range(months[0], months[0] + len(months))):
            add(m, _range(_month(*named[0]).start, _month(*named[-1]).end))
    # "q1, q2, q3 2011", "Q2 and Q3 2011 together": quarters in a row named one by one, one range (two only when said so)
    for m in re.finditer(rf"\bq([1-4])((?:\s*,\s*q[1-4])*)\s*(?:,?\s*(?:and|&)\s*|,\s*)q([1-4])\s*,?\s*(?:of\s+)?{YEAR_RE}\b", s):
        named = [int(x) for x in re.findall(r"q([1-4])", m.group(0))]
        together = re.match(r"\s*(?:combined|together|put together|taken together|in total)\b", s[m.end():])
        if (len(named) >= 3 or together) and named == list(range(named[0], named[0] + len(named))):
            first, last = _quarter(int(m.group(4)), named[0]), _quarter(int(m.group(4)), named[-1])
            add(m, Period(first.start, last.end, f"{first.label} to {last.label}", "range"))
    # days written out: 14 November 2011, 14th of Nov 2011, November 14, 2011; ranges of them ("from 1 March 2011
    # to 15 April 2011", "1 to 9 December 2011") and the week that starts on one ("week commencing 5 December 2011")
    for m in re.finditer(rf"\b(?:the\s+)?week\s+(?:commencing|starting|beginning|of)\s+(?:(?:on\s+)?(?:monday|mon)\s+)?"
                         rf"(?:the\s+)?{DAY_RE}", s):
        d = _day_of(m, 1)
        if d:
            add(m, Period(d, d + timedelta(days=7), f"week of {d.isoformat()}", "week"))
    for m in re.finditer(rf"\b(?:(?:between|from)\s+)?(?:the\s+)?{DAY_RE}\s+(?:and|to|until|till|through|thru|-)\s+"
                         rf"(?:the\s+)?{DAY_RE}", s):
        a, b = _day_of(m, 1), _day_of(m, 7)
        if a is None and b is not None and m.group(1):  # "1 to 9 December 2011": the first day borrows the rest
            a = _safe_date(b.year, b.month, int(m.group(1)))
        if a and b and a <= b:
            add(m, _range(a, b + timedelta(days=1)))
    # "dec 1-7 2011", "oct 3rd and oct 9th 2011", "Oct 3 to Nov 9, 2011": month first, one year at the end
    for m in re.finditer(rf"\b(?:(?:between|from)\s+)?{MONTH_RE}\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:and|to|until|till|through|"
                         rf"thru|-)\s*(?:{MONTH_RE}\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*{YEAR_RE}\b", s):
        year = int(m.group(5))
        a = _safe_date(year, MONTHS[m.group(1)], int(m.group(2)))
        b = _safe_date(year, MONTHS[m.group(3) or m.group(1)], int(m.group(4)))
        if a and b and a <= b:
            add(m, _range(a, b + timedelta(days=1)))
    # dd/mm/yyyy (day first, as in the UK), read only where the day cannot be a month or a range's end says so
    for m in re.finditer(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\s*(?:-|to|until|and)\s*(\d{1,2})/(\d{1,2})/(\d{4})\b", s):
        d1, m1, y1, d2, m2, y2 = (int(g) for g in m.groups())
        if max(d1, d2) > 12:
            a, b = _safe_date(y1, m1, d1), _safe_date(y2, m2, d2)
            if a and b and a <= b:
                add(m, _range(a, b + timedelta(days=1)))
    # "the week starting Mon 21/11/2011 (and ending Sun 27/11)": seven days from that day, its end said again
    for m in re.finditer(r"\b(?:the\s+)?week\s+(?:commencing|starting|beginning|of)\s+(?:(?:on\s+)?(?:monday|mon)\s+)?"
                         r"(\d{1,2})/(\d{1,2})/(\d{4})\b(?:,?\s*(?:and\s+)?(?:ending|ends)\s+(?:on\s+)?(?:sunday|sun)?\s*"
                         r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\b)?", s):
        d, mo, y = (int(g) for g in m.groups()[:3])
        day = _safe_date(y, mo, d) if d > 12 or d == mo or m.group(4) else None
        if day and (not m.group(4) or _safe_date(int(m.group(6) or y), int(m.group(5)), int(m.group(4)))
                    == day + timedelta(days=6)):
            add(m, Period(day, day + timedelta(days=7), f"week of {day.isoformat()}", "week"))
    for m in re.finditer(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", s):
        d, mo, y = (int(g) for g in m.groups())
        if d > 12 or d == mo:
            day = _safe_date(y, mo, d)
            if day:
                add(m, Period(day, day + timedelta(days=1), day.isoformat(), "day"))
    # "the 8 weeks starting Monday 3 Oct 2011", "30 days from 1 March 2011"
    for m in re.finditer(rf"\b(?:the\s+)?(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+(day|week|month)s?\s+"
                         rf"(?:starting|beginning|commencing|from)\s+(?:(?:on\s+)?(?:monday|mon)\s+)?(?:the\s+)?{DAY_RE}", s):
        k = int(m.group(1)) if m.group(1).isdigit() else NUM_WORDS[m.group(1)]
        d = _day_of(m, 3)
        if d and k <= 520:
            end = (d + timedelta(days=k) if m.group(2) == "day" else d + timedelta(weeks=k) if m.group(2) == "week"
                   else _shift_months(d, k))
            add(m, Period(d, end, f"{k} {m.group(2)}s from {d.isoformat()}", "range"))
    # "15 September to 15 October 2011", "7 Nov - 4 Dec 2011": the first day borrows the year
    for m in re.finditer(rf"\b(?:(?:between|from)\s+)?(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_RE}\s+"
                         rf"(?:and|to|until|till|through|thru|-)\s+(?:the\s+)?{DAY_RE}", s):
        b = _day_of(m, 3)
        a = _safe_date(b.year, MONTHS[m.group(2)], int(m.group(1))) if b else None
        if a and b and a > b:
            a = _safe_date(b.year - 1, MONTHS[m.group(2)], int(m.group(1)))
        if a and b:
            add(m, _range(a, b + timedelta(days=1)))
    # year / quarter / month to date as at a day: "year-to-date revenue as at 9 December 2011"
    for m in re.finditer(rf"\b(year|quarter|month)[ -]to[ -]date\s+(?:as\s+(?:at|of|on)|up\s+to|to|until|through|ending)\s+"
                         rf"(?:the\s+)?{DAY_RE}", s):
        d = _day_of(m, 2)
        if d:
            start = (date(d.year, 1, 1) if m.group(1) == "year" else d.replace(day=1) if m.group(1) == "month"
                     else date(d.year, 3 * ((d.month - 1) // 3) + 1, 1))
            add(m, _range(start, d + timedelta(days=1)))
    # the fortnight up to 9 Dec 2011 / the week ending 11 December 2011 / the last 30 days to 9 December 2011
    for m in re.finditer(rf"\b(?:the\s+)?(?:(?:last|past|previous|final)\s+)?(fortnight|week|two weeks|(\d{{1,3}}) days)\s+"
                         rf"(?:up\s+to|ending|ended|to|until|through)\s+(?:and\s+including\s+)?(?:the\s+)?{DAY_RE}", s):
        d = _day_of(m, 3)
        if d:
            days = int(m.group(2)) if m.group(2) else 14 if m.group(1) in ("fortnight", "two weeks") else 7
            add(m, _range(d - timedelta(days=days - 1), d + timedelta(days=1)))
    for m in re.finditer(rf"\b(?:(?:between|from)\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:and|to|until|till|through|thru|-)\s*"
                         rf"{DAY_RE}", s):
        b = _day_of(m, 2)
        a = _safe_date(b.year, b.month, int(m.group(1))) if b else None
        if a and b and a <= b:
            add(m, _range(a, b + timedelta(days=1)))
    for m in re.finditer(rf"\bsince\s+(?:the\s+)?{DAY_RE}", s):  # since 1 September 2011: to the data's last day
        d = _day_of(m, 1)
        if d and d < nxt:
            add(m, Period(d, nxt, f"since {d.isoformat()}", "range"))
    for m in re.finditer(rf"\b(?:on\s+)?(?:the\s+)?{DAY_RE}", s):
        d = _day_of(m, 1)
        if d:
            add(m, Period(d, d + timedelta(days=1), d.isoformat(), "day"))
    # first half of 2011 / H2 2011 / second quarter of 2011
    for m in re.finditer(rf"\b(?:the\s+)?(first|second|1st|2nd)\s+half\s+(?:of\s+)?{YEAR_RE}|\bh([12])\s*(?:of\s+)?{YEAR_RE}", s):
        half = 1 if (m.group(1) or "") in ("first", "1st") or m.group(3) == "1" else 2
        add(m, _half(int(m.group(2) or m.group(4)), half))
    for m in re.finditer(r"\bh([12])\b", s):  # "H1" alone, as a quarter alone: the latest that has started
        half = int(m.group(1))
        yr = _year_of_the_next(s, m.end())  # "H1 to H2 2023": the year said once is both halves'
        add(m, _half(yr or (as_of.year if _half(as_of.year, half).start <= as_of else as_of.year - 1), half))
    for m in re.finditer(rf"\b(?:the\s+)?(first|second|third|fourth|last|final|1st|2nd|3rd|4th)\s+quarter\s+(?:of\s+)?{YEAR_RE}", s):
        q = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3}.get(m.group(1), 4)
        add(m, _quarter(int(m.group(2)), q))
    # "the second half" / "the fourth quarter" with no year: the year said last before it ("from the first half of
    # 2011 to the second half"), else the latest that has started
    for m in re.finditer(r"\b(?:the\s+)?(?:(first|second|1st|2nd)\s+half|(first|second|third|fourth|1st|2nd|3rd|4th)\s+"
                         r"quarter)\b(?!\s+(?:of\b|(?:19|20)\d\d))", s):
        years = re.findall(rf"\b{YEAR_RE}\b", s[:m.start()])
        if m.group(1):
            half = 1 if m.group(1) in ("first", "1st") else 2
            year = int(years[-1]) if years else as_of.year if _half(as_of.year, half).start <= as_of else as_of.year - 1
            add(m, _half(year, half))
        else:
            q = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3}.get(m.group(2), 4)
            year = int(years[-1]) if years else as_of.year if _quarter(as_of.year, q).start <= as_of else as_of.year - 1
            add(m, _quarter(year, q))
    # January through June 2011 / Jan-Jun 2011 / January to June (no "from")
    for m in re.finditer(rf"\b{MONTH_RE}\s*{YEAR_RE}?\s*(?:through|thru|to|until|till|-)\s*{MONTH_RE}\s*,?\s*{YEAR_RE}", s):
        m1, y1, m2, y2 = MONTHS[m.group(1)], m.group(2), MONTHS[m.group(3)], int(m.group(4))
        year1 = int(y1) if y1 else (y2 if m1 <= m2 else y2 - 1)
        start, last = date(year1, m1, 1), date(y2, m2, 1)
        if start <= last:
            add(m, Period(start, _add_months(last, 1), f"{start:%Y-%m} to {last:%Y-%m}", "range"))
    # "January to June" with no year: the one year the question names, else the latest such months
    years = set(re.findall(rf"\b{YEAR_RE}\b", s))
    for m in re.finditer(rf"\b{MONTH_RE}\s*(?:through|thru|to|until|till|-)\s*{MONTH_RE}\b", s):
        m1, m2 = MONTHS[m.group(1)], MONTHS[m.group(2)]
        y2 = int(next(iter(years))) if len(years) == 1 else _latest_year_for_month(m2, as_of)
        start, last = date(y2 if m1 <= m2 else y2 - 1, m1, 1), date(y2, m2, 1)
        add(m, Period(start, _add_months(last, 1), f"{start:%Y-%m} to {last:%Y-%m}", "range"))
    # between May and July [2011] / from May to July
    for m in re.finditer(rf"\b(?:between|from)\s+{MONTH_RE}\s*{YEAR_RE}?\s+(?:and|to|until|-)\s+{MONTH_RE}\s*{YEAR_RE}?", s):
        m1, y1, m2, y2 = MONTHS[m.group(1)], m.group(2), MONTHS[m.group(3)], m.group(4)
        year2 = int(y2) if y2 else (int(y1) if y1 else _latest_year_for_month(m2, as_of))
        year1 = int(y1) if y1 else (year2 if m1 <= m2 else year2 - 1)
        start = date(year1, m1, 1)
        end = _add_months(date(year2, m2, 1), 1)
        add(m, Period(start, end, f"{start:%Y-%m} to {date(year2, m2, 1):%Y-%m}", "range"))
    # between 2011-01-01 and 2011-03-31 (inclusive)
    for m in re.finditer(r"\b(?:between|from)\s+(\d{4}-\d{2}-\d{2})\s+(?:and|to|until)\s+(\d{4}-\d{2}-\d{2})", s):
        a, b = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
        add(m, _range(a, b + timedelta(days=1)))
    # since March / since 2011-03-05 / since 2011 / since March 2011
    for m in re.finditer(rf"\b(?:since|after|from)\s+(?:{MONTH_RE}\s*{YEAR_RE}?|(\d{{4}}-\d{{2}}-\d{{2}})|{YEAR_RE})\b", s):
        if m.group(1):
            mo = MONTHS[m.group(1)]
            yr = int(m.group(2)) if m.group(2) else _latest_year_for_month(mo, as_of)
            start = date(yr, mo, 1)
        elif m.group(3):
            start = date.fromisoformat(m.group(3))
        else:
            start = date(int(m.group(4)), 1, 1)
        add(m, Period(start, nxt, f"since {start.isoformat()}", "range"))
    # up to June 2011 / until the end of 2011: everything before the end of it
    for m in re.finditer(rf"\b(?:up to|up until|until|till|through|thru|to the end of|by the end of)\s+(?:the\s+)?"
                         rf"(?:end\s+of\s+)?(?:{MONTH_RE}\s*{YEAR_RE}?|{YEAR_RE})\b", s):
        if m.group(1):
            mo = MONTHS[m.group(1)]
            end = _month(int(m.group(2)) if m.group(2) else _latest_year_for_month(mo, as_of), mo).end
        else:
            end = date(int(m.group(3)) + 1, 1, 1)
        add(m, Period(date(1900, 1, 1), end, f"the period up to {(end - timedelta(days=1)).isoformat()}", "range"))
    # up to Q4 2011 / through H1 2011: everything before the end of that quarter or half
    for m in re.finditer(rf"\b(?:up to|up until|until|till|through|thru|to the end of|by the end of)\s+(?:the\s+)?"
                         rf"(?:end\s+of\s+)?(q[1-4]|h[12])\s*(?:of\s+)?{YEAR_RE}\b", s):
        part, year = m.group(1), int(m.group(2))
        end = (_quarter(year, int(part[1])) if part[0] == "q" else _half(year, int(part[1]))).end
        add(m, Period(date(1900, 1, 1), end, f"the period up to {(end - timedelta(days=1)).isoformat()}", "range"))
    # Q3 2011 / 2011 Q3 / third quarter of 2011 / Q3
    for m in re.finditer(rf"\bq([1-4])\s*(?:of\s+)?{YEAR_RE}?\b|\b{YEAR_RE}\s*q([1-4])\b", s):
        if m.group(1):
            q = int(m.group(1))
            yr = int(m.group(2)) if m.group(2) else None
        else:
            q, yr = int(m.group(4)), int(m.group(3))
        if yr is None:
            yr = _year_of_the_next(s, m.end()) or (
                as_of.year if date(as_of.year, 3 * (q - 1) + 1, 1) <= as_of else as_of.year - 1)
        add(m, _quarter(yr, q))
    # last/past N days|weeks|months, last week/month/quarter/year, this month/year
    # "the 3 months to October 2011": whole months ending with the one named; "the last 3 full months": those before
    # the month the data ends in
    for m in re.finditer(rf"\b(?:the\s+)?(\d+|two|three|four|five|six|nine|twelve)\s+months?\s+(?:to|ending|ended|up to|"
                         rf"through|thru|until)\s+(?:the\s+end\s+of\s+)?{MONTH_RE}\s*,?\s*{YEAR_RE}?", s):
        n = int(m.group(1)) if m.group(1).isdigit() else NUM_WORDS[m.group(1)]
        mo = MONTHS[m.group(2)]
        last = _month(int(m.group(3)) if m.group(3) else _latest_year_for_month(mo, as_of), mo)
        add(m, _range(_shift_months(last.start, 1 - n), last.end))
    for m in re.finditer(r"\b(?:the\s+)?(?:last|past|previous)\s+(\d+|two|three|four|five|six|nine|twelve)\s+(?:full|complete|"
                         r"whole|completed|calendar)\s+months\b", s):
        n = int(m.group(1)) if m.group(1).isdigit() else NUM_WORDS[m.group(1)]
        end = (as_of + timedelta(days=1)).replace(day=1)  # the data's own month counts when it ends on its last day
        add(m, _range(_shift_months(end, -n), end))
    for m in re.finditer(r"\b(?:last|past|previous)\s+(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+(day|week|month|year)s?\b", s):
        n = int(m.group(1)) if m.group(1).isdigit() else NUM_WORDS[m.group(1)]
        unit = m.group(2)
        if unit == "day":
            start = nxt - timedelta(days=n)
        elif unit == "week":
            start = nxt - timedelta(weeks=n)
        elif unit == "month":
            start = _shift_months(nxt, -n)
        else:
            start = _shift_months(nxt, -12 * n)
        add(m, Period(start, nxt, f"last {n} {unit}s", "range"))
    for m in re.finditer(r"\b(last|previous|past|this|current)\s+(week|month|quarter|year)\b", s):
        which, unit = m.group(1), m.group(2)
        this = which in ("this", "current")
        if unit == "month":
            start = as_of.replace(day=1)
            p = _month(start.year, start.month) if this else _month(*_ym(_add_months(start, -1)))
            if this:
                p = Period(p.start, nxt, f"{p.label} (to {as_of.isoformat()})", "month")
        elif unit == "year":
            p = Period(date(as_of.year, 1, 1), nxt, f"{as_of.year} (to {as_of.isoformat()})", "year") if this else _year(as_of.year - 1)
        elif unit == "quarter":
            q = (as_of.month - 1) // 3 + 1
            if this:
                p = _quarter(as_of.year, q)
                p = Period(p.start, nxt, p.label, "quarter")
            else:
                p = _quarter(as_of.year, q - 1) if q > 1 else _quarter(as_of.year - 1, 4)
        else:
            monday = as_of - timedelta(days=as_of.weekday())
            start = monday if this else monday - timedelta(days=7)
            p = Period(start, nxt if this else monday, f"week of {start.isoformat()}", "week")
        add(m, p)
    # year / quarter / month to date, and the last fortnight
    for m in re.finditer(r"\b(year|quarter|month)[ -]to[ -]date\b|\b(ytd|qtd|mtd)\b", s):
        unit = m.group(1) or {"ytd": "year", "qtd": "quarter", "mtd": "month"}[m.group(2)]
        start = (date(as_of.year, 1, 1) if unit == "year" else as_of.replace(day=1) if unit == "month"
                 else date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1))
        add(m, Period(start, nxt, f"{unit} to date ({start.isoformat()} to {as_of.isoformat()})", "range"))
    for m in re.finditer(r"\b(?:last|past|previous)\s+(?:fortnight|two weeks)\b", s):
        add(m, Period(nxt - timedelta(days=14), nxt, "last 14 days", "range"))
    for m in re.finditer(r"\b(yesterday|today)\b", s):
        d = as_of if m.group(1) == "today" else as_of - timedelta(days=1)
        add(m, Period(d, d + timedelta(days=1), d.isoformat(), "day"))
    # ISO day / ISO month
    for m in re.finditer(r"\b(\d{4})-(\d{2})-(\d{2})\b", s):
        d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        add(m, Period(d, d + timedelta(days=1), d.isoformat(), "day"))
    for m in re.finditer(r"\b(\d{4})-(\d{2})\b", s):
        if 1 <= int(m.group(2)) <= 12:
            add(m, _month(int(m.group(1)), int(m.group(2))))
    # November 2011 / Nov 2011 / in November
    for m in re.finditer(rf"\b{MONTH_RE}\s*[,/-]?\s*{YEAR_RE}\b", s):
        add(m, _month(int(m.group(2)), MONTHS[m.group(1)]))
    # "October and November 2023": the year said once is both months' (December and January: the year before)
    for m in re.finditer(rf"\b{MONTH_RE}\s*(?:and|or|&|,|vs\.?|versus|against|compared (?:to|with))\s*{MONTH_RE}\s*,?\s*{YEAR_RE}\b", s):
        first, second = MONTHS[m.group(1)], MONTHS[m.group(2)]
        if not taken(m.start(1), m.end(1)):
            found.append((m.start(1), m.end(1), _month(int(m.group(3)) - (first > second), first)))
    for m in re.finditer(rf"\b(?:in|during|for|of|and|vs|versus|or|than)\s+{MONTH_RE}\b", s):
        mo = MONTHS[m.group(1)]
        add(m, _month(_latest_year_for_month(mo, as_of), mo))
    for m in re.finditer(rf"^{MONTH_RE}\b|\b{MONTH_RE}(?=\s+(?:revenue|sales|orders))", s):
        name = m.group(1) or m.group(2)
        if name == "may" or name == "mar":
            continue
        mo = MONTHS[name]
        add(m, _month(_latest_year_for_month(mo, as_of), mo))
    # a bare year: in 2011
    for m in re.finditer(rf"\b{YEAR_RE}\b", s):
        add(m, _year(int(m.group(1))))
    found.sort(key=lambda f: f[0])
    periods = list({(p.start, p.end): p for _, _, p in reversed(found)}.values())[::-1]  # a restated period is one
    return (periods[0] if periods else None), [(a, b) for a, b, _ in found], periods


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _day_of(m: re.Match, first: int) -> date | None:
    """The date of a DAY_RE match whose groups start at `first` (day, month, year, month, day, year)."""
    g = [m.group(first + i) for i in range(6)]
    if g[0]:
        return _safe_date(int(g[2]), MONTHS[g[1]], int(g[0]))
    if g[3]:
        return _safe_date(int(g[5]), MONTHS[g[3]], int(g[4]))
    return None


def _ym(d: date) -> tuple[int, int]:
    return d.year, d.month


def _shift_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    day = min(d.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30,
                      31, 30, 31][month - 1])
    return date(year, month, day)


def whole_months_only(p: Period, as_of: date) -> Period:
    """`p` without the month the data are still in: "complete months of 2011 only" ends with November when the data
    end on 9 December."""
    after = as_of + timedelta(days=1)
    whole_until = after if after.day == 1 else date(after.year, after.month, 1)
    if p.start < whole_until < p.end:
        return Period(p.start, whole_until, f"{p.start:%Y-%m} to {_shift_months(whole_until, -1):%Y-%m}", "range")
    return p


def same_span_in_year(p: Period, year: int) -> Period:
    """The same dates as `p` in another year: "November 2011 vs 2010" compares November 2010, not all of 2010."""
    step = 12 * (year - p.start.year)
    start, end = _shift_months(p.start, step), _shift_months(p.end, step)
    label = {"month": f"{start:%Y-%m}", "quarter": f"Q{(start.month - 1) // 3 + 1} {start.year}",
             "half": f"H{(start.month - 1) // 6 + 1} {start.year}"}.get(p.grain)
    return Period(start, end, label, p.grain) if label else _range(start, end, p.grain)


def period_before(p: Period, step: str) -> Period:
    """The period a "month on month" (step 'previous') or "year on year" (step 'year') figure compares `p` with:
    the calendar month, quarter or year before, the week or day before, a range of the same length right before
    it; or the same dates a year earlier."""
    if step == "year":
        start, end = _shift_months(p.start, -12), _shift_months(p.end, -12)
        label = {"month": f"{start:%Y-%m}", "quarter": f"Q{(start.month - 1) // 3 + 1} {start.year}",
                 "year": str(start.year)}.get(p.grain)
        return Period(start, end, label, p.grain) if label else _range(start, end, p.grain)
    if p.grain == "month":
        return _month(_shift_months(p.start, -1).year, _shift_months(p.start, -1).month)
    if p.grain == "quarter":
        before = _shift_months(p.start, -3)
        return _quarter(before.year, (before.month - 1) // 3 + 1)
    if p.grain == "year":
        return _year(p.start.year - 1)
    length = p.end - p.start
    return _range(p.start - length, p.start, p.grain if p.grain in ("day", "week") else "range")



# the bounds of a period said again beside it: "Q4 2011 (1 October to 9 December)", "the first half (January to
# June)", "Q3 2011 (Jul-Sep)", "(Q4 to 9 December)", "I know your data stops on 9 December"
_POINT = rf"(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_RE}\b\.?|{MONTH_RE}\b\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b)"
_UNTIL = r"\s*(?:-|–|—|to|until|till|through|thru|and)\s*"
_DAY_SPAN = re.compile(rf"\(?\s*(?:from\s+|so\s+|i\.?e\.?,?\s+|that is,?\s+)?{_POINT}{_UNTIL}{_POINT}(?:\s*,?\s*{YEAR_RE})?"
                       r"(?:\s+inclusive)?\s*\)?")
_MONTH_TO_DAY = re.compile(rf"\(?\s*(?:from\s+)?{MONTH_RE}[a-z]*\.?{_UNTIL}{_POINT}(?:\s*,?\s*{YEAR_RE})?\s*\)?")  # "(July to 9 Dec)"
_MONTH_SPAN = re.compile(rf"\(?\s*(?:from\s+|so\s+|i\.?e\.?,?\s+)?{MONTH_RE}[a-z]*\.?{_UNTIL}{MONTH_RE}[a-z]*\.?"
                         rf"(?:\s*,?\s*{YEAR_RE})?\s*\)?")
# days of the period's own month: "(21 to 27 November)", ", 10 to 16 October", "1st to 9th"
_DAYS_SPAN = re.compile(rf"\(?\s*(?:from\s+|so\s+|i\.?e\.?,?\s+|that is,?\s+)?(?:the\s+)?(?<![\d/.:])(\d{{1,2}})(?:st|nd|rd|th)?"
                        rf"{_UNTIL}(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+(?:of\s+)?{MONTH_RE}\b\.?)?(?:\s*,?\s*{YEAR_RE})?\s*\)?(?!\d|[:/.]\d)")
_ANY_MONTH = "(?:" + MONTH_RE[1:]  # the same, capturing nothing
_MONTH_LIST = re.compile(rf"\(?\s*{MONTH_RE}[a-z]*((?:\s*,\s*{_ANY_MONTH}[a-z]*)*)\s*(?:,?\s*and\s+|,\s*){MONTH_RE}[a-z]*"
                         rf"(?:\s+(?:to|until|up to)\s+the\s+(\d{{1,2}})(?:st|nd|rd|th))?\s*\)?")
_END_ONLY = re.compile(
    rf"[,;]?\s*\(?\s*(?:(?:i know |note |bear in mind |remember )?(?:that )?(?:your |our |the )?data (?:only )?"
    r"(?:stops?|ends?|runs?|goes|finish(?:es)?)(?: on| at)?|(?:which|it|that|this|the (?:quarter|year|half|month|period)|"
    r"q[1-4]|h[12]|(?:the )?(?:first|second|third|fourth|last|final) (?:quarter|half))"
    r"\s+(?:only\s+)?(?:runs?|running|goes|going|is|ends?|ending|stops?)\s+(?:only\s+)?(?:to|until|till|through|up to|on)|"
    r"(?:runs?|running)\s+(?:only\s+)?"
    r"(?:to|until|through)|(?:(?:q[1-4]|h[12]|(?:the\s+)?(?:first|second|third|fourth|last|final|1st|2nd|3rd|4th)\s+(?:quarter|half))\s+)?"
    r"(?:only\s+)?(?:to|until|till|through|up to|as far as))\s+(?:the\s+)?"
    rf"(?:{_POINT}|(\d{{1,2}})(?:st|nd|rd|th)\b)(?:\s*,?\s*{YEAR_RE})?\s*\)?\.?")


def restated_bounds(text: str, periods: list[Period], as_of: date | None) -> list[tuple[tuple[int, int], Period, bool]]:
    """(span, period, end only): the spans of `text` that only say again where one of `periods` starts and ends (its
    end taken as far as the data go, `as_of`). The caller keeps a span of both bounds only where the period is named
    elsewhere too; one that says only where a period ends ("Q4 runs to 9 December") never narrows anything."""
    def ends(p: Period) -> set[date]:
        last = p.end - timedelta(days=1)
        return {last} | ({as_of} if as_of is not None and p.start <= as_of < last else set())

    def point(g: list, year: int) -> date | None:
        if g[0]:
            return _safe_date(year, MONTHS[g[1]], int(g[0]))
        if g[2]:
            return _safe_date(year, MONTHS[g[2]], int(g[3]))
        return None

    spans = []
    for m in _DAY_SPAN.finditer(text):
        g = list(m.groups())
        for p in periods:
            year = int(g[8]) if g[8] else p.start.year
            first, last = point(g[0:4], year), point(g[4:8], int(g[8]) if g[8] else (p.end - timedelta(days=1)).year)
            if first == p.start and last in ends(p):
                spans.append((m.span(), p, False))
                break
    for m in _DAYS_SPAN.finditer(text):
        for p in periods:
            last_day = p.end - timedelta(days=1)
            month = MONTHS[m.group(3)] if m.group(3) else None
            if (int(m.group(1)) == p.start.day and int(m.group(2)) == last_day.day and month in (None, last_day.month)
                    and (not m.group(4) or int(m.group(4)) == last_day.year) and p.end - p.start <= timedelta(days=31)):
                spans.append((m.span(), p, False))
                break
    for m in _MONTH_TO_DAY.finditer(text):
        g = list(m.groups())
        for p in periods:
            year = int(g[5]) if g[5] else (p.end - timedelta(days=1)).year
            first, last = _safe_date(p.start.year, MONTHS[g[0]], 1), point(g[1:5], year)
            if first == p.start and last in ends(p):
                spans.append((m.span(), p, False))
                break
    for m in _MONTH_SPAN.finditer(text):
        for p in periods:
            year = int(m.group(3)) if m.group(3) else p.start.year
            if (year, MONTHS[m.group(1)]) == _ym(p.start) and any(
                    (year if not m.group(3) else int(m.group(3)), MONTHS[m.group(2)]) == _ym(d) for d in ends(p)) \
                    and p.start.day == 1:
                spans.append((m.span(), p, False))
                break
    for m in _MONTH_LIST.finditer(text):
        said = [m.group(1), *re.findall(MONTH_RE, m.group(2) or ""), m.group(3)]
        months = [MONTHS[s] for s in said]
        for p in periods:
            if p.start.day == 1 and months == list(range(p.start.month, p.start.month + len(months))) and any(
                    (p.start.year, months[-1]) == _ym(d) and (not m.group(4) or int(m.group(4)) == d.day) for d in ends(p)):
                spans.append((m.span(), p, False))
                break
    for m in _END_ONLY.finditer(text):
        if re.search(rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?|{MONTH_RE})\.?\s*$", text[:m.start()]):
            continue  # the end of a range said in full ("1 to 9 December 2011"): a period of its own
        g = list(m.groups())
        for p in periods:
            year = int(g[5]) if g[5] else (p.end - timedelta(days=1)).year
            last = point(g[0:4], year) if (g[0] or g[2]) else next((d for d in sorted(ends(p)) if d.day == int(g[4])),
                                                                   None)
            if last is not None and last in ends(p):
                spans.append((m.span(), p, True))
                break
    return [(span, p, end_only) for span, p, end_only in spans if span[1] > span[0]]
