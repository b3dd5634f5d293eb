"""Hypothesis strategies for calf-pain presentations (public: use them in your own tests).

Three strategies build :class:`~calfspec._internal.models.triage.TriageRequest` objects
that follow the guideline's vocabulary and the request schema:

* :func:`requests` draws any presentation: demographics (age, sex, pregnancy
  consistent with sex, side, onset, duration, trigger), a mix of present,
  absent and unknown findings, and optionally a patient-style narrative;
* :func:`satisfying` draws presentations on which a rule's condition (or any
  :data:`~calfspec._internal.models.guideline.Expr`) is TRUE in three-valued logic;
* :func:`falsifying` draws presentations on which it is FALSE.

:func:`patient_answers` draws what a simulated patient answers to a follow-up
question (a finding, ``side`` or ``pregnant``), consistent with the presentation.

``satisfying`` and ``falsifying`` do not filter. They compute, from the
expression tree, every *minimal witness* of the wanted truth value (the fewest
facts that force it, see :func:`witnesses`), draw one, then add noise on the
facts the witness leaves free. Kleene logic is monotone in information: a
witness that forces TRUE with everything else unknown keeps the condition TRUE
whatever the other facts are, so the noise can never break it.

Everything shrinks toward the simplest clinical picture: the first (smallest)
witness, unknown findings left out, no demographics, no narrative. A failing
example therefore shrinks to a presentation with no more findings present than
the rule needs.

Example::

    from hypothesis import given
    from calfspec import load_guideline, reference_triage
    from calfspec.strategies import satisfying

    guideline = load_guideline()
    rule = guideline.rules["dvt-swollen-warm-red-calf"]

    @given(satisfying(rule, guideline))
    def test_swollen_calf_is_never_self_care(request):
        assert reference_triage(request, guideline).urgency >= rule.urgency
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from ._internal.errors import InputError
from ._internal.expressions import MAX_WITNESSES, SIDE_ORDER, Witness, witnesses
from ._internal.guideline import GuidelineIndex, load_guideline
from ._internal.models.guideline import Expr, Rule
from ._internal.models.triage import FindingState, Onset, Presentation, Sex, Side, TriageRequest
from ._internal.words import patient_narrative

__all__ = [
    "DISTRACTORS",
    "MAX_WITNESSES",
    "Witness",
    "falsifying",
    "narrative_for",
    "patient_answers",
    "requests",
    "satisfying",
    "swap_laterality",
    "witnesses",
]

DISTRACTORS: tuple[str, ...] = (
    "I work in an office and cycle there most days.",
    "We have a dog who needs walking twice a day.",
    "I was meant to go to a wedding this weekend.",
    "My phone battery is nearly flat, sorry if I stop replying.",
    "I live with my partner and our two cats.",
    "It has been raining here all week.",
    "I am writing this from the kitchen table.",
    "My neighbour suggested I ask about it.",
)
"""Sentences with no clinical content, for the *irrelevant details* relation.

None of them mentions a side, a symptom, a risk factor or a time: adding them
to a narrative must not change any decision.
"""

_TRIGGERS = (
    "gardening",
    "walking the dog",
    "climbing stairs",
    "getting out of bed",
    "a day of housework",
    "a long day at a desk",
)
"""Neutral free-text triggers: none of them implies a vocabulary finding."""


def _guideline(guideline: GuidelineIndex | None) -> GuidelineIndex:
    return guideline if guideline is not None else load_guideline()


def narrative_for(presentation: Presentation, guideline: GuidelineIndex | None = None) -> str:
    """A plain patient-style narrative that says exactly what the structured presentation says.

    Present findings are named, absent ones denied (summarised when there are
    more than a dozen), unknown ones called uncertain (findings left out are
    not mentioned). Laterality is worded as
    ``left calf`` / ``right calf`` / ``both calves``, so :func:`swap_laterality`
    can mirror it.
    """
    return patient_narrative(presentation, _guideline(guideline))


_LATERAL = re.compile(r"\b(left|right)\b", re.IGNORECASE)


def swap_laterality(request: TriageRequest) -> TriageRequest:
    """The mirror image: left and right swapped in ``side`` and in the narrative's wording."""
    side = {Side.LEFT: Side.RIGHT, Side.RIGHT: Side.LEFT}.get(request.side, request.side)

    def mirror(match: re.Match[str]) -> str:
        word = match.group(0)
        other = "right" if word.lower() == "left" else "left"
        if word.isupper():
            return other.upper()
        return other.capitalize() if word[0].isupper() else other

    narrative = _LATERAL.sub(mirror, request.narrative) if request.narrative else request.narrative
    return request.model_copy(update={"side": side, "narrative": narrative})


# Values in the order hypothesis shrinks toward (first = simplest). Strategies are built
# once per plan, not per example: building and validating a strategy costs more than
# drawing from it.
_BACKGROUNDS = (FindingState.UNKNOWN, FindingState.ABSENT)
_NOISE_STATES = (FindingState.ABSENT, FindingState.UNKNOWN, FindingState.PRESENT)
_SEX = st.sampled_from((Sex.UNKNOWN, Sex.FEMALE, Sex.MALE, Sex.OTHER))
_SEX_IF_PREGNANT = st.sampled_from((Sex.UNKNOWN, Sex.FEMALE, Sex.OTHER))
_UNSURE_NO_YES = st.sampled_from((FindingState.UNKNOWN, FindingState.ABSENT, FindingState.PRESENT))
_UNSURE_NO = st.sampled_from((FindingState.UNKNOWN, FindingState.ABSENT))
_SIDE_ANSWER = st.sampled_from((Side.LEFT, Side.RIGHT, Side.BOTH))
_PREGNANCY_AGES = (16, 50)
"""Ages (inclusive) at which a drawn presentation, or a simulated patient, may be pregnant."""
_AGE = st.none() | st.integers(16, 100)
_AGE_IF_PREGNANT = st.none() | st.integers(*_PREGNANCY_AGES)
_ONSET = st.sampled_from((Onset.UNKNOWN, Onset.SUDDEN, Onset.GRADUAL))
_DURATION = st.none() | st.integers(0, 365).map(float)
_TRIGGER = st.none() | st.sampled_from(_TRIGGERS)
_BACKGROUND = st.sampled_from(_BACKGROUNDS)
_NARRATIVE = st.booleans()


@dataclass(frozen=True)
class _Plan:
    """One witness with the strategies for what it leaves free."""

    witness: Witness
    side: st.SearchStrategy[Side]
    noise: st.SearchStrategy[dict[str, FindingState]] | None


def _plans(
    guideline: GuidelineIndex, options: Sequence[Witness], sides: tuple[Side, ...], max_noise: int
) -> tuple[_Plan, ...]:
    plans = []
    for witness in options:
        allowed = sorted((s for s in sides if witness.sides is None or s in witness.sides), key=SIDE_ORDER.__getitem__)
        fixed = witness.finding_map
        free = [fid for fid in guideline.findings if fid not in fixed]
        noise = (
            st.dictionaries(st.sampled_from(free), st.sampled_from(_NOISE_STATES), max_size=max_noise)
            if free and max_noise
            else None
        )
        plans.append(_Plan(witness, st.sampled_from(allowed), noise))
    return tuple(plans)


@st.composite
def _presentation(
    draw: st.DrawFn,
    guideline: GuidelineIndex,
    plans: tuple[_Plan, ...],
    pick: st.SearchStrategy[_Plan] | None,
    narrative: bool | None,
) -> TriageRequest:
    plan = plans[0] if pick is None else draw(pick)
    witness = plan.witness
    # Pregnancy first when the witness fixes it, so sex can be drawn to match.
    if witness.pregnant is FindingState.PRESENT:
        sex = draw(_SEX_IF_PREGNANT)
        pregnant = FindingState.PRESENT
    else:
        sex = draw(_SEX)
        if witness.pregnant is not None:
            pregnant = witness.pregnant
        else:
            pregnant = draw(_UNSURE_NO if sex is Sex.MALE else _UNSURE_NO_YES)
    age = draw(_AGE_IF_PREGNANT if pregnant is FindingState.PRESENT else _AGE)
    side = draw(plan.side)
    onset = draw(_ONSET)
    duration = draw(_DURATION)
    trigger = draw(_TRIGGER)

    # A background state (unknown: left out; absent: "asked about everything") plus a
    # few explicit exceptions gives both sparse and fully-worked-up presentations, and
    # shrinks to "nothing known" with no exceptions.
    background = draw(_BACKGROUND)
    noise: Mapping[str, FindingState] = draw(plan.noise) if plan.noise is not None else {}
    fixed = witness.finding_map
    findings: dict[str, FindingState] = {}
    for fid in guideline.findings:
        if fid in fixed:
            findings[fid] = fixed[fid]
        elif fid in noise:
            findings[fid] = noise[fid]
        elif background is FindingState.ABSENT:
            findings[fid] = FindingState.ABSENT
    request = TriageRequest(
        age=age,
        sex=sex,
        pregnant=pregnant,
        side=side,
        onset=onset,
        duration_days=duration,
        trigger=trigger,
        findings=findings,
    )
    if draw(_NARRATIVE) if narrative is None else narrative:
        request = request.model_copy(update={"narrative": narrative_for(request, guideline)})
    return request


def _strategy(
    guideline: GuidelineIndex,
    options: Sequence[Witness],
    sides: tuple[Side, ...],
    narrative: bool | None,
    max_noise: int,
) -> st.SearchStrategy[TriageRequest]:
    plans = _plans(guideline, options, sides, max_noise)
    pick = st.sampled_from(plans) if len(plans) > 1 else None
    return _presentation(guideline, plans, pick, narrative)


def patient_answers(question: str, presentation: Presentation) -> st.SearchStrategy[FindingState | Side]:
    """What a patient consistent with ``presentation`` may answer to a follow-up question.

    ``question`` is what a decision's ``questions`` names: a finding id, ``side``
    or ``pregnant``. A finding is answered "not sure" (``unknown``), no or yes,
    shrinking toward "not sure". ``side`` is answered left, right or both: a
    patient knows which calf hurts, and a scenario cannot reveal an unknown side.
    ``pregnant`` is answered like a finding, except that "yes" is never drawn
    for a man or for an age outside the range :func:`requests` draws pregnant
    patients in.
    """
    if question == "side":
        return _SIDE_ANSWER
    if question == "pregnant":
        low, high = _PREGNANCY_AGES
        age = presentation.age
        if presentation.sex is Sex.MALE or (age is not None and not low <= age <= high):
            return _UNSURE_NO
        return _UNSURE_NO_YES
    return _UNSURE_NO_YES


def _sides(side: Side | Iterable[Side] | None) -> tuple[Side, ...]:
    if side is None:
        return (Side.UNKNOWN, Side.LEFT, Side.RIGHT, Side.BOTH)
    chosen = (side,) if isinstance(side, Side) else tuple(side)
    if not chosen:
        raise InputError("no side allowed", code="bad-strategy-argument", hint="pass at least one Side")
    return chosen


def requests(
    guideline: GuidelineIndex | None = None,
    *,
    side: Side | Iterable[Side] | None = None,
    narrative: bool | None = None,
    max_noise: int = 8,
) -> st.SearchStrategy[TriageRequest]:
    """Any schema-valid request over the guideline's vocabulary.

    ``side`` restricts the side (one value or several); ``narrative`` forces a
    narrative on (``True``) or off (``False``), by default it is drawn;
    ``max_noise`` bounds the findings set explicitly against the background
    (every finding unknown, or every finding absent).
    """
    index = _guideline(guideline)
    return _strategy(index, (Witness(),), _sides(side), narrative, max_noise)


def _toward(
    target: Expr | Rule,
    want: bool,
    guideline: GuidelineIndex | None,
    side: Side | Iterable[Side] | None,
    narrative: bool | None,
    max_noise: int,
) -> st.SearchStrategy[TriageRequest]:
    index = _guideline(guideline)
    allowed = _sides(side)
    options = [w for w in witnesses(target, want) if w.sides is None or w.sides & set(allowed)]
    if not options:
        name = target.id if isinstance(target, Rule) else "the condition"
        raise InputError(
            f"{name} can never be {'true' if want else 'false'}"
            + (f" with side in {[s.value for s in allowed]}" if side is not None else ""),
            code="unsatisfiable-condition",
            hint="check the rule's `when:` for contradictions (a finding required both present and absent)",
        )
    return _strategy(index, options, allowed, narrative, max_noise)


def satisfying(
    target: Expr | Rule,
    guideline: GuidelineIndex | None = None,
    *,
    side: Side | Iterable[Side] | None = None,
    narrative: bool | None = None,
    max_noise: int = 8,
) -> st.SearchStrategy[TriageRequest]:
    """Requests on which ``target`` (a rule, or a condition) is TRUE in three-valued logic.

    Raises :class:`~calfspec._internal.errors.InputError` (code ``unsatisfiable-condition``)
    when no presentation can make it true. Other arguments as for :func:`requests`.
    """
    return _toward(target, True, guideline, side, narrative, max_noise)


def falsifying(
    target: Expr | Rule,
    guideline: GuidelineIndex | None = None,
    *,
    side: Side | Iterable[Side] | None = None,
    narrative: bool | None = None,
    max_noise: int = 8,
) -> st.SearchStrategy[TriageRequest]:
    """Requests on which ``target`` is FALSE: excluded, not merely unknown.

    Raises :class:`~calfspec._internal.errors.InputError` (code ``unsatisfiable-condition``)
    when no presentation can make it false. Other arguments as for :func:`requests`.
    """
    return _toward(target, False, guideline, side, narrative, max_noise)
