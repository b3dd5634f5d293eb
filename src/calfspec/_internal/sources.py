"""Source texts: sentences, excerpt matching and coverage.

The guideline cites its two source documents by short verbatim excerpts. This
module reads the plain-text sources named in ``sources.yaml``, splits each into
sentences, finds excerpts in them and measures coverage: the share of sentences
that a claim cites or an exclusion deliberately sets aside.

Matching normalises only what does not change meaning: runs of whitespace
become one space, and typographic quotes and apostrophes become ASCII ones.
Dashes, case and punctuation must match exactly, so an "excerpt" cannot drift
from what the source says.

Sentences: every non-empty line is a paragraph (the sources put a heading, a
bullet or a paragraph on each line); a paragraph is split further after ``.``,
``!`` or ``?`` followed by a space and a capital letter, digit or opening quote.
A list marker at the start of a line (``•``, ``1.``) never ends a sentence.
Headings and bullets are sentences like any other, so a heading is accounted
for only when an exclusion names it.

Governance: ``sources.yaml`` pins each text by its SHA-256, and
``guideline/source-sentences.json`` holds a short digest of every sentence of the
pinned text. When a text no longer matches its pin, :func:`source_changes` says
which claims it touches: an excerpt no longer found, or cited in a sentence that
is not one of the pinned sentences.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from ._io import read_user_text
from .errors import InputError
from .models.guideline import ExclusionScope, Guideline

__all__ = [
    "MAX_SOURCE_BYTES",
    "SENTENCE_PINS",
    "DocumentCoverage",
    "Sentence",
    "SourceChange",
    "SourceText",
    "Span",
    "cited_span",
    "claimed_sentences",
    "coverage",
    "excluded_sentences",
    "load_source_text",
    "load_sources",
    "normalise",
    "parse_source_text",
    "pin_sources",
    "sentence_digest",
    "sentences_excluded_by",
    "source_changes",
    "split_sentences",
]

MAX_SOURCE_BYTES = 2 * 1024 * 1024
"""Largest source text read (2 MiB); the real ones are a few tens of KiB."""

_QUOTES = str.maketrans(
    {
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark / apostrophe
        "\u201a": "'",  # single low-9 quotation mark
        "\u201b": "'",  # single high-reversed-9 quotation mark
        "\u2032": "'",  # prime, sometimes typed for an apostrophe
        "\u201c": '"',  # left double quotation mark
        "\u201d": '"',  # right double quotation mark
        "\u201e": '"',  # double low-9 quotation mark
        "\u201f": '"',  # double high-reversed-9 quotation mark
        "\u2033": '"',  # double prime
    }
)

# A list marker at the start of a line: a bullet or "1." / "1)".
_MARKER = re.compile(r"[ \t]*(?:[•\-*‣◦▪]|\d{1,3}[.)])[ \t]+")
# A sentence ends after . ! or ? (and any closing quotes or brackets) when the
# next word starts like a sentence: a capital, a digit or an opening quote.
_BOUNDARY = re.compile(r"[.!?][\"'’”)\]]*[ \t]+(?=[A-Z0-9\"'‘“(])")
# Words whose full stop does not end a sentence.
_ABBREVIATIONS = frozenset({"e.g.", "i.e.", "dr.", "mr.", "mrs.", "ms.", "vs.", "etc.", "st.", "no."})


@dataclass(frozen=True, order=True)
class Span:
    """A half-open range ``[start, end)`` of character offsets in a source text."""

    start: int
    end: int

    def overlaps(self, other: Span) -> bool:
        """Whether the two spans share at least one character."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Sentence:
    """One sentence (or heading, or bullet) of a source text."""

    index: int
    span: Span
    text: str
    paragraph: int
    line: int


@dataclass(frozen=True)
class SourceText:
    """A source document's text, its sentences, and an index for excerpt matching."""

    source_id: str
    path: str
    text: str
    sentences: tuple[Sentence, ...]
    sha256: str
    """SHA-256 of the file's bytes as read (before line endings are normalised)."""
    _norm: str
    _norm_to_orig: tuple[int, ...]
    _line_starts: tuple[int, ...]

    def find_all(self, excerpt: str) -> tuple[Span, ...]:
        """Every place ``excerpt`` occurs (after normalisation), in text order."""
        needle, _ = _normalise_with_map(excerpt.strip())
        needle = needle.strip()
        if not needle:
            return ()
        spans: list[Span] = []
        at = self._norm.find(needle)
        while at != -1:
            spans.append(self._span(at, at + len(needle)))
            at = self._norm.find(needle, at + 1)
        return tuple(spans)

    def find(self, excerpt: str, after: int = 0) -> Span | None:
        """The first occurrence of ``excerpt`` starting at or after offset ``after``."""
        for span in self.find_all(excerpt):
            if span.start >= after:
                return span
        return None

    def find_line(self, heading: str) -> Span | None:
        """The first whole line equal to ``heading`` (list marker and trailing colon aside).

        Citations name the section a passage sits under; this finds that
        heading so the excerpt can be looked for below it.
        """
        wanted = _heading_key(heading)
        for i, start in enumerate(self._line_starts):
            end = self._line_starts[i + 1] - 1 if i + 1 < len(self._line_starts) else len(self.text)
            if _heading_key(self.text[start:end]) == wanted:
                return Span(start, end)
        return None

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        i = bisect.bisect_right(self._line_starts, offset) - 1
        return i + 1, offset - self._line_starts[i] + 1

    def sentences_overlapping(self, span: Span) -> tuple[Sentence, ...]:
        """Sentences sharing at least one character with ``span``."""
        return tuple(s for s in self.sentences if s.span.overlaps(span))

    def _span(self, norm_start: int, norm_end: int) -> Span:
        start = self._norm_to_orig[norm_start]
        end = self._norm_to_orig[norm_end - 1] + 1
        return Span(start, end)


@dataclass(frozen=True)
class DocumentCoverage:
    """How much of one source the guideline accounts for."""

    source_id: str
    file: str
    sentences: int
    accounted: int
    unaccounted: tuple[Sentence, ...]

    @property
    def percent(self) -> float:
        """Share of sentences accounted for, 0-100 (an empty document counts as 100)."""
        return 100.0 if self.sentences == 0 else round(100.0 * self.accounted / self.sentences, 2)


def normalise(text: str) -> str:
    """Text as matched: typographic quotes made ASCII, whitespace runs made one space."""
    return _normalise_with_map(text)[0].strip()


def _normalise_with_map(text: str) -> tuple[str, tuple[int, ...]]:
    out: list[str] = []
    origin: list[int] = []
    in_space = False
    for i, ch in enumerate(text.translate(_QUOTES)):
        if ch.isspace():
            if in_space:
                continue
            in_space = True
            out.append(" ")
        else:
            in_space = False
            out.append(ch)
        origin.append(i)
    return "".join(out), tuple(origin)


def _heading_key(line: str) -> str:
    match = _MARKER.match(line)
    body = line[match.end() :] if match else line
    return normalise(body).rstrip(":").strip().casefold()


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Split a text into sentences: per non-empty line, then at sentence boundaries.

    Every non-whitespace character of ``text`` lies in exactly one sentence.
    """
    sentences: list[Sentence] = []
    offset = 0
    paragraph = 0
    for line_no, line in enumerate(text.split("\n"), start=1):
        line_start = offset
        offset += len(line) + 1
        if not line.strip():
            continue
        marker = _MARKER.match(line)
        body_from = marker.end() if marker else 0
        cuts = [0]
        for m in _BOUNDARY.finditer(line, body_from):
            word_start = line.rfind(" ", 0, m.start()) + 1
            if line[word_start : m.start() + 1].casefold() in _ABBREVIATIONS:
                continue
            cuts.append(m.end())
        cuts.append(len(line))
        for a, b in pairwise(cuts):
            piece = line[a:b]
            lead = len(piece) - len(piece.lstrip())
            trail = len(piece.rstrip())
            if trail <= lead:
                continue
            sentences.append(
                Sentence(
                    index=len(sentences),
                    span=Span(line_start + a + lead, line_start + a + trail),
                    text=piece.strip(),
                    paragraph=paragraph,
                    line=line_no,
                )
            )
        paragraph += 1
    return tuple(sentences)


def parse_source_text(source_id: str, text: str, path: str = "<text>", sha256: str | None = None) -> SourceText:
    """A :class:`SourceText` from text already in memory (line endings made ``\\n``).

    ``sha256`` is the digest of the file's bytes; by default that of the UTF-8 text.
    """
    digest = sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    norm, origin = _normalise_with_map(text)
    starts = [0, *(i + 1 for i, ch in enumerate(text) if ch == "\n")]
    return SourceText(
        source_id=source_id,
        path=path,
        text=text,
        sentences=split_sentences(text),
        sha256=digest,
        _norm=norm,
        _norm_to_orig=origin,
        _line_starts=tuple(starts),
    )


def load_source_text(source_id: str, path: str | Path) -> SourceText:
    """Read one source text (UTF-8) and split it; a bad file is an :class:`InputError`."""
    text = read_user_text(
        path,
        max_bytes=MAX_SOURCE_BYTES,
        kind="source",
        missing_hint=f"the text of source {source_id!r} is missing: pass --sources DIR holding the files "
        "named in guideline/sources.yaml",
        large_hint="source texts are web pages saved as plain text; check this is the right file",
    )
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:  # pragma: no cover - read_user_text has just read it
        digest = None
    return parse_source_text(source_id, text, str(path), digest)


def load_sources(guideline: Guideline, directory: str | Path) -> dict[str, SourceText]:
    """Read the text of every source the guideline lists from ``directory``, by source id."""
    base = Path(directory)
    if not base.is_dir():
        raise InputError(
            "sources folder not found",
            code="sources-missing",
            path=str(base),
            hint="pass --sources DIR holding the files named in guideline/sources.yaml",
        )
    return {s.id: load_source_text(s.id, base / s.file) for s in guideline.sources}


def cited_span(source: SourceText, section: str, excerpt: str) -> Span | None:
    """Where a citation points: the excerpt's first occurrence below its section heading.

    If the heading is not a line of the source, the first occurrence anywhere
    is used (``calfspec check`` reports the unknown section separately).
    """
    heading = source.find_line(section)
    return source.find(excerpt, after=heading.end if heading is not None else 0)


def sentences_excluded_by(source: SourceText, excerpt: str, scope: ExclusionScope) -> set[int]:
    """Indexes of the sentences one exclusion covers: every occurrence of its excerpt.

    ``scope: sentence`` covers the sentences an occurrence overlaps;
    ``scope: paragraph`` widens that to the whole line(s).
    """
    covered: set[int] = set()
    for span in source.find_all(excerpt):
        hit = source.sentences_overlapping(span)
        if scope is ExclusionScope.PARAGRAPH:
            paragraphs = {s.paragraph for s in hit}
            hit = tuple(s for s in source.sentences if s.paragraph in paragraphs)
        covered.update(s.index for s in hit)
    return covered


def claimed_sentences(guideline: Guideline, source: SourceText) -> set[int]:
    """Indexes of the sentences of ``source`` that some claim's citation points into."""
    out: set[int] = set()
    for claim in guideline.claims:
        for c in claim.citations:
            if c.source != source.source_id:
                continue
            span = cited_span(source, c.section, c.excerpt)
            if span is not None:
                out.update(s.index for s in source.sentences_overlapping(span))
    return out


def excluded_sentences(guideline: Guideline, source: SourceText) -> set[int]:
    """Indexes of the sentences of ``source`` that an exclusion sets aside.

    An exclusion covers every occurrence of its excerpt (a repeated heading or
    navigation link is excluded once); ``scope: paragraph`` widens it to the
    whole line.
    """
    covered: set[int] = set()
    for exc in guideline.exclusions:
        if exc.source == source.source_id:
            covered |= sentences_excluded_by(source, exc.excerpt, exc.scope)
    return covered


def coverage(guideline: Guideline, texts: dict[str, SourceText]) -> tuple[DocumentCoverage, ...]:
    """Per source (in ``sources.yaml`` order): sentences, how many are accounted for, and the rest."""
    out: list[DocumentCoverage] = []
    for src in guideline.sources:
        text = texts.get(src.id)
        if text is None:
            continue
        accounted = claimed_sentences(guideline, text) | excluded_sentences(guideline, text)
        rest = tuple(s for s in text.sentences if s.index not in accounted)
        out.append(
            DocumentCoverage(
                source_id=src.id,
                file=src.file,
                sentences=len(text.sentences),
                accounted=len(text.sentences) - len(rest),
                unaccounted=rest,
            )
        )
    return tuple(out)


# --- governance: pinned texts and what a change touches ------------------------------------

SENTENCE_PINS = "source-sentences.json"
"""File in the guideline folder holding the pinned sentence digests of each source."""


def sentence_digest(sentence: str) -> str:
    """A short digest of one sentence, after the same normalisation excerpts get."""
    return hashlib.sha256(normalise(sentence).encode("utf-8")).hexdigest()[:16]


def pin_sources(texts: dict[str, SourceText]) -> str:
    """The JSON text of ``source-sentences.json`` for these texts (what ``--pin`` writes)."""
    payload = {
        sid: {"sha256": t.sha256, "sentences": [sentence_digest(s.text) for s in t.sentences]}
        for sid, t in sorted(texts.items())
    }
    return json.dumps(payload, indent=1) + "\n"


def load_sentence_pins(guideline_dir: Path) -> dict[str, set[str]]:
    """Source id -> pinned sentence digests (empty when the file is missing or unreadable)."""
    try:
        data = json.loads((guideline_dir / SENTENCE_PINS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, set[str]] = {}
    for sid, entry in data.items():
        if isinstance(entry, dict) and isinstance(entry.get("sentences"), list):
            out[str(sid)] = {str(x) for x in entry["sentences"]}
    return out


@dataclass(frozen=True)
class SourceChange:
    """A source text that no longer matches its pin, and the claims the change touches."""

    source_id: str
    path: str
    pinned: str
    actual: str
    missing: tuple[str, ...]
    """Claim ids whose excerpt in this source is no longer found."""
    changed: tuple[str, ...]
    """Claim ids whose excerpt is found, but in a sentence that is not one of the pinned ones."""
    changed_sentences: tuple[Sentence, ...]


def source_changes(guideline: Guideline, texts: dict[str, SourceText], guideline_dir: Path) -> list[SourceChange]:
    """Every source whose SHA-256 differs from ``sources.yaml``, with the claims its change touches."""
    pins = load_sentence_pins(guideline_dir)
    out: list[SourceChange] = []
    for src in guideline.sources:
        text = texts.get(src.id)
        if text is None or src.sha256 is None or text.sha256 == src.sha256:
            continue
        pinned = pins.get(src.id, set())
        new_sentences = tuple(s for s in text.sentences if sentence_digest(s.text) not in pinned)
        new_index = {s.index for s in new_sentences}
        missing: list[str] = []
        changed: list[str] = []
        for claim in guideline.claims:
            for c in claim.citations:
                if c.source != src.id:
                    continue
                span = cited_span(text, c.section, c.excerpt)
                if span is None:
                    if claim.id not in missing:
                        missing.append(claim.id)
                elif {s.index for s in text.sentences_overlapping(span)} & new_index and claim.id not in changed:
                    changed.append(claim.id)
        out.append(
            SourceChange(
                source_id=src.id,
                path=text.path,
                pinned=src.sha256,
                actual=text.sha256,
                missing=tuple(missing),
                changed=tuple(c for c in changed if c not in missing),
                changed_sentences=new_sentences,
            )
        )
    return out
