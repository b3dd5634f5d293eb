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

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from ._internal.errors import InputError
from ._internal.guideline import GuidelineIndex, load_guideline
from ._internal.models.guideline import AllOf, AnyOf, Expr, FindingIs, NotOf, PregnantIs, Rule, SideIs, SideTest
from ._internal.models.triage import FindingState, Onset, Presentation, Sex, Side, TriageRequest

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

MAX_WITNESSES = 4096
"""Cap on the witnesses enumerated for one condition.

A condition's minimal witnesses are its disjunctive normal form, which can grow
exponentially with nested ``all`` of ``any``. Guideline rules have a handful;
past the cap the first ones found are kept, which are still valid witnesses.
"""

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

_ALL_SIDES = (Side.LEFT, Side.RIGHT, Side.BOTH)
_SIDE_TRUE: dict[SideTest, frozenset[Side]] = {
    SideTest.ONE_SIDED: frozenset({Side.LEFT, Side.RIGHT}),
    SideTest.BILATERAL: frozenset({Side.BOTH}),
    SideTest.LEFT: frozenset({Side.LEFT, Side.BOTH}),
    SideTest.RIGHT: frozenset({Side.RIGHT, Side.BOTH}),
}
_SIDE_ORDER = {Side.UNKNOWN: 0, Side.LEFT: 1, Side.RIGHT: 2, Side.BOTH: 3}

_TRIGGERS = (
    "gardening",
    "walking the dog",
    "climbing stairs",
    "getting out of bed",
    "a day of housework",
    "a long day at a desk",
)
"""Neutral free-text triggers: none of them implies a vocabulary finding."""


@dataclass(frozen=True)
class Witness:
    """A partial presentation that forces a condition to one truth value.

    ``findings`` fixes some findings to present or absent; ``sides`` restricts
    the side to a set (``None``: any side); ``pregnant`` fixes pregnancy
    (``None``: free). Anything not mentioned is free, and may be unknown.
    """

    findings: tuple[tuple[str, FindingState], ...] = ()
    sides: frozenset[Side] | None = None
    pregnant: FindingState | None = None

    @property
    def finding_map(self) -> dict[str, FindingState]:
        """The fixed findings as a dict."""
        return dict(self.findings)

    @property
    def present(self) -> tuple[str, ...]:
        """Finding ids the witness needs present."""
        return tuple(f for f, s in self.findings if s is FindingState.PRESENT)

    def merge(self, other: Witness) -> Witness | None:
        """Both witnesses at once, or ``None`` when they contradict each other."""
        fixed = self.finding_map
        for fid, state in other.findings:
            if fixed.setdefault(fid, state) is not state:
                return None
        if self.sides is None:
            sides = other.sides
        elif other.sides is None:
            sides = self.sides
        else:
            sides = self.sides & other.sides
            if not sides:
                return None
        if self.pregnant is not None and other.pregnant is not None and self.pregnant is not other.pregnant:
            return None
        return Witness(tuple(sorted(fixed.items())), sides, self.pregnant or other.pregnant)

    def implied_by(self, other: Witness) -> bool:
        """Whether every presentation matching ``other`` also matches this witness."""
        mine = self.finding_map
        theirs = other.finding_map
        if any(theirs.get(fid) is not state for fid, state in mine.items()):
            return False
        if self.sides is not None and (other.sides is None or not other.sides <= self.sides):
            return False
        return self.pregnant is None or self.pregnant is other.pregnant

    def sort_key(self) -> tuple[int, bool, int, int, tuple[tuple[str, str], ...], tuple[int, ...], str]:
        """Simplest first: fewest findings present, then fewest facts fixed; then a stable order.

        The key never depends on set iteration order (string hashes vary between
        processes), so a seed reproduces the same examples in every process.
        """
        return (
            len(self.present),
            self.pregnant is FindingState.PRESENT,
            len(self.findings) + (self.pregnant is not None),
            0 if self.sides is None else 4 - len(self.sides),
            tuple((fid, state.value) for fid, state in self.findings),
            tuple(sorted(_SIDE_ORDER[s] for s in self.sides or ())),
            self.pregnant.value if self.pregnant is not None else "",
        )


def _product(parts: Sequence[list[Witness]]) -> list[Witness]:
    out = [Witness()]
    for options in parts:
        merged: list[Witness] = []
        for left, right in itertools.product(out, options):
            both = left.merge(right)
            if both is not None:
                merged.append(both)
            if len(merged) >= MAX_WITNESSES:
                break
        out = merged
        if not out:
            break
    return out


def _dnf(expr: Expr, want: bool) -> list[Witness]:
    if isinstance(expr, FindingIs):
        return [Witness(((expr.finding, FindingState.PRESENT if want else FindingState.ABSENT),))]
    if isinstance(expr, PregnantIs):
        return [Witness(pregnant=FindingState.PRESENT if expr.pregnant is want else FindingState.ABSENT)]
    if isinstance(expr, SideIs):
        true_sides = _SIDE_TRUE[expr.side]
        return [Witness(sides=true_sides if want else frozenset(_ALL_SIDES) - true_sides)]
    if isinstance(expr, NotOf):
        return _dnf(expr.not_, not want)
    if isinstance(expr, AllOf | AnyOf):
        parts = expr.all if isinstance(expr, AllOf) else expr.any
        # all-TRUE and any-FALSE need every part; all-FALSE and any-TRUE need one.
        if isinstance(expr, AllOf) is want:
            return _product([_dnf(p, want) for p in parts])
        return [w for p in parts for w in _dnf(p, want)][:MAX_WITNESSES]
    raise TypeError(f"unknown expression node {type(expr).__name__}")  # pragma: no cover


def witnesses(expr: Expr | Rule, want: bool = True) -> tuple[Witness, ...]:
    """Every minimal witness that makes ``expr`` TRUE (``want=True``) or FALSE, simplest first.

    A witness is minimal: no other witness in the result is implied by it. The
    result is empty when the condition can never take the wanted value (for
    example ``all: [finding: x, not: {finding: x}]``).
    """
    target = expr.when if isinstance(expr, Rule) else expr
    found = sorted(set(_dnf(target, want)), key=Witness.sort_key)
    minimal = [w for w in found if not any(o is not w and o.implied_by(w) for o in found)]
    return tuple(minimal)


def _guideline(guideline: GuidelineIndex | None) -> GuidelineIndex:
    return guideline if guideline is not None else load_guideline()


def _label(guideline: GuidelineIndex, fid: str) -> str:
    finding = guideline.findings.get(fid)
    text = finding.label if finding is not None else fid.replace("_", " ")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


_MAX_LISTED_ABSENT = 12
"""More absent findings than this are summarised in a narrative instead of listed."""


def narrative_for(presentation: Presentation, guideline: GuidelineIndex | None = None) -> str:
    """A plain patient-style narrative that says exactly what the structured presentation says.

    Present findings are named, absent ones denied (summarised when there are
    more than a dozen), unknown ones called uncertain (findings left out are
    not mentioned). Laterality is worded as
    ``left calf`` / ``right calf`` / ``both calves``, so :func:`swap_laterality`
    can mirror it.
    """
    index = _guideline(guideline)
    where = {
        Side.LEFT: "My left calf hurts.",
        Side.RIGHT: "My right calf hurts.",
        Side.BOTH: "Both my calves hurt.",
        Side.UNKNOWN: "My calf hurts.",
    }[presentation.side]
    sentences = [where]
    who = {Sex.FEMALE: "woman", Sex.MALE: "man"}.get(presentation.sex)
    if presentation.age is not None:
        sentences.append(f"I am a {presentation.age}-year-old {who or 'person'}.")
    elif who:
        sentences.append(f"I am a {who}.")
    if presentation.pregnant is FindingState.PRESENT:
        sentences.append("I am pregnant.")
    elif presentation.pregnant is FindingState.ABSENT:
        sentences.append("I am not pregnant.")
    if presentation.onset is not Onset.UNKNOWN:
        sentences.append(f"It came on {presentation.onset.value}ly.")
    if presentation.duration_days is not None:
        days = presentation.duration_days
        sentences.append("It started today." if days < 1 else f"It started {days:g} day(s) ago.")
    if presentation.trigger:
        sentences.append(f"It started after {presentation.trigger}.")
    by_state: dict[FindingState, list[str]] = {s: [] for s in FindingState}
    for fid, state in presentation.findings.items():
        by_state[state].append(_label(index, fid))
    if by_state[FindingState.PRESENT]:
        sentences.append(f"I have: {_join(by_state[FindingState.PRESENT])}.")
    absent = by_state[FindingState.ABSENT]
    if len(absent) > _MAX_LISTED_ABSENT:
        # A fully worked-up presentation denies dozens of findings; a patient would not list them.
        sentences.append("I have been asked about everything else and have none of it.")
    elif absent:
        sentences.append(f"I do not have: {_join(absent)}.")
    if by_state[FindingState.UNKNOWN]:
        sentences.append(f"I am not sure about: {_join(by_state[FindingState.UNKNOWN])}.")
    return " ".join(sentences)


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
        allowed = sorted((s for s in sides if witness.sides is None or s in witness.sides), key=_SIDE_ORDER.__getitem__)
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
