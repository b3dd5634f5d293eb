"""calfspec._internal.extract: the free-text extractor, measured on a labelled set of replies.

tests/fixtures/extraction/replies.yaml holds prose replies with the urgency a
careful reader takes from each (or null: it cannot be told). The extractor's
accuracy is printed and must reach ACCURACY_FLOOR; a miss must be a refusal to
read ("unextractable"), never a wrong urgency.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from calfspec._internal._yaml import load_yaml
from calfspec._internal.errors import ImplementationError
from calfspec._internal.extract import EXTRACTION_CODE, REFUSAL_CODE, extract_decision, read_urgency
from calfspec._internal.guideline import GuidelineIndex, load_guideline
from calfspec._internal.models.urgency import Urgency
from tests.conftest import FIXTURES_DIR

ACCURACY_FLOOR = 0.9
"""Share of labelled replies read exactly right (unextractable ones must be refused)."""


@cache
def _replies() -> list[dict[str, Any]]:
    data = load_yaml(FIXTURES_DIR / "extraction" / "replies.yaml").data
    return list(data["replies"])


@pytest.fixture(scope="module")
def guideline() -> GuidelineIndex:
    return load_guideline()


def _read(text: str, guideline: GuidelineIndex) -> tuple[Urgency | None, tuple[str, ...], str | None]:
    try:
        decision = extract_decision(text, guideline)
    except ImplementationError as exc:
        return None, (), exc.code
    return decision.urgency, decision.pathways, None


def test_the_labelled_set_is_large_and_varied() -> None:
    replies = _replies()
    assert len(replies) >= 40
    labels = {r["urgency"] for r in replies}
    assert labels == {"emergency", "urgent", "routine", "self_care", None}


def test_the_extractor_reaches_its_accuracy_floor_and_never_reads_a_wrong_urgency(
    guideline: GuidelineIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    right = 0
    wrong: list[str] = []
    missed: list[str] = []
    for item in _replies():
        urgency, pathways, code = _read(item["reply"], guideline)
        expected = Urgency(item["urgency"]) if item["urgency"] is not None else None
        if urgency == expected and ("pathway" not in item or item["pathway"] in pathways):
            right += 1
        elif urgency is None:
            assert code in (EXTRACTION_CODE, REFUSAL_CODE)
            missed.append(item["reply"])
        else:
            wrong.append(f"{item['reply']!r}: read {urgency.value} {pathways}, labelled {item['urgency']}")
    accuracy = right / len(_replies())
    with capsys.disabled():
        print(
            f"\nextractor accuracy: {right}/{len(_replies())} = {accuracy:.1%} (floor {ACCURACY_FLOOR:.0%}); "
            f"{len(missed)} unextractable miss(es), {len(wrong)} wrong"
        )
    assert not wrong, "a miss must be 'unextractable', never a wrong urgency:\n" + "\n".join(wrong)
    assert accuracy >= ACCURACY_FLOOR, missed


def test_the_safety_net_is_not_read_as_the_disposition() -> None:
    found = read_urgency("Rest it at home for a few days. If you get short of breath, call 999 immediately.")
    assert found.urgency is Urgency.SELF_CARE


def test_a_negated_cue_does_not_count() -> None:
    assert read_urgency("This is not an emergency. See your GP next week.").urgency is Urgency.ROUTINE


def test_two_strong_levels_are_unextractable_naming_both() -> None:
    with pytest.raises(ImplementationError) as info:
        read_urgency("Call 999 now. A routine check in a few weeks is also fine.")
    assert info.value.code == EXTRACTION_CODE
    assert "emergency" in info.value.message and "routine" in info.value.message


def test_a_refusal_is_an_error_of_its_own_kind() -> None:
    with pytest.raises(ImplementationError) as info:
        read_urgency("I'm unable to provide medical advice.")
    assert info.value.code == REFUSAL_CODE


def test_named_conditions_become_condition_ids(guideline: GuidelineIndex) -> None:
    name = next(iter(guideline.conditions.values())).name
    decision = extract_decision(f"Call 999 now, this could be {name.lower()}.", guideline)
    assert decision.urgency is Urgency.EMERGENCY
    assert next(iter(guideline.conditions)) in decision.conditions
