"""calfspec._internal.guideline: loading, integrity checks, lookups and positions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from calfspec._internal.expressions import expr_findings
from calfspec._internal.guideline import (
    GuidelineInvalid,
    data_dir,
    field_location,
    load_guideline,
    load_guideline_unchecked,
)
from calfspec._internal.models.guideline import AllOf, AnyOf, FindingIs, NotOf, RuleKind, SideIs, SideTest
from calfspec._internal.models.urgency import Urgency
from tests.conftest import GUIDELINE_DIR


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    dest = tmp_path / "guideline"
    shutil.copytree(GUIDELINE_DIR, dest)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bundled_guideline_loads_with_everything_indexed() -> None:
    index = load_guideline()
    g = index.guideline
    assert index.root == data_dir("guideline")
    assert len(index.claims) == len(g.claims) >= 100
    assert len(index.conditions) >= 15
    assert len(index.red_flags) >= 6
    assert all(r.kind is RuleKind.RED_FLAG for r in index.red_flags)
    assert index.pathways["emergency-call-now"].urgency is Urgency.EMERGENCY
    assert set(index.sources) == {"src-000", "src-001"}


def test_every_cause_in_either_source_is_a_condition() -> None:
    conditions = set(load_guideline().conditions)
    causes_000 = {
        "muscle-cramp", "muscle-strain", "contusion", "plantaris-rupture", "achilles-tendinopathy",
        "diabetic-peripheral-neuropathy", "deep-vein-thrombosis", "peripheral-arterial-disease",
        "compartment-syndrome", "popliteus-tendonitis", "nerve-entrapment", "popliteal-artery-entrapment",
    }  # fmt: skip
    causes_001 = {
        "muscle-strain", "calf-muscle-tear", "muscle-cramp", "achilles-tendinopathy",
        "deep-vein-thrombosis", "achilles-rupture", "peripheral-arterial-disease", "referred-pain",
    }  # fmt: skip
    assert causes_000 | causes_001 <= conditions


def test_every_item_has_a_position_in_its_file() -> None:
    index = load_guideline()
    loc = index.where("rules", "dvt-swollen-warm-red-calf")
    assert loc.path == str(GUIDELINE_DIR / "rules.yaml")
    assert loc.line is not None
    line = (GUIDELINE_DIR / "rules.yaml").read_text(encoding="utf-8").splitlines()[loc.line - 1]
    assert "id: dvt-swollen-warm-red-calf" in line


def test_field_location_points_at_a_citation_excerpt() -> None:
    index = load_guideline()
    claim = index.claims["dvt-red-flag-signs"]
    loc = field_location(index, "claims", claim.id, "citations", 1, "excerpt")
    assert loc.path is not None and loc.line is not None
    line = Path(loc.path).read_text(encoding="utf-8").splitlines()[loc.line - 1]
    assert "excerpt:" in line
    assert claim.citations[1].excerpt[:30] in line


def test_field_location_falls_back_to_the_item() -> None:
    index = load_guideline()
    missing = field_location(index, "claims", "dvt-red-flag-signs", "no-such-field")
    assert (missing.path, missing.line) == (
        index.where("claims", "dvt-red-flag-signs").path,
        index.where("claims", "dvt-red-flag-signs").line,
    )
    assert field_location(index, "claims", "dvt-red-flag-signs") == index.where("claims", "dvt-red-flag-signs")


def test_expr_findings_walks_every_operator_in_order() -> None:
    expr = AllOf(
        all=(
            FindingIs(finding="a"),
            AnyOf(any=(FindingIs(finding="b"), NotOf(not_=FindingIs(finding="a")))),
            SideIs(side=SideTest.ONE_SIDED),
        )
    )
    assert list(expr_findings(expr)) == ["a", "b", "a"]


def test_duplicate_id_across_files_names_both_places(copy: Path) -> None:
    _edit(copy / "claims" / "care.yaml", "  - id: dvt-treatment\n", "  - id: dvt-risk-factors\n")
    index, problems = load_guideline_unchecked(copy)
    assert index is None
    (problem,) = problems
    assert problem.code == "duplicate-id"
    # files load in sorted order: care.yaml first, so the second definition is reported
    assert problem.path == str(copy / "claims" / "red-flags.yaml")
    assert f"first defined at {copy / 'claims' / 'care.yaml'}:" in problem.message


def test_unknown_finding_in_a_rule_is_named_with_its_file(copy: Path) -> None:
    _edit(copy / "rules.yaml", "        - finding: fever\n", "        - finding: feverish\n")
    index, problems = load_guideline_unchecked(copy)
    assert index is not None  # the data loaded; the reference is what is wrong
    (problem,) = problems
    assert problem.code == "unknown-id"
    assert "'feverish'" in problem.message
    assert problem.path == str(copy / "rules.yaml")
    with pytest.raises(GuidelineInvalid):
        load_guideline(copy)


def test_unknown_claim_in_a_conflict_record_is_named(copy: Path) -> None:
    _edit(copy / "conflicts.yaml", "resolution_claims: [heat-only-after-acute-phase]", "resolution_claims: [heat-ok]")
    _, problems = load_guideline_unchecked(copy)
    assert [(p.code, p.path) for p in problems] == [("unknown-id", str(copy / "conflicts.yaml"))]


def test_guideline_section_must_appear_exactly_once(copy: Path) -> None:
    shutil.copy(copy / "guideline.yaml", copy / "second.yaml")
    _, problems = load_guideline_unchecked(copy)
    assert [p.code for p in problems] == ["guideline-meta"]


def test_empty_folder_is_reported(tmp_path: Path) -> None:
    _, problems = load_guideline_unchecked(tmp_path)
    assert [p.code for p in problems] == ["guideline-empty"]


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    _, problems = load_guideline_unchecked(tmp_path / "nope")
    assert [p.code for p in problems] == ["guideline-missing"]


def test_edited_guideline_is_reloaded_not_served_from_cache(copy: Path) -> None:
    first = load_guideline(copy)
    _edit(copy / "guideline.yaml", "  version: 0.1.0\n", "  version: 0.1.1\n")
    second = load_guideline(copy)
    assert first.meta.version == "0.1.0"
    assert second.meta.version == "0.1.1"
    assert load_guideline(copy) is second
