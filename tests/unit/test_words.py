"""calfspec._internal.words: labels, state words, presentations in prose, clipping and Markdown escaping."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from calfspec._internal.guideline import load_guideline
from calfspec._internal.models.triage import FindingState, Onset, Presentation, Sex, Side, TriageRequest
from calfspec._internal.review.tables import HazardRow, hazard_log_markdown, markdown_table
from calfspec._internal.words import (
    clip,
    md_cell,
    md_text,
    one_line,
    patient_narrative,
    presentation_lines,
    prose_label,
    state_word,
    third_person_summary,
    witness_facts,
)

GUIDELINE = load_guideline()
FID = GUIDELINE.guideline.findings[0].id
LABEL = GUIDELINE.findings[FID].label


def test_a_label_falls_back_to_the_id_and_in_prose_to_the_id_with_spaces() -> None:
    assert GUIDELINE.label(FID) == LABEL
    assert GUIDELINE.label("no_such_finding") == "no_such_finding"
    assert prose_label(GUIDELINE, FID) == LABEL
    assert prose_label(GUIDELINE, "no_such_finding") == "no such finding"


def test_each_voice_has_its_own_word_for_unknown_and_the_same_yes_and_no() -> None:
    assert [state_word(FindingState.UNKNOWN, v) for v in ("patient", "field", "reviewer")] == [
        "not sure",
        "unknown",
        "not known",
    ]
    assert {state_word(FindingState.PRESENT, v) for v in ("patient", "field", "reviewer")} == {"yes"}
    assert {state_word(FindingState.ABSENT, v) for v in ("patient", "field", "reviewer")} == {"no"}


@given(st.text(), st.integers(1, 40), st.sampled_from(["…", "...", ""]))
def test_clip_keeps_short_text_and_cuts_long_text_to_the_limit_with_its_marker(
    text: str, limit: int, marker: str
) -> None:
    flat = one_line(text)
    out = clip(text, limit, marker=marker)
    if len(flat) <= limit:
        assert out == flat
    elif len(marker) < limit:
        assert len(out) == limit and out.endswith(marker) and flat.startswith(out[: limit - len(marker)])


def test_clip_without_flattening_keeps_newlines() -> None:
    assert clip("a\nb" * 200, 10, marker="...", flatten=False) == "a\nba\nba..."


_SPECIAL = st.text(alphabet="ab <>&|*_`[]#\\\n\t", max_size=30)


@given(_SPECIAL)
def test_a_markdown_cell_has_no_raw_html_no_table_break_and_no_live_emphasis(text: str) -> None:
    cell = md_cell(text)
    assert "<" not in cell and ">" not in cell and "\n" not in cell
    # every markup character is preceded by an odd number of backslashes: it is escaped
    for m in re.finditer(r"(\\*)([|*_`\[\]#])", cell):
        assert len(m.group(1)) % 2 == 1, cell


def test_md_text_escapes_html_and_markup() -> None:
    assert md_text("a|b <i>*x*</i> #1 [l](u) `c` _e_") == (
        "a\\|b &lt;i&gt;\\*x\\*&lt;/i&gt; \\#1 \\[l\\](u) \\`c\\` \\_e\\_"
    )


def test_the_hazard_log_escapes_angle_brackets_and_emphasis_in_guideline_text() -> None:
    # Before issue 11 the hazard log escaped only `\` and `|`: `<script>` and `*x*` went through.
    row = HazardRow("HAZ-x", "<script>alert(1)</script>", "misses *swelling*", "rule x", "s1", "pass", "ok")
    text = hazard_log_markdown([row], "t")
    body = text.splitlines()[-1]
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert "\\*swelling\\*" in body
    assert markdown_table(["h"], [["a\nb  c"]]).splitlines()[-1] == "| a b c |"


def _request(**fields: object) -> TriageRequest:
    return TriageRequest.model_validate(fields)


def test_the_patient_and_the_third_person_say_the_same_facts() -> None:
    request = _request(
        age=54,
        sex=Sex.MALE,
        side=Side.LEFT,
        onset=Onset.SUDDEN,
        duration_days=2,
        findings={FID: FindingState.PRESENT, "no_such_finding": FindingState.ABSENT},
    )
    spoken = LABEL[:1].lower() + LABEL[1:] if LABEL[1:2].islower() else LABEL
    assert patient_narrative(request, GUIDELINE) == (
        "My left calf hurts. I am a 54-year-old man. It came on suddenly. It started 2 day(s) ago. "
        f"I have: {spoken}. I do not have: no such finding."
    )
    assert third_person_summary(request, GUIDELINE) == (
        "A 54-year-old man has calf pain. It is in the left calf. It came on suddenly 2 day(s) ago. "
        f"They have: {LABEL}. They do not have: no such finding. Nothing else is known."
    )


def test_presentation_lines_name_labels_and_clip_a_long_narrative() -> None:
    request = _request(findings={FID: FindingState.PRESENT}, narrative="x" * 400)
    lines = presentation_lines(request, GUIDELINE)
    assert lines[0] == "age: unknown; sex: unknown; pregnant: unknown"
    assert lines[2] == f"present: {LABEL}"
    assert lines[-1] == f"narrative: {'x' * 297 + '...'!r}"


def test_witness_facts_list_what_is_known() -> None:
    assert witness_facts(Presentation()) == "any presentation"
    known = Presentation(side=Side.BOTH, pregnant=FindingState.ABSENT, findings={"a": FindingState.PRESENT})
    assert witness_facts(known) == "a present, side both, pregnant absent"
