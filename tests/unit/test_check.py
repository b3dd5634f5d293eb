"""calfspec._internal.check: each lint fires on the guideline mistake it names, and not on the real guideline.

Most tests build a tiny guideline (written as JSON, which is valid YAML) so the
mistake under test is the only thing in it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from calfspec._internal.check import check_guideline, co_satisfiable
from calfspec._internal.models.guideline import AllOf, AnyOf, FindingIs, NotOf, PregnantIs, SideIs, SideTest
from calfspec._internal.models.triage import FindingState, Side
from calfspec._internal.rules import Truth, evaluate

SOURCE_TEXT = "Heading\n\nRest helps a strain. Swelling is a warning.\nFAQ\nRest helps a strain.\nNav link\n"

BASE: dict[str, Any] = {
    "guideline": {
        "id": "mini",
        "title": "Mini guideline",
        "version": "0.0.1",
        "policy": {
            "unresolved_red_flag_urgency": "routine",
            "unresolved_pathway": "see-doctor",
            "self_care_pathway": "home",
            "claims": ["rest-helps"],
        },
    },
    "sources": [
        {
            "id": "s1",
            "file": "s1.txt",
            "title": "T",
            "publisher": "P",
            "sha256": hashlib.sha256(SOURCE_TEXT.encode("utf-8")).hexdigest(),
        }
    ],
    "claims": [
        {
            "id": "rest-helps",
            "statement": "Rest helps a strain.",
            "basis": "stated",
            "citations": [{"source": "s1", "section": "Heading", "excerpt": "Rest helps a strain."}],
        },
        {
            "id": "swelling-warns",
            "statement": "Swelling is a warning sign.",
            "basis": "stated",
            "citations": [{"source": "s1", "section": "Heading", "excerpt": "Swelling is a warning."}],
        },
    ],
    "findings": [
        {"id": "swelling", "label": "Swelling", "kind": "sign"},
        {"id": "injury", "label": "Injury", "kind": "history"},
    ],
    "conditions": [
        {
            "id": "strain",
            "name": "Strain",
            "serious": False,
            "features": ["injury"],
            "risk_factors": ["injury"],
            "course": "Settles.",
            "claims": ["rest-helps"],
        }
    ],
    "pathways": [
        {
            "id": "home",
            "title": "Home",
            "urgency": "self_care",
            "advice": ["stretch", "safety"],
            "claims": ["rest-helps"],
        },
        {"id": "see-doctor", "title": "Doctor", "urgency": "routine", "advice": ["safety"], "claims": ["rest-helps"]},
        {"id": "urgent-care", "title": "Urgent", "urgency": "urgent", "claims": ["swelling-warns"]},
    ],
    "advice": [
        {
            "id": "stretch",
            "title": "Stretch",
            "kind": "self_care",
            "statement": "Stretch gently.",
            "indicated_when": {"finding": "injury"},
            "claims": ["rest-helps"],
        },
        {
            "id": "safety",
            "title": "When to get help",
            "kind": "safety_net",
            "statement": "Get help if it swells.",
            "claims": ["swelling-warns"],
        },
    ],
    "rules": [
        {
            "id": "swollen",
            "title": "Swollen calf",
            "kind": "red_flag",
            "when": {"finding": "swelling"},
            "urgency": "urgent",
            "pathway": "urgent-care",
            "contraindicates": ["stretch"],
            "claims": ["swelling-warns"],
        }
    ],
    "exclusions": [{"id": "nav", "source": "s1", "kind": "navigation", "excerpt": "Nav link", "reason": "A link."}],
}


def _write(tmp_path: Path, data: dict[str, Any]) -> tuple[Path, Path]:
    guideline = tmp_path / "guideline"
    sources = tmp_path / "sources"
    guideline.mkdir()
    sources.mkdir()
    (guideline / "all.yaml").write_text(json.dumps(data, indent=2), encoding="utf-8")
    (sources / "s1.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    return guideline, sources


def _codes(tmp_path: Path, data: dict[str, Any], with_sources: bool = True) -> list[str]:
    guideline, sources = _write(tmp_path, data)
    report = check_guideline(guideline, sources if with_sources else None)
    return [p.code for p in report.problems]


def _mini() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def test_the_mini_guideline_is_clean(tmp_path: Path) -> None:
    guideline, sources = _write(tmp_path, _mini())
    report = check_guideline(guideline, sources)
    assert report.problems == ()
    assert report.ok
    assert report.counts["red_flags"] == 1
    assert report.counts["problems"] == 0


def test_bundled_guideline_is_clean_against_the_sources(seeds_dir: Path) -> None:
    report = check_guideline(None, seeds_dir)
    assert [p.render() for p in report.problems] == []
    counts = report.counts
    assert counts["sources"] >= 2
    assert counts["claims"] >= 100
    assert counts["conditions"] >= 15
    assert counts["red_flags"] >= 6
    assert report.sources_checked


def test_red_flag_below_urgent_is_reported(tmp_path: Path) -> None:
    data = _mini()
    data["rules"][0]["urgency"] = "routine"
    data["rules"][0]["pathway"] = "see-doctor"
    assert _codes(tmp_path, data) == ["red-flag-urgency"]


def test_rule_whose_pathway_has_another_urgency_is_reported(tmp_path: Path) -> None:
    data = _mini()
    data["rules"][0]["urgency"] = "emergency"
    assert _codes(tmp_path, data) == ["rule-pathway-urgency"]


def test_policy_pointing_at_a_pathway_of_the_wrong_urgency_is_reported(tmp_path: Path) -> None:
    data = _mini()
    data["guideline"]["policy"]["self_care_pathway"] = "see-doctor"
    assert "policy-pathway-urgency" in _codes(tmp_path, data)


def test_pathway_listing_unknown_advice_is_reported(tmp_path: Path) -> None:
    data = _mini()
    data["pathways"][1]["advice"] = ["no-such-advice", "safety"]
    assert _codes(tmp_path, data) == ["unknown-id"]


def test_rule_forbidding_advice_its_own_pathway_gives_is_contradictory(tmp_path: Path) -> None:
    data = _mini()
    data["pathways"][2]["advice"] = ["stretch"]
    guideline, sources = _write(tmp_path, data)
    (problem,) = check_guideline(guideline, sources).problems
    assert problem.code == "contradictory-rules"
    assert "its own pathway 'urgent-care'" in problem.message
    assert problem.location.path == str(guideline / "all.yaml")
    assert problem.location.line is not None


def _second_rule(when: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "injured",
        "title": "Injury needing review",
        "kind": "routine_review",
        "when": when,
        "urgency": "routine",
        "pathway": "see-doctor",
        "claims": ["rest-helps"],
    }


def test_two_rules_that_can_hold_together_with_clashing_advice_are_contradictory(tmp_path: Path) -> None:
    data = _mini()
    data["pathways"][1]["advice"] = ["stretch", "safety"]
    data["rules"].append(_second_rule({"finding": "injury"}))
    guideline, sources = _write(tmp_path, data)
    (problem,) = check_guideline(guideline, sources).problems
    assert problem.code == "contradictory-rules"
    assert "'injured' and 'swollen' can hold together" in problem.message
    assert "injury present" in problem.message and "swelling present" in problem.message


def test_rules_that_cannot_hold_together_are_not_contradictory(tmp_path: Path) -> None:
    data = _mini()
    data["pathways"][1]["advice"] = ["stretch", "safety"]
    data["rules"].append(_second_rule({"all": [{"finding": "injury"}, {"not": {"finding": "swelling"}}]}))
    assert _codes(tmp_path, data) == []


def test_advice_whose_indication_implies_its_contraindication_is_never_given(tmp_path: Path) -> None:
    data = _mini()
    data["advice"][0]["contraindicated_when"] = {"any": [{"finding": "injury"}, {"finding": "swelling"}]}
    assert _codes(tmp_path, data) == ["advice-never-given"]


def test_advice_that_can_still_be_given_is_fine(tmp_path: Path) -> None:
    data = _mini()
    data["advice"][0]["contraindicated_when"] = {"finding": "swelling"}
    assert _codes(tmp_path, data) == []


def test_unused_vocabulary_is_reported(tmp_path: Path) -> None:
    data = _mini()
    data["findings"].append({"id": "fever", "label": "Fever", "kind": "sign"})
    guideline, sources = _write(tmp_path, data)
    (problem,) = check_guideline(guideline, sources).problems
    assert problem.code == "unused-finding"
    assert "'fever'" in problem.message


def test_condition_without_risk_factors_is_incomplete(tmp_path: Path) -> None:
    data = _mini()
    data["conditions"][0]["risk_factors"] = []
    data["findings"].append({"id": "spare", "label": "Spare", "kind": "sign"})
    data["conditions"][0]["features"] = ["injury", "spare"]
    assert _codes(tmp_path, data) == ["condition-incomplete"]


def _interpretation(cid: str) -> dict[str, Any]:
    return {
        "id": cid,
        "statement": "Our reading.",
        "basis": "interpretation",
        "citations": [{"source": "s1", "section": "Heading", "excerpt": "Swelling is a warning."}],
    }


def test_interpretation_nothing_cites_is_an_orphan(tmp_path: Path) -> None:
    data = _mini()
    data["claims"].append(_interpretation("our-reading"))
    assert _codes(tmp_path, data) == ["orphan-interpretation"]


def test_interpretation_cited_by_a_conflict_record_is_not_an_orphan(tmp_path: Path) -> None:
    data = _mini()
    data["claims"].append(_interpretation("our-reading"))
    data["conflicts"] = [
        {
            "id": "a-gap",
            "kind": "gap",
            "topic": "Something unsaid",
            "positions": [{"source": "s1", "says": "Nothing."}],
            "resolution": "We decided.",
            "resolution_claims": ["our-reading"],
        }
    ]
    assert _codes(tmp_path, data) == []


def test_conflict_resolved_by_a_stated_claim_is_reported(tmp_path: Path) -> None:
    data = _mini()
    data["conflicts"] = [
        {
            "id": "a-gap",
            "kind": "gap",
            "topic": "Something unsaid",
            "positions": [{"source": "s1", "says": "Nothing."}],
            "resolution": "We decided.",
            "resolution_claims": ["rest-helps"],
        }
    ]
    assert _codes(tmp_path, data) == ["resolution-not-interpretation"]


def test_altered_excerpt_is_reported_at_its_line_in_the_yaml(tmp_path: Path) -> None:
    data = _mini()
    data["claims"][1]["citations"][0]["excerpt"] = "Swelling is a warning!"
    guideline, sources = _write(tmp_path, data)
    (problem,) = check_guideline(guideline, sources).problems
    assert problem.code == "excerpt-not-found"
    text = (guideline / "all.yaml").read_text(encoding="utf-8").splitlines()
    assert problem.location.line is not None
    assert '"excerpt": "Swelling is a warning!"' in text[problem.location.line - 1]


def test_excerpt_above_its_section_is_not_found_there(tmp_path: Path) -> None:
    data = _mini()
    data["claims"][1]["citations"][0]["section"] = "FAQ"
    guideline, sources = _write(tmp_path, data)
    (problem,) = check_guideline(guideline, sources).problems
    assert problem.code == "excerpt-not-found"
    assert "under section 'FAQ'" in problem.message


def test_unknown_section_heading_is_reported(tmp_path: Path) -> None:
    data = _mini()
    data["claims"][0]["citations"][0]["section"] = "Nowhere"
    assert _codes(tmp_path, data) == ["section-not-found"]


def test_excerpts_are_not_checked_without_sources(tmp_path: Path) -> None:
    data = _mini()
    data["claims"][0]["citations"][0]["excerpt"] = "Not in the text."
    assert _codes(tmp_path, data, with_sources=False) == []


def test_exclusion_not_in_the_source_is_reported(tmp_path: Path) -> None:
    data = _mini()
    data["exclusions"][0]["excerpt"] = "Scroll to Top"
    assert _codes(tmp_path, data) == ["exclusion-not-found"]


def test_exclusion_covering_a_cited_sentence_is_reported(tmp_path: Path) -> None:
    data = _mini()
    data["exclusions"].append(
        {
            "id": "too-wide",
            "source": "s1",
            "kind": "editorial",
            "excerpt": "Swelling is a warning.",
            "scope": "paragraph",
            "reason": "Wrongly excluded.",
        }
    )
    guideline, sources = _write(tmp_path, data)
    codes = [(p.code, p.message) for p in check_guideline(guideline, sources).problems]
    assert {c for c, _ in codes} == {"exclusion-covers-claim"}
    assert all("'too-wide'" in m for _, m in codes)
    assert len(codes) == 2  # both sentences of the line are cited


def test_broken_yaml_gives_the_loader_problem_and_no_counts(tmp_path: Path) -> None:
    guideline, sources = _write(tmp_path, _mini())
    (guideline / "all.yaml").write_text("guideline: [unclosed\n", encoding="utf-8")
    report = check_guideline(guideline, sources)
    assert [p.code for p in report.problems] == ["yaml-syntax"]
    assert report.counts == {}
    assert not report.ok


def test_unknown_id_and_lints_are_reported_together(tmp_path: Path) -> None:
    data = _mini()
    data["rules"][0]["pathway"] = "no-such-pathway"
    data["findings"].append({"id": "fever", "label": "Fever", "kind": "sign"})
    assert sorted(_codes(tmp_path, data)) == ["unknown-id", "unused-finding"]


# --- co_satisfiable -----------------------------------------------------------------------

A = FindingIs(finding="a")
B = FindingIs(finding="b")


def test_a_finding_and_its_negation_cannot_hold_together() -> None:
    assert co_satisfiable(A, NotOf(not_=A)) is None


def test_witness_satisfies_every_expression() -> None:
    exprs = (AnyOf(any=(A, B)), NotOf(not_=A))
    witness = co_satisfiable(*exprs)
    assert witness is not None
    assert witness.findings == {"a": FindingState.ABSENT, "b": FindingState.PRESENT}
    assert all(evaluate(e, witness) is Truth.TRUE for e in exprs)


def test_side_tests_that_exclude_each_other_cannot_hold_together() -> None:
    assert co_satisfiable(SideIs(side=SideTest.ONE_SIDED), SideIs(side=SideTest.BILATERAL)) is None
    witness = co_satisfiable(SideIs(side=SideTest.LEFT), SideIs(side=SideTest.ONE_SIDED))
    assert witness is not None and witness.side is Side.LEFT


def test_pregnancy_tests_are_searched() -> None:
    assert co_satisfiable(PregnantIs(pregnant=True), PregnantIs(pregnant=False)) is None
    witness = co_satisfiable(AllOf(all=(PregnantIs(pregnant=True), A)))
    assert witness is not None and witness.pregnant is FindingState.PRESENT


@pytest.mark.parametrize("n", [1, 8, 16])
def test_wide_satisfiable_conjunctions_are_found(n: int) -> None:
    parts = tuple(FindingIs(finding=f"f{i}") for i in range(n))
    witness = co_satisfiable(AllOf(all=parts), AnyOf(any=parts))
    assert witness is not None
    assert all(v is FindingState.PRESENT for v in witness.findings.values())


# --- source governance (audit D33) -------------------------------------------------------------


def test_a_source_without_a_pin_is_reported(tmp_path: Path) -> None:
    data = _mini()
    del data["sources"][0]["sha256"]
    assert _codes(tmp_path, data) == ["source-not-pinned"]


def _flip(path: Path, old: bytes, new: bytes) -> None:
    raw = path.read_bytes()
    assert raw.count(old) >= 1
    path.write_bytes(raw.replace(old, new, 1))


def test_a_changed_byte_in_a_cited_sentence_names_the_claims_it_touches(tmp_path: Path) -> None:
    from calfspec._internal.sources import SENTENCE_PINS, load_sources, pin_sources

    data = _mini()
    data["claims"][1]["citations"][0]["excerpt"] = "Swelling is a"
    guideline, sources = _write(tmp_path, data)
    (guideline / SENTENCE_PINS).write_text(pin_sources(load_sources(_load(guideline), sources)), encoding="utf-8")
    # One byte, outside every excerpt but inside the sentence claim swelling-warns cites.
    _flip(sources / "s1.txt", b"warning", b"wArning")
    problems = check_guideline(guideline, sources).problems
    (changed,) = [p for p in problems if p.code == "source-changed"]
    assert "claims cited in a changed sentence: swelling-warns" in changed.message
    assert "rest-helps" not in changed.message
    assert changed.location.path is not None and changed.location.path.endswith("all.yaml")


def test_a_changed_byte_inside_an_excerpt_reports_the_claim_as_no_longer_found(tmp_path: Path) -> None:
    from calfspec._internal.sources import SENTENCE_PINS, load_sources, pin_sources

    guideline, sources = _write(tmp_path, _mini())
    (guideline / SENTENCE_PINS).write_text(pin_sources(load_sources(_load(guideline), sources)), encoding="utf-8")
    _flip(sources / "s1.txt", b"Swelling is a warning.", b"Swelling is a wArning.")
    codes = {p.code: p for p in check_guideline(guideline, sources).problems}
    assert "excerpt no longer found: swelling-warns" in codes["source-changed"].message.replace(
        "whose excerpt is ", "excerpt "
    )
    assert "excerpt-not-found" in codes


def _load(guideline: Path) -> Any:
    from calfspec._internal.guideline import load_guideline

    return load_guideline(guideline).guideline


# --- scenario lints: the structured fields count, advice, deprecated ids ------------------------

BUNDLED_CASE = "red-flags/dvt-tender-calf-older-obese-no-other-risk-right.yaml"


def _scenario_copy(tmp_path: Path, old: str, new: str) -> Path:
    from calfspec._internal.guideline import data_dir

    src = data_dir("scenarios") / "cases" / BUNDLED_CASE
    text = src.read_text(encoding="utf-8")
    assert old in text
    dest = tmp_path / "cases" / "case.yaml"
    dest.parent.mkdir(parents=True)
    dest.write_text(text.replace(old, new, 1), encoding="utf-8")
    return dest


def test_bundled_scenarios_do_not_contradict_their_own_fields() -> None:
    from calfspec._internal.guideline import data_dir

    report = check_guideline(None, None, data_dir("scenarios"))
    codes = {p.code for p in report.problems}
    assert not codes & {"scenario-contradicts-fields", "scenario-forbids-allowed-advice"}, [
        p.render() for p in report.problems
    ]


def test_a_scenario_whose_findings_contradict_its_age_is_reported_at_the_finding(tmp_path: Path) -> None:
    case = _scenario_copy(tmp_path, "older_age: present", "older_age: absent")
    report = check_guideline(None, None, case.parent)
    (problem,) = [p for p in report.problems if p.code == "scenario-contradicts-fields"]
    assert "older_age absent, but its age (76) settles it as present" in problem.message
    assert problem.location.path == str(case)
    line = case.read_text(encoding="utf-8").splitlines()[problem.location.line - 1]  # type: ignore[operator]
    assert "older_age: absent" in line


def test_a_man_recorded_as_pregnant_is_reported(tmp_path: Path) -> None:
    text_case = _scenario_copy(tmp_path, "sex: female", "sex: male")
    text = text_case.read_text(encoding="utf-8")
    if "pregnant: absent" in text:
        text_case.write_text(text.replace("pregnant: absent", "pregnant: present", 1), encoding="utf-8")
    else:  # pragma: no cover - depends on the bundled case's wording
        pytest.skip("the bundled case does not state pregnancy")
    report = check_guideline(None, None, text_case.parent)
    assert any(p.code == "scenario-contradicts-fields" and "pregnant present" in p.message for p in report.problems), [
        p.render() for p in report.problems
    ]


def test_a_scenario_using_a_deprecated_id_works_and_gets_a_note(tmp_path: Path) -> None:
    import shutil

    from calfspec._internal.guideline import data_dir

    gdir = tmp_path / "guideline"
    shutil.copytree(data_dir("guideline"), gdir)
    (gdir / "zz-aliases.yaml").write_text(
        "aliases:\n"
        "  - id: old_fat\n"
        "    replaced_by: [obesity]\n"
        '    deprecated_in: "1.1"\n'
        "    note: renamed in a test\n",
        encoding="utf-8",
    )
    case = _scenario_copy(tmp_path, "obesity: present", "old_fat: present")
    report = check_guideline(gdir, None, case.parent)
    assert report.ok, [p.render() for p in report.problems]
    (note,) = report.notes
    assert note.code == "deprecated-id"
    assert "'old_fat' since protocol 1.1; read as obesity" in note.message
    assert note.location.path == str(case)


def test_allowing_advice_a_rule_would_not_withhold_is_reported(tmp_path: Path) -> None:
    data = _mini()
    data["rules"][0]["allows_advice"] = [{"advice": "safety", "reason": "always fine", "claims": ["rest-helps"]}]
    assert _codes(tmp_path, data) == ["allows-advice-no-effect"]


def test_allowing_and_contraindicating_the_same_item_is_reported(tmp_path: Path) -> None:
    data = _mini()
    data["guideline"]["policy"]["red_flags_withhold"] = ["self_care"]
    data["rules"][0]["allows_advice"] = [{"advice": "stretch", "reason": "first aid", "claims": ["rest-helps"]}]
    assert "allows-advice-contraindicated" in _codes(tmp_path, data)


def test_a_routine_pathway_without_safety_net_advice_is_reported(tmp_path: Path) -> None:
    data = _mini()
    data["pathways"][1]["advice"] = []
    assert _codes(tmp_path, data) == ["pathway-without-safety-net"]
