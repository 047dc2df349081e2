"""Find milestone times (liftoff, docking, coverage start...) in news articles, agency advisories and blog posts.

The reading follows what a careful person does with such a text:

* Each time expression ("at 1:12 a.m. EST (0612 GMT)") is read with ``bot.timeparse``; every zone rendering of
  one instant is resolved and they must agree, else the milestone carries a ``conflict`` instead of a silent pick.
* Its kind comes from the clause it sits in: a kind word straight after it ("the 10:25 p.m. launch") wins, else
  the nearest one before it in the clause, else the nearest one after; a sentence with no kind word at all is
  about the milestone the sentence before it named. Words naming a reference point ("after launch") and other
  happenings (hatch opening, news conference, deorbit burn) do not count, or block. In a schedule line ("6:30
  p.m. - Undocking coverage begins (undocking at 7:02 p.m.)", with any dash) the leading time is what the line
  describes (a coverage start when the line is about coverage of a milestone); a time in its brackets is the
  happening named just before it.
* Context flows through the text as a careful reader's does, each with one scope rule:

  - **Zone.** A time's own zone wins. Else a note that governs the whole text ("all times Eastern", "(times in
    UTC)"), wherever it stands; two notes that disagree are reported and neither is used. Else a zone named by
    another time of the same sentence (the nearest before it, else after it: "opens at 6 a.m. and closes at
    9 a.m. EDT"). Else the zone of the last time named earlier in the text. Else the reader's zone, flagged as
    ``zone_assumed``.
  - **Day.** A time's own day wins. Else the nearest day named in the same sentence (before it, else after it).
    Else the last day named earlier in the text: a date heading ("Tuesday, Sept. 9") or any day in a sentence,
    until another is named. Days in reports of things done ("launched on Dec. 1"), old times of a slip and
    datelines ("MOSCOW, Nov. 19 /TASS/") are not carried. Else the publication date, flagged as ``date_assumed``.

  Every milestone records where its day and zone came from (``date_source``, ``zone_source``).
* Slips: in "delayed from X to Y", "moved from X to Y", "a day later than the previously planned X", "earlier
  scheduled at X" the old time X is kept but marked ``superseded``; the new time Y is the milestone (a "to"
  after a slip verb starts no window end).
* A time that ends something ("wrap up around 6 p.m.", "closes at", "until") is not a milestone.
* "tonight", "Saturday" and year-less dates are read against the publication date; a bare weekday in a
  past-tense report is the last such day, not the next.
* Editor's notes and update stamps are not read as mission times, but a skipped note that holds a time is listed
  among the problems; an "Update:" paragraph loses only its stamp. A piece that cannot be read ("05/07/2024")
  is reported and the rest of its paragraph is still read. A day-only mention is kept only when it is not a past
  report and no exact time of that kind was found.
* Reading is linear in the length of the text: keywords are found once per paragraph and looked up by position.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

from bot.models import MilestoneKind, Precision, ensure_utc, isoformat_z
from bot.timeparse import (
    SITE_ZONES,
    Context,
    Kind,
    Rendering,
    TimeParseError,
    Token,
    ZoneRef,
    group,
    lookup_zone,
    reader_zone,
    resolve_group,
    scan_prose,
)

__all__ = ["Alternative", "Extracted", "extract_milestones", "extract_with_problems"]


@dataclass(frozen=True, slots=True)
class Alternative:
    """Another rendering of the same instant found in the text ("0612 GMT" next to "1:12 a.m. EST")."""

    phrase: str
    utc: datetime
    zone: str


@dataclass(frozen=True, slots=True)
class Extracted:
    """A milestone time found in text."""

    kind: MilestoneKind
    utc: datetime
    precision: Precision
    phrase: str
    past: bool = False
    conflict: str | None = None
    alternatives: tuple[Alternative, ...] = ()
    zone: str = "UTC"
    zone_assumed: bool = False
    note: str | None = None
    day: date | None = None  # the calendar date, when the text gave only a date
    # True when the day came only from the publication date (no day named anywhere the time could take it from).
    date_assumed: bool = False
    # Where the day and the zone came from: "text" (the expression itself), "sentence", "heading", "earlier"
    # (named before, in the same section), "note" (a note governing the whole text, zone only), "site" (plain
    # "local time" read as the launch site's), "published" / "reader" (assumed), "none" (a date alone needs no zone).
    date_source: str = "text"
    zone_source: str = "text"
    superseded: bool = False  # the old time of a slip ("delayed from X to Y": X)

    def __post_init__(self) -> None:
        object.__setattr__(self, "utc", ensure_utc(self.utc))


# Objects of coverage ("launch coverage", "arrival and capture coverage"): the coverage of a milestone.
_COVERED = (
    r"launch|liftoff|lift-off|docking|undocking|arrival|departure|return|landing|splashdown|spacewalk|rendezvous"
    r"|capture|berthing|unberthing|installation|release|relocation|mission|event|ascent|re-?entry"
)
_STATION = (
    r"(?:the\s+)?(?:orbiting\s+(?:laboratory|lab|outpost|complex)|(?:international\s+)?space\s+station"
    r"(?:\s+combination)?|station|ISS|Tiangong(?:\s+space\s+station)?)"
)

# (pattern, kind, past). ``None`` as kind marks words for other happenings: a time next to them is not a
# milestone. Order does not matter; overlapping matches keep the longest.
_KEYWORDS: list[tuple[str, MilestoneKind | None, bool]] = [
    # Coverage first in spirit: "coverage of the docking" and "docking coverage" are coverage, so the pattern
    # swallows its object.
    (
        r"(?:(?:(?:[\w-]+\s+){0,2}and\s+)?(?:" + _COVERED + r")\s+)?"
        r"(?:(?:live\s+)?(?:coverage|webcast|broadcast|telecast|livestream|live\s*stream)"
        r"|(?:watch|stream|broadcast|air|show|follow)\w*\b[^.;]{0,40}?\blive|tune\s+in)"
        r"(?:\s+(?:of|for)\s+(?:the\s+)?(?:[\w'\u2019-]+\s+){0,4}?"
        r"(?:launch|liftoff|lift-off|docking|undocking|spacewalk|landing|splashdown|capture|berthing|arrival"
        r"|departure|rendezvous|mission|event|activities))?",
        MilestoneKind.COVERAGE_START,
        False,
    ),
    (r"launched|lifted\s+off|blasted\s+off|took\s+off|roared\s+(?:off|into\s+space)", MilestoneKind.LIFTOFF, True),
    (
        r"launch(?:es|ing)?|lift(?:s|ing)?[\s-]?off|blast(?:s|ing)?[\s-]?off|blastoff|launch\s+window"
        # "will be launched" is a plan, though "launched" alone reports one; "T-0" is the liftoff instant.
        r"|(?:will|to|would|shall|is\s+to|are\s+to)\s+be\s+launched|T[-\u2013\u2212]\s?0|T[-\s]zero|T[-\s]minus\s+zero",
        MilestoneKind.LIFTOFF,
        False,
    ),
    (r"docked|linked\s+up|(?:arrived|reached)\s+(?:at\s+)?" + _STATION, MilestoneKind.DOCKING, True),
    (
        r"dock(?:s|ing)?|link(?:s|ing)?\s+up|linkup|(?:arriv(?:e|es|ing)|reach(?:es|ing)?)\s+(?:at\s+)?" + _STATION,
        MilestoneKind.DOCKING,
        False,
    ),
    (r"undocked|departed", MilestoneKind.UNDOCKING, True),
    (r"undock(?:s|ing)?|depart(?:s|ing|ure)?", MilestoneKind.UNDOCKING, False),
    (r"berthed|captured|grappled", MilestoneKind.BERTHING, True),
    (r"berth(?:s|ing)?|captur(?:e|es|ing)|grappl(?:e|es|ing)", MilestoneKind.BERTHING, False),
    (r"unberthed", MilestoneKind.UNBERTHING, True),
    (r"unberth(?:s|ing)?", MilestoneKind.UNBERTHING, False),
    (r"spacewalk(?:s|ing|ers)?|EVA|extravehicular\s+activity|battery\s+power", MilestoneKind.SPACEWALK, False),
    (r"landed|splashed\s+down|touched\s+down", MilestoneKind.LANDING, True),
    (
        r"land(?:s|ing)?|splashdown|splash(?:es|ing)?\s+down|touchdown|touch(?:es|ing)?\s+down",
        MilestoneKind.LANDING,
        False,
    ),
    # Other happenings whose times must not be taken for milestones, with their coverage ("hatch opening
    # coverage begins", "farewells and hatch closure coverage") so that it is not read as a milestone's.
    (
        r"(?:(?:[\w-]+\s+){0,2}and\s+)?"
        r"(?:hatch(?:es)?(?:\s+(?:opening|closing|closure|open|close))?|farewells?|welcome\s+ceremony"
        r"|change\s+of\s+command(?:\s+ceremony)?|news\s+conference|press\s+conference|briefing|teleconference"
        r"|media\s+availability|(?:deorbit|engine|orbit[\s-]raising)\s+burn|fueling|propellant\s+loading"
        r"|static\s+fire|roll(?:ed)?\s*out|weather|forecast|updated|published|posted|interview"
        r"|readiness\s+review|ceremony|handover|countdown|back-?up(?:\s+(?:opportunit(?:y|ies)|date|window))?)"
        r"(?:\s+(?:coverage|broadcast|webcast)(?:\s+begins)?)?"
        r"|video\s+file\b[^.;()\n]*",
        None,
        False,
    ),
]
# Nouns that contain a kind word but name a place or a thing ("Space Launch Complex 40", "Landing Zone 4",
# "Advanced Land Observing Satellite"): they are neither the happening nor another one, so not keywords.
_NEUTRAL = re.compile(
    r"\b(?:launch\s+(?:pad|complex|site|vehicle|director|control|provider|services|tower|sequencer)"
    r"|landing\s+(?:zone|facility|pad|site|legs?)|docking\s+(?:port|adapter|target|mechanism|system)"
    r"|land[\s-]+(?:observ\w*|surface|imaging|mass|area))\b",
    re.IGNORECASE,
)
_KEYWORD_RES = [(re.compile(r"\b(?:" + p + r")\b", re.IGNORECASE), k, past) for p, k, past in _KEYWORDS]

# A kind word right after one of these names a reference point ("two hours after launch"), not the subject.
_REFERENCE_BEFORE = re.compile(
    r"\b(?:after|before|following|post|prior\s+to|ahead\s+of|until|since)\s+(?:the\s+|its\s+|their\s+)?$",
    re.IGNORECASE,
)
# Verbs that make a clause a report of something done ("liftoff occurred at ...").
_PAST_MARKERS = re.compile(
    r"\b(?:occurred|took\s+place|happened|came|began|started|ended|concluded|completed|wrapped\s+up|switched)\b",
    re.IGNORECASE,
)
# How far back in a clause the tense and slip words are looked for: far enough for any real sentence, and a
# bound that keeps the reading linear in the length of a paragraph with no full stops.
_LOOKBACK = 240
# A time right after these ends something ("available until 2:35 a.m.", "should wrap up around 6 p.m."); it is
# not when anything starts.
_END_BEFORE = re.compile(
    r"\b(?:until|till|through|to|clos(?:e|es|ing)|end(?:s|ing)?|wrap(?:s|ping)?\s+up|conclud(?:e|es|ing)"
    r"|finish(?:es|ing)?)(?:\s+(?:at|around|about|by|near|approximately|on))?\s*$",
    re.IGNORECASE,
)
# Verbs of a slip: after them "from X" is the old time and "to Y" the new one.
_SLIP_VERB = re.compile(
    r"\b(?:delay(?:ed|s)?|postpon(?:e|ed|es)|mov(?:e|ed|es)|push(?:ed|es)?|slip(?:ped|s)?|reschedul(?:e|ed|es)"
    r"|shift(?:ed|s)?|chang(?:e|ed|es)|bump(?:ed|s)?|retarget(?:ed|s)?|reset)\b",
    re.IGNORECASE,
)
_SLIP_FROM = re.compile(r"\bfrom\s+(?:the\s+)?$", re.IGNORECASE)
_SLIP_TO = re.compile(r"\b(?:to|until|till)\s+(?:no\s+earlier\s+than\s+|NET\s+)?$", re.IGNORECASE)
# Words that name a time as the old plan ("a day later than the previously planned X", "earlier scheduled at X",
# "which was to take place on X", "instead of X").
_OLD_BEFORE = re.compile(
    r"(?:\b(?:previously|originally|initially|earlier|formerly)\s+(?:planned|scheduled|set|targeted|expected"
    r"|fixed|slated)(?:\s+(?:for|at|on))?|\binstead\s+of|\bwas\s+(?:to\s+take\s+place|due|planned|scheduled|set)"
    r"(?:\s+(?:for|at|on))?)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# Author biographies: their times and dates are about the writer.
_BIO = re.compile(
    r"\b(?:is\s+an?\s+(?:[\w-]+\s+){0,3}(?:writer|editor|reporter|journalist|correspondent|producer)"
    r"|joined\s+(?:the\s+team|[\w.]+\s+in\s+\d{4})|(?:his|her|their)\s+(?:first\s+)?book|ph\.?\s?d\b|graduated)",
    re.IGNORECASE,
)
# Paragraphs and sentences about the article itself, not the mission.
_META = re.compile(
    r"^\s*(?:editor'?s\s+note|updated?\b|correction\b)|\b(?:this\s+(?:story|article|post|report)\s+"
    r"(?:was|has\s+been|will\s+be)\s+(?:updated|corrected|published))",
    re.IGNORECASE,
)
# "Update: NASA now targets ..." / "UPDATE (Feb. 14, 10:45 p.m.) —": the stamp is about the article, the rest is
# news, so only the stamp is dropped.
_UPDATE_STAMP = re.compile(r"^\s*update\b[^:\u2013\u2014\n]{0,60}?\s*[:\u2013\u2014]\s*", re.IGNORECASE)
_HAS_TIME = re.compile(r"\d\s*[ap]\.?\s?m\b|\d[:.]\d\d|\b\d{4}\s*(?:GMT|UTC|Z)\b", re.IGNORECASE)
# "MOSCOW, November 19. /TASS/.", "JIUQUAN, May 29 (Xinhua) --": a dateline's date is the day of writing.
_DATELINE_BEFORE = re.compile(r"^\s*[A-Z][A-Z .'\-]+(?:,\s*[A-Z][A-Za-z .'\-]*)?,?\s*$")
# A note about the zone of every time in the text: "(all times Eastern)", "All times are CDT.", "(times in UTC)".
_ZONE_NOTE = re.compile(
    r"(?:\ball\s+times(?:\s+(?:are|listed|given|shown|below))?|\(\s*times(?:\s+(?:are|given|listed|shown))?)"
    r"\s+(?:in\s+)?(?P<zone>[A-Za-z]+(?:\s+(?:time|standard\s+time|daylight\s+time))?)\b",
    re.IGNORECASE,
)
# A schedule line: "6:30 p.m. - Undocking coverage begins (undocking at 7:02 p.m.)", with any kind of dash.
_SCHEDULE_DASH = re.compile(r"\s*[\u2013\u2014-]\s")
_SITE_RE = re.compile(
    r"\b("
    + "|".join(re.escape(s) for s in sorted(SITE_ZONES, key=len, reverse=True) if s not in ("moscow", "kazakhstan"))
    + r")\b",
    re.IGNORECASE,
)
_RUN_KINDS = frozenset(
    {Kind.CLOCK, Kind.DATE, Kind.WEEKDAY, Kind.RELDAY, Kind.ZONE, Kind.OPEN, Kind.CLOSE, Kind.FILLER, Kind.SEP}
)
_DAY_KINDS = frozenset({Kind.DATE, Kind.WEEKDAY, Kind.RELDAY})
_HEADING_KINDS = frozenset({*_DAY_KINDS, Kind.ZONE, Kind.FILLER, Kind.STOP, Kind.OPEN, Kind.CLOSE, Kind.SEP})


@dataclass(frozen=True, slots=True)
class _Keyword:
    start: int
    end: int
    kind: MilestoneKind | None
    past: bool
    neutral: bool = False


@dataclass(slots=True)
class _Item:
    """One instant (a clock with its other renderings) or day-only mention in a sentence, before resolution."""

    renderings: list[Rendering]
    start: int
    end: int
    day_only: bool
    own_day: Rendering | None
    own_zone: ZoneRef | None
    keyword: _Keyword | None = None
    past: bool = False
    superseded: bool = False
    ends_something: bool = False
    dateline: bool = False


@dataclass(slots=True)
class _Keywords:
    """A paragraph's keywords, sorted by position, with their starts for bisection."""

    items: list[_Keyword]
    starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.starts = [k.start for k in self.items]

    def between(self, lo: int, hi: int) -> list[_Keyword]:
        """Keywords wholly inside [lo, hi)."""
        i = bisect_left(self.starts, lo)
        out = []
        while i < len(self.items) and self.items[i].start < hi:
            if self.items[i].end <= hi:
                out.append(self.items[i])
            i += 1
        return out

    def last_before(self, lo: int, pos: int) -> _Keyword | None:
        """The keyword ending at or before ``pos`` and starting at or after ``lo`` that is nearest ``pos``."""
        i = bisect_right(self.starts, pos) - 1
        while i >= 0 and self.items[i].start >= lo:
            if self.items[i].end <= pos:
                return self.items[i]
            i -= 1
        return None

    def first_after(self, pos: int, hi: int) -> _Keyword | None:
        """The first keyword starting at or after ``pos`` and ending by ``hi``."""
        i = bisect_left(self.starts, pos)
        if i < len(self.items) and self.items[i].end <= hi:
            return self.items[i]
        return None


def _keywords(text: str) -> _Keywords:
    found: list[_Keyword] = [_Keyword(m.start(), m.end(), None, False, neutral=True) for m in _NEUTRAL.finditer(text)]
    for regex, kind, past in _KEYWORD_RES:
        found.extend(_Keyword(m.start(), m.end(), kind, past) for m in regex.finditer(text))
    # Longest match wins where matches overlap ("launch pad" over "launch", "coverage of the docking" over
    # "docking"), and words naming a reference point drop out. Overlaps are settled within each cluster of
    # overlapping matches (a few words long), so the whole is linear in the text where comparing every match
    # with every kept one was quadratic.
    kept: list[_Keyword] = []
    found.sort(key=lambda k: k.start)
    cluster: list[_Keyword] = []
    cluster_end = -1
    for keyword in [*found, _Keyword(10**12, 10**12, None, False)]:
        if cluster and keyword.start >= cluster_end:
            kept.extend(_settle(cluster, text))
            cluster = []
        cluster.append(keyword)
        cluster_end = max(cluster_end, keyword.end) if len(cluster) > 1 else keyword.end
    kept.sort(key=lambda k: k.start)
    return _Keywords([k for k in kept if not k.neutral])


def _settle(cluster: list[_Keyword], text: str) -> list[_Keyword]:
    """The matches of one cluster of overlapping keyword matches that survive: longest first, no overlaps."""
    kept: list[_Keyword] = []
    for keyword in sorted(cluster, key=lambda k: (-(k.end - k.start), k.start)):
        if any(k.start < keyword.end and keyword.start < k.end for k in kept):
            continue
        if keyword.kind is not None and _REFERENCE_BEFORE.search(text, max(0, keyword.start - 30), keyword.start):
            continue
        kept.append(keyword)
    return kept


def _split_runs(tokens: Sequence[Token]) -> list[list[Token]]:
    runs: list[list[Token]] = []
    current: list[Token] = []
    for token in [*tokens, Token(Kind.WORD, 10**9, 10**9, "")]:
        if token.kind in _RUN_KINDS:
            current.append(token)
            continue
        # Trim words that only join: a run starts and ends with something that carries meaning (or a bracket).
        while current and current[0].kind in (Kind.FILLER, Kind.SEP, Kind.CLOSE):
            current.pop(0)
        while current and current[-1].kind in (Kind.FILLER, Kind.SEP, Kind.OPEN):
            current.pop()
        depth = sum(1 if t.kind is Kind.OPEN else -1 if t.kind is Kind.CLOSE else 0 for t in current)
        while current and depth < 0 and current[-1].kind is Kind.CLOSE:
            current.pop()
            depth += 1
        if any(t.kind in _DAY_KINDS or t.kind is Kind.CLOCK for t in current):
            runs.append(current)
        current = []
    return runs


def _instants(renderings: list[Rendering]) -> list[list[Rendering]]:
    # A clock outside brackets starts an instant; bracketed clocks are other renderings of the one before them.
    instants: list[list[Rendering]] = []
    pending: list[Rendering] = []
    for rendering in renderings:
        if rendering.nested and instants:
            instants[-1].append(rendering)
        elif rendering.nested:
            pending.append(rendering)
        else:
            instants.append([rendering, *pending])
            pending = []
    if pending:
        instants.append(pending)
    return instants


def _sentences(tokens: Sequence[Token], text: str) -> list[tuple[int, int, list[Token]]]:
    """Split a paragraph's tokens at sentence ends; returns (start, end, tokens) per sentence."""
    sentences: list[tuple[int, int, list[Token]]] = []
    current: list[Token] = []
    start = 0
    for i, token in enumerate(tokens):
        current.append(token)
        end_here = token.kind is Kind.STOP and token.text in ".!?"
        # "at 10:25 p.m. The crew ..." : the clock swallowed the full stop; a capitalised plain word after an
        # "a.m."/"p.m." that is not part of the time starts a new sentence.
        if (
            token.kind is Kind.CLOCK
            and token.text.endswith(".")
            and i + 1 < len(tokens)
            and tokens[i + 1].kind is Kind.WORD
            and tokens[i + 1].text[:1].isupper()
        ):
            end_here = True
        if end_here:
            sentences.append((start, token.end, current))
            current = []
            start = token.end
    if current:
        sentences.append((start, len(text), current))
    return sentences


def _published_context(published: date | datetime | None, zone: ZoneRef) -> tuple[datetime | None, date | None]:
    if published is None:
        return None, None
    if isinstance(published, datetime):
        ref = ensure_utc(published)
        assert zone.tz is not None
        return ref, ref.astimezone(zone.tz).date()
    return datetime.combine(published, time(12), tzinfo=UTC), published


def _with_day(rendering: Rendering, source: Rendering) -> Rendering:
    return replace(
        rendering,
        date=rendering.date or source.date,
        weekday=rendering.weekday or source.weekday,
        relday=rendering.relday or source.relday,
        tokens=[*rendering.tokens, *(t for t in (source.date, source.weekday, source.relday) if t is not None)],
    )


def _phrase(paragraph: str, start: int, end: int) -> str:
    phrase = paragraph[start:end]
    if phrase.count("(") > phrase.count(")"):  # the bracket closes after the last time word
        close = paragraph.find(")", end, end + 200)
        phrase = paragraph[start : close + 1] if close >= 0 else phrase
    return phrase if phrase.endswith(("a.m.", "p.m.")) else phrase.rstrip(".")


def _zone_of(renderings: Sequence[Rendering]) -> ZoneRef | None:
    """The zone the instant names, outer rendering first (the writer's own zone before a conversion)."""
    for rendering in sorted(renderings, key=lambda r: (r.nested, r.start)):
        if rendering.zone is not None and isinstance(rendering.zone.value, ZoneRef):
            return rendering.zone.value
    return None


def _day_of(renderings: Sequence[Rendering]) -> Rendering | None:
    for rendering in sorted(renderings, key=lambda r: (r.nested, r.start)):
        if rendering.has_day:
            return rendering
    return None


def _zone_note(text: str) -> tuple[ZoneRef | None, str | None]:
    """The zone a note gives every time in the text, or a problem when notes disagree."""
    zones: dict[str, ZoneRef] = {}
    for match in _ZONE_NOTE.finditer(text):
        try:
            zone = lookup_zone(match["zone"])
        except TimeParseError:
            continue  # "all times are approximate": not a zone note
        if zone.tz is not None and not zone.site_needed:
            zones.setdefault(zone.name, zone)
    if len(zones) > 1:
        return None, f"the text has zone notes that disagree ({', '.join(zones)}); none of them was used"
    return next(iter(zones.values()), None), None


class _Sources:
    """For each item of a sentence, the nearest day and zone other items name before and after it.

    Worked out in two passes over the sentence, so a sentence with many times is read in linear time.
    """

    def __init__(self, items: list[_Item]) -> None:
        n = len(items)
        self.day_before: list[Rendering | None] = [None] * n
        self.day_after: list[Rendering | None] = [None] * n
        self.day_only_after: list[Rendering | None] = [None] * n
        self.zone_before: list[ZoneRef | None] = [None] * n
        self.zone_after: list[ZoneRef | None] = [None] * n
        day: Rendering | None = None
        zone: ZoneRef | None = None
        for i, item in enumerate(items):
            self.day_before[i], self.zone_before[i] = day, zone
            if item.own_day is not None and not (item.superseded or item.dateline):
                day = item.own_day
            if item.own_zone is not None and item.own_zone.tz is not None:
                zone = item.own_zone
        day = day_only = None
        zone = None
        for i in range(n - 1, -1, -1):
            item = items[i]
            self.day_after[i], self.day_only_after[i], self.zone_after[i] = day, day_only, zone
            if item.own_day is not None and not (item.superseded or item.dateline):
                day = item.own_day
                if item.day_only:
                    day_only = item.own_day
            if item.own_zone is not None and item.own_zone.tz is not None:
                zone = item.own_zone


class _Reader:
    """Reads one text paragraph by paragraph, carrying date and zone context, collecting milestones."""

    def __init__(self, text: str, published: date | datetime | None, tz: str) -> None:
        self.zone = reader_zone(tz)
        self.ref, self.today = _published_context(published, self.zone)
        site = _SITE_RE.search(text)
        # Plain "local time" in an article means the launch site's, and the first site named is the one.
        self.site_zone = lookup_zone(site[1]) if site else None
        self.found: list[Extracted] = []
        self.problems: list[str] = []
        self.note_zone, note_problem = _zone_note(text)
        if note_problem:
            self.problems.append(note_problem)
        self.paragraph = ""
        self.keywords = _Keywords([])
        self.semicolons: list[int] = []
        self.schedule_line = False
        self.paragraph_index = 0
        self.sentence_has_keywords = False
        self.subject: _Keyword | None = None  # the milestone the previous sentence of the paragraph named
        # Context carried from earlier sentences: the last day named (with where it was named) and the zone of
        # the last time named.
        self.last_day: tuple[Rendering, str] | None = None
        self.last_zone: ZoneRef | None = None

    def context(self, *, past: bool, zone: ZoneRef) -> Context:
        return Context(zone, self.ref, self.today, past, self.site_zone, bare_time_is_today=True)

    def read(self, text: str) -> None:
        for index, raw in enumerate(p for p in text.splitlines() if p.strip()):
            self.paragraph_index = index
            paragraph = raw
            stamp = _UPDATE_STAMP.match(paragraph)
            if stamp:  # blanked, not cut, so positions (and phrases) stay those of the text
                paragraph = " " * stamp.end() + paragraph[stamp.end() :]
            elif _META.match(paragraph) or _BIO.search(paragraph):
                if _HAS_TIME.search(paragraph) and not _BIO.search(paragraph):
                    self.problems.append(f"skipped a note about the text itself: {raw.strip()[:80]!r}")
                continue
            self.read_paragraph(paragraph)

    def read_paragraph(self, paragraph: str) -> None:
        self.paragraph = paragraph
        self.subject = None
        tokens, problems = scan_prose(paragraph)
        self.problems.extend(problems)
        if self.heading(tokens):
            return
        self.keywords = _keywords(paragraph)
        self.semicolons = [i for i, c in enumerate(paragraph) if c == ";"]
        first = next((t for t in tokens if t.kind is Kind.CLOCK), None)
        self.schedule_line = bool(
            first is not None
            and not paragraph[: first.start].strip(" \t-\u2022*")
            and _SCHEDULE_DASH.match(paragraph, first.end)
        )
        for s_start, s_end, s_tokens in _sentences(tokens, paragraph):
            if not _META.search(paragraph, s_start, s_end):
                self.sentence(s_start, s_end, s_tokens)

    def heading(self, tokens: list[Token]) -> bool:
        """A line that only names a day ("Tuesday, Sept. 9") dates the schedule lines under it."""
        if not tokens or any(t.kind not in _HEADING_KINDS for t in tokens):
            return False
        if not any(t.kind in _DAY_KINDS for t in tokens):
            return False
        try:
            renderings = group([t for t in tokens if t.kind is not Kind.STOP])
        except TimeParseError as exc:
            self.problems.append(f"{self.paragraph.strip()!r}: {exc}")
            return True
        day = _day_of(renderings)
        if day is not None:
            self.last_day = (day, "heading")
        return True

    def clause_bounds(self, start: int, end: int, pos: int) -> tuple[int, int]:
        i = bisect_left(self.semicolons, pos)
        left = self.semicolons[i - 1] + 1 if i > 0 and self.semicolons[i - 1] >= start else start
        right = self.semicolons[i] if i < len(self.semicolons) and self.semicolons[i] < end else end
        return left, right

    def items(self, s_tokens: list[Token]) -> list[_Item]:
        items: list[_Item] = []
        for run_tokens in _split_runs(s_tokens):
            try:
                renderings = group(run_tokens)
            except TimeParseError as exc:
                self.problems.append(f"{self.paragraph[run_tokens[0].start : run_tokens[-1].end]!r}: {exc}")
                continue
            clocked = [r for r in renderings if r.clock is not None]
            if not clocked:
                if renderings:
                    r = renderings[0]
                    start, end = run_tokens[0].start, run_tokens[-1].end
                    items.append(_Item([r], start, end, True, r if r.has_day else None, self.effective(_zone_of([r]))))
                continue
            for instant in _instants(clocked):
                start = min(r.start for r in instant)
                end = max(r.end for r in instant)
                items.append(_Item(instant, start, end, False, _day_of(instant), self.effective(_zone_of(instant))))
        return items

    def effective(self, zone: ZoneRef | None) -> ZoneRef | None:
        """Plain "local time" is the launch site's zone, for this time and for the times that borrow its zone."""
        if zone is not None and zone.site_needed and self.site_zone is not None:
            return self.site_zone
        return zone

    def sentence(self, s_start: int, s_end: int, s_tokens: list[Token]) -> None:
        self.sentence_has_keywords = bool(self.keywords.between(s_start, s_end))
        items = self.items(s_tokens)
        for item in items:
            self.classify(item, s_start, s_end)
        sources = _Sources(items)
        for index, item in enumerate(items):
            if item.keyword is not None and item.keyword.kind is not None and not item.ends_something:
                self.record(item, sources, index)
        # The subject of this sentence for the next one: its last milestone word (coverage is not a subject).
        named = [k for k in self.keywords.between(s_start, s_end) if k.kind not in (None, MilestoneKind.COVERAGE_START)]
        self.subject = replace(named[-1], past=False) if named else None
        # Context for later sentences: the last day named that is a plan (not a report, an old time or a
        # dateline), and the zone of the last time named.
        for item in items:
            if item.own_day is not None and not (item.past or item.superseded or item.dateline):
                self.last_day = (item.own_day, "earlier")
            if item.own_zone is not None and item.own_zone.tz is not None and not item.own_zone.site_needed:
                self.last_zone = item.own_zone

    def classify(self, item: _Item, s_start: int, s_end: int) -> None:
        """Kind, tense, slip role and end-ness of one item, from the words around it."""
        text = self.paragraph
        lo, hi = self.clause_bounds(s_start, s_end, item.start)
        look = max(lo, item.start - _LOOKBACK)
        before = text[max(look, item.start - 80) : item.start]
        if self.paragraph_index < 2 and item.day_only and _DATELINE_BEFORE.match(text, 0, item.start):
            item.dateline = True
            return
        item.keyword = self.kind_for(item, lo, hi)
        marked_past = bool(_PAST_MARKERS.search(text, look, item.end))
        item.past = marked_past or (item.keyword is not None and item.keyword.past)
        if item.keyword is None:
            item.past = item.past or any(k.past for k in self.keywords.between(look, item.start))
        slip_verb = bool(_SLIP_VERB.search(text, look, item.start))
        item.superseded = bool(_OLD_BEFORE.search(before) or (slip_verb and _SLIP_FROM.search(before)))
        new_time = slip_verb and bool(_SLIP_TO.search(before))
        item.ends_something = not new_time and bool(_END_BEFORE.search(text, max(lo, item.start - 40), item.start))

    def kind_for(self, item: _Item, lo: int, hi: int) -> _Keyword | None:
        text, keywords = self.paragraph, self.keywords
        s, e = item.start, item.end
        if self.schedule_line and not item.renderings[0].nested and not text[:s].strip(" \t-\u2022*"):
            return self.schedule_kind(e)
        # "the 10:25 p.m. launch", "a 1:12 a.m. EST docking": a kind word glued to the time names it.
        glued = keywords.first_after(e, hi)
        if glued is not None and glued.start <= e + 3 and not text[e : glued.start].strip(" -"):
            return glued
        before = keywords.last_before(lo, s)
        if before is not None:
            return before
        after = keywords.first_after(e, hi)
        if after is not None or self.sentence_has_keywords:
            return after
        # A sentence with no kind word at all ("The outing is scheduled to begin at 8 a.m.", "It will now take
        # place a day later, at 04:58") is about the milestone the sentence before it named.
        return self.subject

    def schedule_kind(self, line_start: int) -> _Keyword | None:
        """The kind of a schedule line's leading time: what the words after the dash (outside brackets) say."""
        text = self.paragraph
        depth, depth_at = 0, []
        for char in text:
            depth += 1 if char in "([" else -1 if char in ")]" else 0
            depth_at.append(depth)
        outside = [k for k in self.keywords.between(line_start, len(text)) if depth_at[k.start] == 0]
        coverage = next((k for k in outside if k.kind is MilestoneKind.COVERAGE_START), None)
        if coverage is not None:
            bare = text[coverage.start : coverage.end].strip().lower() in ("coverage", "broadcast", "webcast")
            if not bare or any(k.kind not in (None, MilestoneKind.COVERAGE_START) for k in outside):
                return coverage
        return outside[0] if outside else None

    def record(self, item: _Item, sources: _Sources, index: int) -> None:
        assert item.keyword is not None
        assert item.keyword.kind is not None
        renderings = item.renderings
        zone, zone_source = self.zone_for(item, sources, index)
        date_source = "text"
        if item.own_day is None:
            source, date_source = self.day_for(sources, index)
            if source is not None:
                # The day goes to the rendering that will fix the instant: the outer one, unless only a
                # bracketed one has a zone ("1:12 a.m. (0612 GMT)" with nothing else to go by).
                target = 0
                if zone_source == "reader" and renderings[0].zone is None:
                    target = next((i for i, r in enumerate(renderings) if r.zone is not None), 0)
                renderings = [_with_day(r, source) if i == target else r for i, r in enumerate(renderings)]
        phrase = _phrase(self.paragraph, item.start, item.end)
        past = item.past and not item.superseded
        if item.day_only and (past or item.keyword.past):
            return  # background ("Progress 86, which launched on Dec. 1") is not a plan to alert on
        try:
            primary, alternatives, conflict = resolve_group(
                renderings, self.context(past=past, zone=zone), lenient=True
            )
        except TimeParseError as exc:
            self.problems.append(f"{phrase!r}: {exc}")
            return
        if any(
            r.zone is not None and isinstance(r.zone.value, ZoneRef) and r.zone.value.tz is None for r in renderings
        ):
            zone_source = "site"  # plain "local time", or "IST" near Sriharikota
        if zone_source == "reader" and not primary.zone_assumed:
            zone_source = "text"  # a bracketed rendering named the zone ("1:12 (0612 GMT)")
        if item.day_only and item.own_zone is None:
            zone_source = "none"  # a date alone is stored as that calendar date: no zone is read or assumed
        notes = list(primary.notes)
        if zone_source in ("note", "sentence", "earlier") and item.own_zone is None:
            where = {"note": "the text's zone note", "sentence": "this sentence", "earlier": "the last zone named"}
            notes.insert(0, f"no zone with the time: used {zone.name}, from {where[zone_source]}")
        if date_source == "published" and not item.day_only:
            notes.insert(0, "no day named for this time: the publication date was used")
        self.found.append(
            Extracted(
                kind=item.keyword.kind,
                utc=primary.utc,
                precision=primary.precision,
                day=primary.day,
                phrase=phrase,
                past=past,
                conflict=conflict,
                alternatives=tuple(Alternative(a.text, a.utc, a.zone) for a in alternatives),
                zone=primary.zone,
                zone_assumed=zone_source == "reader",
                note="; ".join(notes) or None,
                date_assumed=date_source == "published",
                date_source=date_source,
                zone_source=zone_source,
                superseded=item.superseded,
            )
        )

    def day_for(self, sources: _Sources, index: int) -> tuple[Rendering | None, str]:
        """Nearest day before in the sentence, a day-only mention after it, the carried day, a later time's day."""
        for chosen in (sources.day_before[index], sources.day_only_after[index]):
            if chosen is not None:
                return chosen, "sentence"
        if self.last_day is not None:
            return self.last_day
        if sources.day_after[index] is not None:
            return sources.day_after[index], "sentence"
        return None, "published"

    def zone_for(self, item: _Item, sources: _Sources, index: int) -> tuple[ZoneRef, str]:
        if item.renderings[0].zone is not None:
            return self.zone, "text"  # resolution uses the rendering's zone; this is only the fallback
        if item.day_only:
            return self.zone, "reader"  # a date alone is a calendar date; its zone only names its midnight
        if self.note_zone is not None:
            return self.note_zone, "note"
        zone = sources.zone_before[index] or sources.zone_after[index]
        if zone is not None:
            return zone, "sentence"
        if self.last_zone is not None:
            return self.last_zone, "earlier"
        return self.zone, "reader"


def extract_with_problems(
    text: str, *, published: date | datetime | None, tz: str = "UTC"
) -> tuple[list[Extracted], list[str]]:
    """Like ``extract_milestones``, also returning one line per time expression that could not be read."""
    reader = _Reader(text, published, tz)
    reader.read(text)
    return _dedupe(reader.found), reader.problems


def _dedupe(found: list[Extracted]) -> list[Extracted]:
    exact_kinds = {e.kind for e in found if e.precision.is_exact and not e.superseded}
    current = {(e.kind, e.utc) for e in found if not e.superseded}
    result: list[Extracted] = []
    seen: set[tuple[MilestoneKind, datetime]] = set()
    for item in found:
        if not item.precision.is_exact and item.kind in exact_kinds:
            continue  # "launches on Feb. 14" next to "lifted off at 10:25 p.m. EST": the exact one says it all
        if item.superseded and (item.kind, item.utc) in current:
            continue  # the same time named as old and as new: the new one stands
        key = (item.kind, item.utc)
        if key in seen:
            continue
        seen.add(key)
        result.append(item)
    return sorted(result, key=lambda e: (e.utc, e.kind))


def extract_milestones(text: str, *, published: date | datetime | None, tz: str = "UTC") -> list[Extracted]:
    """Milestone times stated in ``text``, earliest first.

    ``published`` is the article's date (what "tonight" and "Saturday" are read against; without it only fully
    dated times are found); ``tz`` is the zone for times the text gives without one.
    """
    return extract_with_problems(text, published=published, tz=tz)[0]


def describe(item: Extracted) -> str:
    """One line for logs and the CLI table."""
    flags = []
    if item.past:
        flags.append("past")
    if item.superseded:
        flags.append("superseded")
    if item.date_assumed:
        flags.append("date assumed: the publication date")
    if item.zone_assumed:
        flags.append(f"zone assumed: {item.zone}")
    if item.conflict:
        flags.append(f"CONFLICT: {item.conflict}")
    extra = f"  [{'; '.join(flags)}]" if flags else ""
    return f"{item.kind.value:<15} {isoformat_z(item.utc):<21} {item.precision.value:<7} {item.phrase!r}{extra}"
