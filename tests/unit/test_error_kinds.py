"""error_kinds: every error code the adapters and the runner raise has a kind, and the split adds up."""

from __future__ import annotations

import re

from calfspec._internal.error_kinds import ErrorKind, count_error_kinds, error_kind
from calfspec._internal.models.results import CaseResult, Verdict
from calfspec._internal.models.triage import TriageRequest
from calfspec._internal.models.urgency import Urgency
from tests.conftest import ROOT


def test_the_codes_the_issue_names_have_their_own_kinds() -> None:
    assert error_kind("invalid-json") is ErrorKind.UNPARSEABLE
    assert error_kind("invalid-completion") is ErrorKind.UNPARSEABLE
    assert error_kind("schema-invalid-decision") is ErrorKind.SCHEMA
    assert error_kind("model-refusal") is ErrorKind.REFUSAL
    assert error_kind("unknown-guideline-id") is ErrorKind.UNKNOWN_ID
    assert error_kind("implementation-timeout") is ErrorKind.TIMEOUT
    assert error_kind("extraction") is ErrorKind.EXTRACTION
    assert error_kind(None) is ErrorKind.OTHER and error_kind("made-up") is ErrorKind.OTHER


def test_every_error_code_raised_for_a_case_has_a_kind_other_than_other() -> None:
    # The ImplementationError codes in the adapters, the session and the runner: a new code must get a kind.
    sources = [
        ROOT / "src" / "calfspec" / "_internal" / p for p in ("session.py", "runner.py", "judge.py", "extract.py")
    ]
    sources += sorted((ROOT / "src" / "calfspec" / "_internal" / "adapters").glob("*.py"))
    codes: set[str] = set()
    for path in sources:
        if not path.exists():
            continue
        for call in re.findall(r"ImplementationError\((.*?)\)\s*(?:from|$)", path.read_text(), flags=re.S | re.M):
            codes.update(re.findall(r'code="([a-z-]+)"', call))
    codes.discard("implementation-gave-up")  # a case never sent: "not run", not an error of the implementation
    codes.discard("cache-unwritable")  # calfspec's own response cache failed: "other", not the model's doing
    assert codes, "found the codes"
    assert {c for c in codes if error_kind(c) is ErrorKind.OTHER} == set()


def _case(code: str | None, perturbation: str | None = None) -> CaseResult:
    return CaseResult(
        scenario_id="s",
        verdict=Verdict.ERROR if code else Verdict.PASS,
        error_code=code,
        expected_min=Urgency.URGENT,
        expected_max=Urgency.URGENT,
        request=TriageRequest(),
        perturbation=perturbation,
    )


def test_the_split_counts_unperturbed_errors_in_kind_order() -> None:
    cases = [_case("extraction"), _case("invalid-json"), _case("extraction"), _case(None), _case("timeout", "informal")]
    assert count_error_kinds(cases) == {"unparseable": 1, "extraction": 2}
    assert list(count_error_kinds(cases)) == ["unparseable", "extraction"]
