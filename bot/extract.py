"""Find milestone times (liftoff, docking, coverage start...) in news articles and agency blog posts.

The reading follows what a careful person does with such a text:

* Each time expression ("at 1:12 a.m. EST (0612 GMT)") is read with ``bot.timeparse``; every zone rendering of
  one instant is resolved and they must agree, else the milestone carries a ``conflict`` instead of a silent pick.
* Its kind comes from the clause it sits in: a kind word straight after it ("the 10:25 p.m. launch") wins, else
  the nearest one before it in the clause, else the nearest one after. Words naming a reference point ("after
  launch") and other happenings (hatch opening, news conference, deorbit burn) do not count, or block.
* A time with no day takes one from a day expression in the same sentence ("early Saturday (Feb. 17), docking
  ... at 1:12 a.m."), else from the last one earlier in the paragraph, else the publication date.
* "tonight", "Saturday" and year-less dates are read against the publication date; a bare weekday in a
  past-tense report is the last such day, not the next.
* Editor's notes and update stamps are skipped. A day-only mention is kept only when it is not a past report and
  no exact time of that kind was found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
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
    resolve_group,
    scan,
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
    # "local time" read as the launch site's), "published" / "reader" (assumed).
    date_source: str = "text"
    zone_source: str = "text"
    superseded: bool = False  # the old time of a slip ("delayed from X to Y": X)

    def __post_init__(self) -> None:
        object.__setattr__(self, "utc", ensure_utc(self.utc))


# (pattern, kind, past). ``None`` as kind marks words for other happenings: a time next to them is not a
# milestone. Order does not matter; overlapping matches keep the longest.
_KEYWORDS: list[tuple[str, MilestoneKind | None, bool]] = [
    # Coverage first in spirit: "coverage of the docking" is coverage, so the pattern swallows its object.
    (
        r"(?:(?:live\s+)?(?:coverage|webcast|broadcast|livestream|live\s*stream)"
        r"|(?:watch|stream|broadcast|air|show)\w*\b[^.;]{0,40}?\blive|tune\s+in)"
        r"(?:\s+(?:of|for)\s+(?:the\s+)?(?:[\w'\u2019-]+\s+){0,4}?"
        r"(?:launch|liftoff|lift-off|docking|undocking|spacewalk|landing|splashdown|capture|berthing|arrival"
        r"|departure|rendezvous|mission|event|activities))?",
        MilestoneKind.COVERAGE_START,
        False,
    ),
    (r"launched|lifted\s+off|blasted\s+off|took\s+off|roared\s+(?:off|into\s+space)", MilestoneKind.LIFTOFF, True),
    (
        r"launch(?:es|ing)?|lift(?:s|ing)?[\s-]?off|blast(?:s|ing)?[\s-]?off|blastoff|launch\s+window",
        MilestoneKind.LIFTOFF,
        False,
    ),
    (r"docked|linked\s+up", MilestoneKind.DOCKING, True),
    (r"dock(?:s|ing)?|link(?:s|ing)?\s+up|linkup", MilestoneKind.DOCKING, False),
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
    # Other happenings whose times must not be taken for milestones.
    (
        r"hatch(?:es)?|news\s+conference|press\s+conference|briefing|teleconference|media\s+availability"
        r"|(?:deorbit|engine|orbit[\s-]raising)\s+burn|fueling|propellant\s+loading|static\s+fire|roll(?:ed)?\s*out"
        r"|weather|forecast|updated|published|posted|interview|readiness\s+review|ceremony|handover"
        r"|back-?up(?:\s+(?:opportunit(?:y|ies)|date|window))?",
        None,
        False,
    ),
]
# Nouns that contain a kind word but name a place or a thing ("Space Launch Complex 40", "Landing Zone 4"):
# they are neither the happening nor another one, so they are simply not keywords.
_NEUTRAL = re.compile(
    r"\b(?:launch\s+(?:pad|complex|site|vehicle|director|control|provider|services|tower|sequencer)"
    r"|landing\s+(?:zone|facility|pad|site|legs?)|docking\s+(?:port|adapter|target|mechanism|system))\b",
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
# A time right after these ends a window ("available until 2:35 a.m."); it is not when anything happens.
_WINDOW_END_BEFORE = re.compile(r"\b(?:until|till|through|to|closes?\s+at|ends?\s+at)\s*$", re.IGNORECASE)
# Author biographies: their times and dates are about the writer.
_BIO = re.compile(
    r"\b(?:is\s+an?\s+(?:[\w-]+\s+){0,3}(?:writer|editor|reporter|journalist|correspondent|producer)"
    r"|joined\s+(?:the\s+team|[\w.]+\s+in\s+\d{4})|(?:his|her|their)\s+(?:first\s+)?book|ph\.?\s?d\b|graduated)",
    re.IGNORECASE,
)
# Paragraphs and sentences about the article itself, not the mission.
_META = re.compile(
    r"^\s*(?:editor'?s\s+note|update[ds]?\b|correction\b)|\b(?:this\s+(?:story|article|post|report)\s+"
    r"(?:was|has\s+been|will\s+be)\s+(?:updated|corrected|published))",
    re.IGNORECASE,
)
_SITE_RE = re.compile(
    r"\b(" + "|".join(re.escape(s) for s in sorted(SITE_ZONES, key=len, reverse=True) if s != "moscow") + r")\b",
    re.IGNORECASE,
)
_RUN_KINDS = frozenset(
    {Kind.CLOCK, Kind.DATE, Kind.WEEKDAY, Kind.RELDAY, Kind.ZONE, Kind.OPEN, Kind.CLOSE, Kind.FILLER, Kind.SEP}
)
_DAY_KINDS = frozenset({Kind.DATE, Kind.WEEKDAY, Kind.RELDAY})


@dataclass(frozen=True, slots=True)
class _Keyword:
    start: int
    end: int
    kind: MilestoneKind | None
    past: bool
    neutral: bool = False


@dataclass(slots=True)
class _Run:
    """A stretch of time words in one sentence, split into instants (each a list of renderings)."""

    tokens: list[Token]
    instants: list[list[Rendering]]
    day_only: Rendering | None  # the run names a day and no clock
    used_as_context: bool = False

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end


def _keywords(text: str) -> list[_Keyword]:
    found: list[_Keyword] = [_Keyword(m.start(), m.end(), None, False, neutral=True) for m in _NEUTRAL.finditer(text)]
    for regex, kind, past in _KEYWORD_RES:
        found.extend(_Keyword(m.start(), m.end(), kind, past) for m in regex.finditer(text))
    # Longest match wins where matches overlap ("launch pad" over "launch", "coverage of the docking" over
    # "docking"), and words naming a reference point drop out.
    found.sort(key=lambda k: (k.start, -(k.end - k.start)))
    kept: list[_Keyword] = []
    for keyword in sorted(found, key=lambda k: -(k.end - k.start)):
        if any(k.start < keyword.end and keyword.start < k.end for k in kept):
            continue
        if keyword.kind is not None and _REFERENCE_BEFORE.search(text[max(0, keyword.start - 30) : keyword.start]):
            continue
        kept.append(keyword)
    return sorted((k for k in kept if not k.neutral), key=lambda k: k.start)


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


def _clause_bounds(text: str, start: int, end: int, pos: int) -> tuple[int, int]:
    left = text.rfind(";", start, pos)
    right = text.find(";", pos, end)
    return (left + 1 if left >= 0 else start), (right if right >= 0 else end)


def _kind_for(
    keywords: Sequence[_Keyword], text: str, bounds: tuple[int, int], span: tuple[int, int]
) -> _Keyword | None:
    lo, hi = bounds
    s, e = span
    for keyword in keywords:
        # "the 10:25 p.m. launch", "a 1:12 a.m. EST docking": a kind word glued to the time names it.
        if e <= keyword.start <= e + 3 and not text[e : keyword.start].strip(" -"):
            return keyword
    before = [k for k in keywords if lo <= k.start and k.end <= s]
    if before:
        return before[-1]
    after = [k for k in keywords if e <= k.start and k.end <= hi]
    return after[0] if after else None


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
        close = paragraph.find(")", end)
        phrase = paragraph[start : close + 1] if close >= 0 else phrase
    return phrase if phrase.endswith(("a.m.", "p.m.")) else phrase.rstrip(".")


class _Reader:
    """Reads one text paragraph by paragraph, collecting milestones and the expressions it could not read."""

    def __init__(self, text: str, published: date | datetime | None, tz: str) -> None:
        self.zone = lookup_zone(tz)
        if self.zone.tz is None:
            raise TimeParseError(self.zone.problem or f"cannot use zone {tz!r}", self.zone.suggestion or "UTC")
        self.ref, self.today = _published_context(published, self.zone)
        site = _SITE_RE.search(text)
        # Plain "local time" in an article means the launch site's, and the first site named is the one.
        self.site_zone = lookup_zone(site[1]) if site else None
        self.found: list[Extracted] = []
        self.problems: list[str] = []
        self.paragraph = ""
        self.paragraph_day: Rendering | None = None
        # Agency posts name the zone once ("8 a.m. EDT") and then write "coverage begins at 6:30 a.m.": a careful
        # reader carries the last zone named; the milestone still says its zone was assumed.
        self.last_zone: ZoneRef | None = None

    def context(self, *, past: bool, zone: ZoneRef | None = None) -> Context:
        return Context(zone or self.zone, self.ref, self.today, past, self.site_zone, bare_time_is_today=True)

    def read(self, text: str) -> None:
        for paragraph in (p for p in text.splitlines() if p.strip()):
            if _META.match(paragraph) or _BIO.search(paragraph):
                continue
            self.paragraph = paragraph
            self.paragraph_day = None
            try:
                tokens = scan(paragraph, strict=False)
            except TimeParseError as exc:
                self.problems.append(f"{paragraph[:60]!r}...: {exc}")
                continue
            for s_start, s_end, s_tokens in _sentences(tokens, paragraph):
                if not _META.search(paragraph[s_start:s_end]):
                    self.sentence(s_start, s_end, s_tokens)

    def sentence(self, s_start: int, s_end: int, s_tokens: list[Token]) -> None:
        keywords = [k for k in _keywords(self.paragraph[:s_end]) if k.start >= s_start]
        runs: list[_Run] = []
        for run_tokens in _split_runs(s_tokens):
            try:
                renderings = group(run_tokens)
            except TimeParseError as exc:
                self.problems.append(f"{self.paragraph[run_tokens[0].start : run_tokens[-1].end]!r}: {exc}")
                continue
            clocked = [r for r in renderings if r.clock is not None]
            day_only = renderings[0] if renderings and not clocked else None
            runs.append(_Run(run_tokens, _instants(clocked), day_only))
        day_runs = [r for r in runs if r.day_only is not None]
        for run in runs:
            for instant in run.instants:
                self.instant(instant, keywords, (s_start, s_end), day_runs)
        for run in day_runs:
            assert run.day_only is not None
            self.paragraph_day = run.day_only
            if not run.used_as_context:
                self.day_only(run.day_only, keywords, (s_start, s_end), (run.start, run.end))

    def instant(
        self, renderings: list[Rendering], keywords: list[_Keyword], sentence: tuple[int, int], day_runs: list[_Run]
    ) -> None:
        span = (min(r.start for r in renderings), max(r.end for r in renderings))
        bounds = _clause_bounds(self.paragraph, *sentence, span[0])
        keyword = _kind_for(keywords, self.paragraph, bounds, span)
        if keyword is None or keyword.kind is None:
            return
        if _WINDOW_END_BEFORE.search(self.paragraph[max(bounds[0], span[0] - 20) : span[0]]):
            return
        past = keyword.past or bool(_PAST_MARKERS.search(self.paragraph[bounds[0] : span[1]]))
        if not any(r.has_day for r in renderings):
            # Borrow the day: nearest day words in the sentence (earlier first), else the paragraph's last.
            earlier = [d for d in day_runs if d.end <= span[0]]
            later = [d for d in day_runs if d.start >= span[1]]
            source = earlier[-1] if earlier else later[0] if later else None
            if source is not None and source.day_only is not None:
                source.used_as_context = True
                renderings = [_with_day(renderings[0], source.day_only), *renderings[1:]]
            elif self.paragraph_day is not None:
                renderings = [_with_day(renderings[0], self.paragraph_day), *renderings[1:]]
        phrase = _phrase(self.paragraph, *span)
        named = [r.zone.value for r in renderings if r.zone is not None and isinstance(r.zone.value, ZoneRef)]
        carried = self.last_zone if not named else None
        try:
            ctx = self.context(past=past, zone=carried)
            primary, alternatives, conflict = resolve_group(renderings, ctx, lenient=True)
        except TimeParseError as exc:
            self.problems.append(f"{phrase!r}: {exc}")
            return
        usable = [z for z in named if z.tz is not None]
        if usable:
            self.last_zone = usable[0]
        notes = list(primary.notes)
        if carried is not None:
            notes.insert(0, f"no zone given: used {carried.name}, the zone named last before it")
        self.found.append(
            Extracted(
                kind=keyword.kind,
                utc=primary.utc,
                precision=primary.precision,
                day=primary.day,
                phrase=phrase,
                past=past,
                conflict=conflict,
                alternatives=tuple(Alternative(a.text, a.utc, a.zone) for a in alternatives),
                zone=primary.zone,
                zone_assumed=primary.zone_assumed,
                note="; ".join(notes) or None,
            )
        )
        days = [r for r in renderings if r.has_day]
        if days:
            self.paragraph_day = days[0]

    def day_only(
        self, rendering: Rendering, keywords: list[_Keyword], sentence: tuple[int, int], span: tuple[int, int]
    ) -> None:
        bounds = _clause_bounds(self.paragraph, *sentence, span[0])
        keyword = _kind_for(keywords, self.paragraph, bounds, span)
        if keyword is None or keyword.kind is None:
            return
        if keyword.past or _PAST_MARKERS.search(self.paragraph[bounds[0] : span[1]]):
            return  # background ("Progress 86, which launched on Dec. 1") is not a plan to alert on
        phrase = _phrase(self.paragraph, *span)
        try:
            primary, _, _ = resolve_group([rendering], self.context(past=False), lenient=True)
        except TimeParseError as exc:
            self.problems.append(f"{phrase!r}: {exc}")
            return
        self.found.append(
            Extracted(
                kind=keyword.kind,
                utc=primary.utc,
                precision=primary.precision,
                day=primary.day,
                phrase=phrase,
                zone=primary.zone,
                zone_assumed=primary.zone_assumed,
            )
        )


def extract_with_problems(
    text: str, *, published: date | datetime | None, tz: str = "UTC"
) -> tuple[list[Extracted], list[str]]:
    """Like ``extract_milestones``, also returning one line per time expression that could not be read."""
    reader = _Reader(text, published, tz)
    reader.read(text)
    return _dedupe(reader.found), reader.problems


def _dedupe(found: list[Extracted]) -> list[Extracted]:
    exact_kinds = {e.kind for e in found if e.precision.is_exact}
    result: list[Extracted] = []
    seen: set[tuple[MilestoneKind, datetime]] = set()
    for item in found:
        if not item.precision.is_exact and item.kind in exact_kinds:
            continue  # "launches on Feb. 14" next to "lifted off at 10:25 p.m. EST": the exact one says it all
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
    if item.zone_assumed:
        flags.append(f"zone assumed: {item.zone}")
    if item.conflict:
        flags.append(f"CONFLICT: {item.conflict}")
    extra = f"  [{'; '.join(flags)}]" if flags else ""
    return f"{item.kind.value:<15} {isoformat_z(item.utc):<21} {item.precision.value:<7} {item.phrase!r}{extra}"
