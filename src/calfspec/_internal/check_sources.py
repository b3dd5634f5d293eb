"""Guideline lints against the source texts (``calfspec check --sources``); see :mod:`calfspec._internal.check`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .guideline import GuidelineIndex, field_location
from .problem import Problem
from .sources import (
    SourceText,
    cited_span,
    claimed_sentences,
    excluded_sentences,
    sentences_excluded_by,
    source_changes,
)
from .words import clip

__all__ = ["governance_problems", "source_problems"]

_SHOWN = 80
"""Characters of an excerpt a problem message quotes."""


def source_problems(index: GuidelineIndex, texts: dict[str, SourceText]) -> Iterator[Problem]:
    """``section-not-found``, ``excerpt-not-found``, ``exclusion-not-found``, ``exclusion-covers-claim``."""
    g = index.guideline
    for claim in g.claims:
        for i, c in enumerate(claim.citations):
            text = texts.get(c.source)
            if text is None:
                continue
            if text.find_line(c.section) is None:
                yield Problem(
                    "section-not-found",
                    f"claim {claim.id!r}: section {c.section!r} is not a heading line of {text.path}",
                    field_location(index, "claims", claim.id, "citations", i, "section"),
                    "copy the heading the passage sits under, as it is written in the source",
                )
            if cited_span(text, c.section, c.excerpt) is None:
                elsewhere = bool(text.find_all(c.excerpt))
                where = f"under section {c.section!r}" if elsewhere else "anywhere"
                yield Problem(
                    "excerpt-not-found",
                    f"claim {claim.id!r}: excerpt not found verbatim {where} in {text.path}: "
                    f"{clip(c.excerpt, _SHOWN)!r}",
                    field_location(index, "claims", claim.id, "citations", i, "excerpt"),
                    "copy the excerpt exactly from the source (only whitespace and typographic quotes are normalised)",
                )
    for exc in g.exclusions:
        text = texts.get(exc.source)
        if text is not None and not text.find_all(exc.excerpt):
            yield Problem(
                "exclusion-not-found",
                f"exclusion {exc.id!r}: excerpt not found in {text.path}: {clip(exc.excerpt, _SHOWN)!r}",
                field_location(index, "exclusions", exc.id, "excerpt"),
                "copy the excerpt exactly from the source",
            )
    for text in texts.values():
        overlap = claimed_sentences(g, text) & excluded_sentences(g, text)
        for sentence in sorted(overlap):
            s = text.sentences[sentence]
            for exc_id in _exclusions_covering(index, text, sentence):
                yield Problem(
                    "exclusion-covers-claim",
                    f"exclusion {exc_id!r} covers a sentence a claim cites ({text.path}:{s.line}): "
                    f"{clip(s.text, _SHOWN)!r}",
                    field_location(index, "exclusions", exc_id, "excerpt"),
                    "exclusions are for non-clinical text: narrow the excerpt or its scope",
                )


def governance_problems(index: GuidelineIndex, texts: dict[str, SourceText]) -> Iterator[Problem]:
    """``source-not-pinned`` and ``source-changed``."""
    for src in index.guideline.sources:
        if src.sha256 is None:
            yield Problem(
                "source-not-pinned",
                f"source {src.id!r} has no sha256: a change to its text would go unnoticed",
                index.where("sources", src.id),
                "add `sha256:` (and `retrieved:`) for the text as reviewed; `calfspec check --sources DIR --pin` "
                "prints it and writes the sentence pins",
            )
    for change in source_changes(index.guideline, texts, index.root):
        touched = [*change.missing, *change.changed]
        detail = (
            f"; claims whose excerpt is no longer found: {', '.join(change.missing)}" if change.missing else ""
        ) + (f"; claims cited in a changed sentence: {', '.join(change.changed)}" if change.changed else "")
        lines = sorted({s.line for s in change.changed_sentences})
        yield Problem(
            "source-changed",
            f"source {change.source_id!r} ({change.path}) has changed: sha256 {change.actual[:12]}… does not match "
            f"the pinned {change.pinned[:12]}…; {len(change.changed_sentences)} sentence(s) not in the pinned text "
            f"(lines {', '.join(map(str, lines[:12]))}{'…' if len(lines) > 12 else ''}); "
            f"{len(touched)} claim(s) touched{detail}",
            field_location(index, "sources", change.source_id, "sha256"),
            "re-review the touched claims against the new text, then update sha256 and re-pin "
            "(`calfspec check --sources DIR --pin`)",
        )


def _exclusions_covering(index: GuidelineIndex, text: SourceText, sentence: int) -> Iterable[str]:
    for exc in index.guideline.exclusions:
        if exc.source == text.source_id and sentence in sentences_excluded_by(text, exc.excerpt, exc.scope):
            yield exc.id
