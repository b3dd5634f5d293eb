"""No perturbation changes a fact: every bundled scenario x every family x any seed.

Checked two ways: the module's own check (:func:`preservation_problems`) and an
independent count here of every vocabulary label and synonym phrase and of
negation cues, plus the structured presentation compared field by field.
"""

from __future__ import annotations

import re
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from calfspec._internal.guideline import GuidelineIndex, load_guideline
from calfspec._internal.models.perturbation import Battery, FamilyKind
from calfspec._internal.perturb import Lexicon, load_battery, perturb_scenario, preservation_problems
from calfspec._internal.runner import build_request
from calfspec._internal.scenarios import LoadedScenario, load_scenarios


@cache
def _data() -> tuple[GuidelineIndex, Battery, Lexicon, tuple[LoadedScenario, ...]]:
    guideline = load_guideline()
    battery, lexicon = load_battery(guideline)
    return guideline, battery, lexicon, tuple(load_scenarios(None, guideline))


_PRONOUNS = re.compile(r"\b(i|me|my|mine|she|her|hers|he|him|his|they|them|their|theirs)\b")
_NEGATION = re.compile(
    r"\b(no|not|never|none|nothing|nor|without|cannot"
    r"|(?:do|does|did|ca|could|wo|would|is|are|was|were|has|have|had|should|ai|must|need)nt)\b"
)
_WORDS = re.compile(r"[a-z0-9]+")


def _flat(text: str) -> str:
    """Lower case, apostrophes dropped, pronouns folded, one space between words."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    text = _PRONOUNS.sub("_p_", text)
    return " " + " ".join(_WORDS.findall(text.replace("_p_", "pron"))) + " "


def _phrases(guideline: GuidelineIndex) -> list[str]:
    texts = {t for f in guideline.findings.values() for t in (f.label, *f.synonyms)}
    return sorted({_flat(t) for t in texts})


def _counts(text: str, phrases: list[str], by_sentence: bool) -> tuple[list[int], int]:
    parts = re.split(r"(?<=[.!?])\s+", text) if by_sentence else [text]
    flats = [_flat(p) for p in parts]
    counts = [sum(f.count(p) for f in flats) for p in phrases]
    # Negation cues: the forms ending in n't read as "...nt" once apostrophes go, so count
    # them by a pattern of their own and not by the battery's list.
    negations = sum(len(_NEGATION.findall(f.replace("pron", ""))) for f in flats)
    return counts, negations


@settings(max_examples=150, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_no_perturbation_changes_a_structured_finding_or_a_finding_word(data: st.DataObject, seed: int) -> None:
    guideline, battery, lexicon, scenarios = _data()
    loaded = data.draw(st.sampled_from(scenarios), label="scenario")
    family = data.draw(st.sampled_from(battery.families), label="family")
    variant = perturb_scenario(loaded, family, lexicon, guideline, seed=seed)
    if variant is None:
        return
    original, perturbed = loaded.scenario, variant.scenario
    # The facts: everything but the narrative is the very same object state.
    assert perturbed.model_dump(exclude={"narrative"}) == original.model_dump(exclude={"narrative"})
    before, after = build_request(loaded), build_request(variant)
    assert after.model_dump(exclude={"narrative", "case_id"}) == before.model_dump(exclude={"narrative", "case_id"})
    assert after.findings == before.findings
    # The words: the module's check, and an independent count of vocabulary phrases and negations.
    reorders = family.kind is FamilyKind.RED_FLAG_LAST
    assert preservation_problems(original.narrative, perturbed.narrative, lexicon, reorders=reorders) == []
    phrases = _phrases(guideline)
    assert _counts(perturbed.narrative, phrases, reorders) == _counts(original.narrative, phrases, reorders)


def test_every_family_applies_to_most_bundled_scenarios() -> None:
    guideline, battery, lexicon, scenarios = _data()
    for family in battery.families:
        applied = sum(perturb_scenario(s, family, lexicon, guideline) is not None for s in scenarios)
        floor = 0.25 if family.kind is FamilyKind.RED_FLAG_LAST else 0.8
        assert applied >= floor * len(scenarios), (family.id, applied, len(scenarios))
