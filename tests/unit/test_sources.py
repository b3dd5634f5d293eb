"""calfspec._internal.sources: sentence splitting, excerpt matching, coverage, reading source files."""

from __future__ import annotations

from pathlib import Path

import pytest

from calfspec._internal.errors import InputError
from calfspec._internal.guideline import load_guideline
from calfspec._internal.models.guideline import ExclusionScope, Guideline
from calfspec._internal.sources import (
    MAX_SOURCE_BYTES,
    Span,
    cited_span,
    coverage,
    load_source_text,
    load_sources,
    normalise,
    sentences_excluded_by,
    split_sentences,
)

TEXT = (
    "Overview\n"
    "\n"
    "Calf pain is common. Most of it settles! Does it? Yes.\n"
    "  • Overuse (e.g. tendon-related) — aching that builds. Common in runners.\n"
    "  1. History — how it started.\n"
    "Seek care if you have:\n"
    "It’s a ‘pop’ or “snap”.\n"
)


def _source(tmp_path: Path, text: str = TEXT, name: str = "doc.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_each_line_is_a_paragraph_split_at_sentence_ends() -> None:
    texts = [s.text for s in split_sentences(TEXT)]
    assert texts == [
        "Overview",
        "Calf pain is common.",
        "Most of it settles!",
        "Does it?",
        "Yes.",
        "• Overuse (e.g. tendon-related) — aching that builds.",
        "Common in runners.",
        "1. History — how it started.",
        "Seek care if you have:",
        "It’s a ‘pop’ or “snap”.",
    ]


def test_list_markers_and_abbreviations_do_not_end_a_sentence() -> None:
    sentences = split_sentences("  1. Rupture\n  2. Dr. Smith saw it, e.g. Today.\n")
    assert [s.text for s in sentences] == ["1. Rupture", "2. Dr. Smith saw it, e.g. Today."]


def test_sentences_record_line_paragraph_and_exact_span() -> None:
    sentences = split_sentences(TEXT)
    for s in sentences:
        assert TEXT[s.span.start : s.span.end] == s.text
    by_text = {s.text: s for s in sentences}
    assert by_text["Overview"].line == 1
    assert by_text["Yes."].line == 3
    assert by_text["Calf pain is common."].paragraph == by_text["Yes."].paragraph
    assert by_text["Common in runners."].paragraph != by_text["Yes."].paragraph


def test_blank_and_whitespace_lines_make_no_sentences() -> None:
    assert split_sentences("\n   \n\t\n") == ()


def test_normalise_changes_only_whitespace_and_typographic_quotes() -> None:
    assert normalise("  It’s  a\n‘pop’ “snap”  ") == "It's a 'pop' \"snap\""
    # dashes and case are meaningful and kept
    assert normalise("A — b – C") == "A — b – C"


def test_excerpt_with_plain_quotes_matches_typographic_source(tmp_path: Path) -> None:
    src = load_source_text("s", _source(tmp_path))
    spans = src.find_all("It's a 'pop' or \"snap\".")
    assert len(spans) == 1
    assert src.text[spans[0].start : spans[0].end] == "It’s a ‘pop’ or “snap”."


def test_excerpt_matches_across_a_line_break_and_extra_spaces(tmp_path: Path) -> None:
    src = load_source_text("s", _source(tmp_path, "Pain that  builds\nover days.\n"))
    (span,) = src.find_all("builds over days")
    assert src.text[span.start : span.end] == "builds\nover days"


def test_excerpt_that_differs_in_a_dash_or_a_letter_is_not_found(tmp_path: Path) -> None:
    src = load_source_text("s", _source(tmp_path))
    assert src.find_all("Overuse (e.g. tendon-related) - aching") == ()
    assert src.find_all("calf pain is common.") == ()
    assert src.find_all("   ") == ()


def test_find_line_ignores_list_marker_trailing_colon_and_case(tmp_path: Path) -> None:
    src = load_source_text("s", _source(tmp_path))
    assert src.find_line("history — how it started.") is not None
    assert src.find_line("Seek care if you have") is not None
    assert src.find_line("Calf pain") is None  # part of a line is not a heading


def test_citation_points_at_the_occurrence_below_its_section(tmp_path: Path) -> None:
    text = "Intro\nRest helps.\nFAQ\nRest helps.\n"
    src = load_source_text("s", _source(tmp_path, text))
    first, second = src.find_all("Rest helps.")
    assert cited_span(src, "FAQ", "Rest helps.") == second
    assert cited_span(src, "Intro", "Rest helps.") == first
    assert cited_span(src, "No such heading", "Rest helps.") == first
    assert cited_span(src, "FAQ", "Intro") is None


def test_line_col_is_one_based(tmp_path: Path) -> None:
    src = load_source_text("s", _source(tmp_path, "ab\ncd\n"))
    assert src.line_col(0) == (1, 1)
    assert src.line_col(4) == (2, 2)


def test_span_overlap_is_half_open() -> None:
    assert Span(0, 5).overlaps(Span(4, 6))
    assert not Span(0, 5).overlaps(Span(5, 6))


def test_sentence_scope_exclusion_covers_only_overlapped_sentences(tmp_path: Path) -> None:
    src = load_source_text("s", _source(tmp_path))
    covered = sentences_excluded_by(src, "Most of it settles!", ExclusionScope.SENTENCE)
    assert [src.sentences[i].text for i in sorted(covered)] == ["Most of it settles!"]


def test_paragraph_scope_exclusion_covers_the_whole_line(tmp_path: Path) -> None:
    src = load_source_text("s", _source(tmp_path))
    covered = sentences_excluded_by(src, "Does it?", ExclusionScope.PARAGRAPH)
    assert [src.sentences[i].text for i in sorted(covered)] == [
        "Calf pain is common.",
        "Most of it settles!",
        "Does it?",
        "Yes.",
    ]


def test_exclusion_covers_every_occurrence_of_its_excerpt(tmp_path: Path) -> None:
    src = load_source_text("s", _source(tmp_path, "Title\nBody one.\nTitle\nBody two.\n"))
    covered = sentences_excluded_by(src, "Title", ExclusionScope.SENTENCE)
    assert sorted(src.sentences[i].line for i in covered) == [1, 3]


def _tiny_guideline(exclusions: list[dict[str, str]], citations: list[dict[str, str]]) -> Guideline:
    return Guideline.model_validate(
        {
            "meta": {
                "id": "tiny",
                "title": "Tiny",
                "version": "0.0.1",
                "policy": {
                    "unresolved_red_flag_urgency": "routine",
                    "unresolved_pathway": "p",
                    "self_care_pathway": "p",
                    "claims": ["c"],
                },
            },
            "sources": [{"id": "s", "file": "doc.txt", "title": "T", "publisher": "P"}],
            "findings": [],
            "claims": [{"id": "c", "statement": "S", "basis": "stated", "citations": citations}],
            "conditions": [],
            "rules": [],
            "pathways": [],
            "advice": [],
            "conflicts": [],
            "exclusions": exclusions,
        }
    )


def test_coverage_counts_cited_and_excluded_sentences_and_lists_the_rest(tmp_path: Path) -> None:
    guideline = _tiny_guideline(
        exclusions=[{"id": "x", "source": "s", "kind": "heading", "excerpt": "Overview", "reason": "r"}],
        citations=[{"source": "s", "section": "Overview", "excerpt": "Most of it"}],
    )
    _source(tmp_path)
    (doc,) = coverage(guideline, load_sources(guideline, tmp_path))
    assert doc.source_id == "s"
    assert doc.sentences == 10
    assert doc.accounted == 2
    assert doc.percent == 20.0
    assert "Calf pain is common." in [s.text for s in doc.unaccounted]
    assert "Most of it settles!" not in [s.text for s in doc.unaccounted]


def test_bundled_guideline_accounts_for_every_sentence_of_both_sources(seeds_dir: Path) -> None:
    index = load_guideline()
    docs = coverage(index.guideline, load_sources(index.guideline, seeds_dir))
    assert [d.source_id for d in docs] == ["src-000", "src-001"]
    for doc in docs:
        assert doc.unaccounted == (), [s.text for s in doc.unaccounted]
        assert doc.percent == 100.0


def test_missing_source_text_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_source_text("s", tmp_path / "absent.txt")
    assert info.value.code == "source-missing"
    assert info.value.path == str(tmp_path / "absent.txt")


def test_missing_sources_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_sources(load_guideline().guideline, tmp_path / "nope")
    assert info.value.code == "sources-missing"


def test_non_utf8_source_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"fine\nstill fine\nbad \xff byte\n")
    with pytest.raises(InputError) as info:
        load_source_text("s", path)
    assert info.value.code == "source-not-utf8"
    assert info.value.line == 3


def test_oversized_source_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * (MAX_SOURCE_BYTES + 1))
    with pytest.raises(InputError) as info:
        load_source_text("s", path)
    assert info.value.code == "source-too-large"


def test_crlf_line_endings_split_like_lf(tmp_path: Path) -> None:
    src = load_source_text("s", _source(tmp_path, "One.\r\nTwo. Three.\r\n"))
    assert [s.text for s in src.sentences] == ["One.", "Two.", "Three."]
