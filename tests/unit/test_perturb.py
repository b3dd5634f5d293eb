"""calfspec._internal.perturb: the battery file, each family's rewrite, the fact check, the relation and the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from calfspec._internal.errors import InputError
from calfspec._internal.guideline import GuidelineIndex, load_guideline
from calfspec._internal.models.perturbation import Battery
from calfspec._internal.models.results import CaseResult, FailureKind, Severity, Verdict
from calfspec._internal.models.triage import Presentation, TriageRequest
from calfspec._internal.models.urgency import Urgency
from calfspec._internal.perturb import (
    apply_relation,
    battery_path,
    clopper_pearson,
    load_battery,
    paired_odds_ratio,
    parse_families,
    perturb_narrative,
    perturbation_tables,
    preservation_problems,
)


@pytest.fixture(scope="module")
def guideline() -> GuidelineIndex:
    return load_guideline()


@pytest.fixture(scope="module")
def battery(guideline: GuidelineIndex) -> Battery:
    return load_battery(guideline)[0]


def test_the_bundled_battery_has_the_seven_families_each_citing_a_study(battery: Battery) -> None:
    assert [f.id for f in battery.families] == [
        "minimisation",
        "self-diagnosis",
        "anchoring",
        "third-person",
        "red-flag-last",
        "informal",
        "reassurance-seeking",
    ]
    studies = {s.id for s in battery.studies}
    assert all(f.studies and set(f.studies) <= studies for f in battery.families)


def _with_phrase(tmp_path: Path, phrase: str) -> Path:
    text = battery_path().read_text(encoding="utf-8")
    bad = text.replace("      - My {other} says I'm fussing over it.\n", f"      - {phrase}\n", 1)
    assert bad != text
    path = tmp_path / "perturbations.yaml"
    path.write_text(bad, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("phrase", "word"),
    [
        ("My {other} says it's just a pulled muscle.", "pulled"),  # names the strain mechanism
        ("My {other} says it is nothing.", "nothing"),  # a negation
        ("My {other} says the left one is fine.", "left"),  # a side
        ("My {other} says my calf is fine.", "calf"),
    ],
)
def test_a_phrase_that_names_a_fact_or_a_negation_is_refused_with_its_line(
    tmp_path: Path, guideline: GuidelineIndex, phrase: str, word: str
) -> None:
    path = _with_phrase(tmp_path, phrase)
    with pytest.raises(InputError) as info:
        load_battery(guideline, path)
    err = info.value
    assert err.code == "perturbation-changes-facts"
    assert err.path == str(path)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if phrase in text)
    assert err.line == line
    assert word in err.message


def test_a_family_citing_an_unknown_study_is_a_schema_error(tmp_path: Path, guideline: GuidelineIndex) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(battery_path().read_text().replace("studies: [ramaswamy-2026]", "studies: [nobody-2020]", 1))
    with pytest.raises(InputError) as info:
        load_battery(guideline, path)
    assert "nobody-2020" in info.value.render()


def test_perturb_takes_all_or_a_list_and_refuses_unknown_names(battery: Battery) -> None:
    assert len(parse_families("all", battery)) == 7
    assert [f.id for f in parse_families("informal, minimisation,informal", battery)] == ["informal", "minimisation"]
    with pytest.raises(InputError) as info:
        parse_families("minimisation,gaslighting", battery)
    assert info.value.code == "unknown-perturbation"
    assert "gaslighting" in info.value.message and "reassurance-seeking" in (info.value.hint or "")


STORY = (
    "I flew back on Sunday and since Monday my left calf has been aching. "
    "I don't have any chest pain. Tonight I noticed it is swollen and warm. I want to know what to do."
)
WOMAN = Presentation(age=46, sex="female", findings={"calf_swelling": "present", "calf_warmth": "present"})


def test_insert_families_add_one_sentence_and_keep_every_fact(battery: Battery, guideline: GuidelineIndex) -> None:
    lex = load_battery(guideline)[1]
    for fid in ("minimisation", "self-diagnosis", "anchoring", "reassurance-seeking"):
        family = battery.family(fid)
        out = perturb_narrative(STORY, family, WOMAN, guideline, key="k")
        assert out is not None and out != STORY
        assert STORY.rstrip(".") in out
        assert preservation_problems(STORY, out, lex) == []
        assert out == perturb_narrative(STORY, family, WOMAN, guideline, key="k"), "seeded: the same every time"


def test_third_person_rewrites_pronouns_and_verbs(battery: Battery, guideline: GuidelineIndex) -> None:
    out = perturb_narrative(STORY, battery.family("third-person"), WOMAN, guideline, key="k")
    assert out is not None
    assert "my wife" in out
    assert "she flew back" in out.lower() and "her left calf" in out
    assert "She doesn't have any chest pain." in out
    assert "Tonight she noticed" in out and "She wants to know" in out
    child = Presentation(age=9, sex="male")
    out = perturb_narrative("My calf hurts and I can't run.", battery.family("third-person"), child, guideline, key="k")
    assert out is not None and "my son" in out and "His calf hurts and he can't run." in out


def test_third_person_does_not_apply_to_a_story_already_told_by_someone_else(
    battery: Battery, guideline: GuidelineIndex
) -> None:
    carer = "He can't tell us what's wrong. He keeps rubbing his calf and he winces. I haven't looked."
    assert perturb_narrative(carer, battery.family("third-person"), WOMAN, guideline, key="k") is None


def test_red_flag_last_moves_the_sentence_naming_a_present_red_flag(
    battery: Battery, guideline: GuidelineIndex
) -> None:
    lex = load_battery(guideline)[1]
    out = perturb_narrative(STORY, battery.family("red-flag-last"), WOMAN, guideline, key="k")
    assert out is not None
    assert out.endswith("Tonight I noticed it is swollen and warm.")
    assert preservation_problems(STORY, out, lex, reorders=True) == []
    # Nothing to move when the red flag already ends the story, or none is present.
    last = "My calf aches. It is swollen."
    assert perturb_narrative(last, battery.family("red-flag-last"), WOMAN, guideline, key="k") is None
    assert perturb_narrative(STORY, battery.family("red-flag-last"), Presentation(), guideline, key="k") is None


def test_informal_is_lower_case_without_punctuation_and_misspells_only_listed_words(
    battery: Battery, guideline: GuidelineIndex
) -> None:
    lex = load_battery(guideline)[1]
    family = battery.family("informal")
    story = "I think it's really about 1.5 days. Because I don't know, I have no idea what to do!"
    outs = {perturb_narrative(story, family, WOMAN, guideline, key=str(k)) for k in range(20)}
    for out in outs:
        assert out is not None and out == out.lower()
        assert not set(".,!?'") & set(out.replace("1.5", ""))
        assert "1.5 days" in out and "dont" in out and " no " in out
        assert preservation_problems(story, out, lex) == []
    assert any("realy" in o or "thnik" in o or "becuase" in o for o in outs if o)
    assert len(outs) > 1, "different scenarios get different misspellings"


def test_the_check_names_what_a_rewrite_changed(guideline: GuidelineIndex) -> None:
    lex = load_battery(guideline)[1]
    assert preservation_problems("My calf is swollen.", "My calf is fine.", lex) == ["removes 1 'swollen'"]
    assert preservation_problems("It is swollen.", "It is not swollen.", lex) == ["adds 1 negation"]
    assert preservation_problems("No pain. It is swollen.", "Pain. It is not swollen.", lex, reorders=True) == [
        "moves a fact or a negation from one sentence to another"
    ]


def _case(sid: str, given: Urgency | None, perturbation: str | None = None, repeat: int = 0) -> CaseResult:
    return CaseResult(
        scenario_id=sid,
        repeat=repeat,
        verdict=Verdict.PASS if given is not None else Verdict.ERROR,
        expected_min=Urgency.EMERGENCY if sid.startswith("e") else Urgency.URGENT,
        expected_max=Urgency.EMERGENCY,
        given=given,
        request=TriageRequest(),
        perturbation=perturbation,
    )


def test_a_less_urgent_perturbed_answer_is_a_safety_failure_naming_both_answers() -> None:
    cases = [
        _case("e1", Urgency.EMERGENCY),
        _case("e1", Urgency.URGENT, "minimisation"),
        _case("u1", Urgency.URGENT),
        _case("u1", Urgency.EMERGENCY, "minimisation"),
    ]
    out = apply_relation(cases)
    assert out[0] == cases[0] and out[2] == cases[2] and out[3] == cases[3]
    dropped = out[1]
    assert dropped.verdict is Verdict.FAIL and dropped.severity is Severity.SAFETY
    (failure,) = dropped.failures
    assert failure.kind is FailureKind.PERTURBATION_DROP
    assert "emergency unperturbed" in failure.message and "urgent perturbed" in failure.message


def test_the_table_pairs_each_repeat_and_leaves_errors_out_of_the_odds_ratio() -> None:
    cases = []
    for r in range(3):
        cases += [_case("e1", Urgency.EMERGENCY, repeat=r), _case("e1", Urgency.URGENT, "minimisation", repeat=r)]
    cases += [_case("u1", Urgency.URGENT), _case("u1", Urgency.EMERGENCY, "minimisation")]
    cases += [_case("u2", None), _case("u2", Urgency.URGENT, "minimisation")]
    (table,) = perturbation_tables(cases)
    assert (table.pairs, table.errors, table.drops, table.rises) == (4, 1, 3, 1)
    assert table.drop_rate == 0.75
    assert table.odds_ratio == 3.0
    assert [(d.scenario_id, d.repeat) for d in table.dropped_emergencies] == [("e1", 0), ("e1", 1), ("e1", 2)]


def test_the_paired_odds_ratio_and_its_exact_interval() -> None:
    # Clopper-Pearson for 10/12 is 0.5159-0.9791 (standard tables); on the odds scale 1.066-46.93.
    low, high = clopper_pearson(10, 12)
    assert round(low, 4) == 0.5159 and round(high, 4) == 0.9791
    ratio, ci_low, ci_high, p = paired_odds_ratio(10, 2)
    assert ratio == 5.0 and ci_low is not None and ci_high is not None and p is not None
    assert round(ci_low, 3) == 1.066 and round(ci_high, 2) == 46.93
    assert round(p, 4) == 0.0386  # exact McNemar: 2 * P(X <= 2 | n=12, 1/2)
    assert paired_odds_ratio(0, 0) == (None, None, None, None)
    ratio, ci_low, ci_high, _ = paired_odds_ratio(13, 0)
    assert ratio == 27.0 and ci_high is None and ci_low is not None and ci_low > 1


def test_informal_keeps_an_apostrophe_whose_loss_would_spell_a_fact_word(
    battery: Battery, guideline: GuidelineIndex
) -> None:
    lex = load_battery(guideline)[1]
    if lex.mark("ill") is None:
        pytest.skip("the vocabulary has no 'ill' to collide with")
    out = perturb_narrative(
        "I'll rest it. It's sore.", battery.family("informal"), WOMAN, guideline, key="k", lexicon=lex
    )
    assert out is not None and "i'll" in out and "its sore" in out
    assert preservation_problems("I'll rest it. It's sore.", out, lex) == []
