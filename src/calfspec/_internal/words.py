"""Words for guideline data and presentations, shared by every module that writes them.

One module owns each small text job so that the wording cannot drift apart:

* finding labels in prose (:func:`prose_label`; the plain lookup is
  :meth:`~calfspec._internal.guideline.GuidelineIndex.label`);
* how a finding's state is said (:data:`STATE_WORDS`, one map per voice);
* a presentation in prose: :func:`patient_narrative` in the patient's voice
  (the narrative a simulated patient gives), :func:`third_person_summary` in
  the third person (what a chat model is told), :func:`presentation_lines`
  (one line per topic, for counterexamples) and :func:`witness_facts` (the
  few facts of a witness, for lint messages);
* truncation (:func:`clip`, :func:`one_line`);
* Markdown escaping outside code (:func:`md_text`, and :func:`md_cell` for a table cell).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from .models.triage import FindingState, Onset, Presentation, Sex, Side, TriageRequest

if TYPE_CHECKING:
    from .guideline import GuidelineIndex

__all__ = [
    "STATE_WORDS",
    "Voice",
    "clip",
    "md_cell",
    "md_text",
    "one_line",
    "patient_narrative",
    "presentation_lines",
    "prose_label",
    "state_word",
    "third_person_summary",
    "witness_facts",
]

Voice = Literal["patient", "field", "reviewer"]
"""Who says a finding's state: a patient answering, a terse ``field: value`` line, a reviewer's table."""

STATE_WORDS: Mapping[Voice, Mapping[FindingState, str]] = {
    # A patient asked about a fact they cannot tell is "not sure", never "unknown".
    "patient": {FindingState.PRESENT: "yes", FindingState.ABSENT: "no", FindingState.UNKNOWN: "not sure"},
    "field": {FindingState.PRESENT: "yes", FindingState.ABSENT: "no", FindingState.UNKNOWN: "unknown"},
    "reviewer": {FindingState.PRESENT: "yes", FindingState.ABSENT: "no", FindingState.UNKNOWN: "not known"},
}
"""A finding's state in words, by voice."""


def state_word(state: FindingState, voice: Voice) -> str:
    """``yes`` / ``no`` / the voice's word for unknown."""
    return STATE_WORDS[voice][state]


def prose_label(guideline: GuidelineIndex, finding_id: str) -> str:
    """A finding's label for a sentence: the vocabulary's label, or the id with spaces for underscores."""
    if finding_id in guideline.findings:
        return guideline.label(finding_id)
    return finding_id.replace("_", " ")


def one_line(text: str) -> str:
    """``text`` with every run of white space (newlines included) folded to one space."""
    return " ".join(text.split())


def clip(text: str, limit: int, *, marker: str = "…", flatten: bool = True) -> str:
    """``text`` (folded to one line unless ``flatten=False``) cut to at most ``limit`` characters.

    A cut text ends in ``marker``, which counts toward the limit.
    """
    if flatten:
        text = one_line(text)
    return text if len(text) <= limit else text[: limit - len(marker)] + marker


def md_text(text: str) -> str:
    """Escape text for Markdown outside code: no HTML, no table breaks, no stray emphasis or links."""
    text = html.escape(text, quote=False).replace("\n", " ")
    return re.sub(r"([\\`*_\[\]|#])", r"\\\1", text)


def md_cell(text: str) -> str:
    """:func:`md_text` on one line: a Markdown table cell (white space folded)."""
    return md_text(one_line(text))


# --- a presentation in words ---------------------------------------------------------------


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _spoken(guideline: GuidelineIndex, finding_id: str) -> str:
    text = prose_label(guideline, finding_id)
    # "Calf swelling" -> "calf swelling" mid-sentence, but "DVT history" keeps its capitals.
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


_MAX_LISTED_ABSENT = 12
"""More absent findings than this are summarised in a narrative instead of listed."""


def patient_narrative(presentation: Presentation, guideline: GuidelineIndex) -> str:
    """The presentation in the patient's voice (``I have: ...``), saying exactly what the fields say.

    Present findings are named, absent ones denied (summarised when there are
    more than a dozen), unknown ones called uncertain (findings left out are
    not mentioned). Laterality is worded ``left calf`` / ``right calf`` /
    ``both calves``, so a mirror image can swap it.
    """
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
        by_state[state].append(_spoken(guideline, fid))
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


def third_person_summary(request: Presentation, guideline: GuidelineIndex) -> str:
    """The presentation in the third person (``A 54-year-old man has calf pain. ...``); unknowns are left unsaid."""
    who = {"female": "woman", "male": "man"}.get(request.sex.value, "person")
    if request.age is not None:
        sentences = [f"A {request.age}-year-old {who}"]
    elif who == "person":
        sentences = ["A person of unknown age and sex"]
    else:
        sentences = [f"A {who} of unknown age"]
    if request.pregnant is FindingState.PRESENT:
        sentences[0] += " who is pregnant"
    elif request.pregnant is FindingState.ABSENT:
        sentences[0] += " who is not pregnant"
    sentences[0] += " has calf pain."
    side = {
        Side.LEFT: "It is in the left calf.",
        Side.RIGHT: "It is in the right calf.",
        Side.BOTH: "It is in both calves.",
    }.get(request.side)
    if side:
        sentences.append(side)
    onset = {Onset.SUDDEN: "It came on suddenly", Onset.GRADUAL: "It came on gradually"}.get(request.onset)
    if request.duration_days is not None:
        when = f"{request.duration_days:g} day(s) ago"
        sentences.append(f"{onset} {when}." if onset else f"It started {when}.")
    elif onset:
        sentences.append(onset + ".")
    if request.trigger:
        sentences.append(f"They link it to: {request.trigger}.")
    present = [prose_label(guideline, f) for f, s in request.findings.items() if s is FindingState.PRESENT]
    absent = [prose_label(guideline, f) for f, s in request.findings.items() if s is FindingState.ABSENT]
    if present:
        sentences.append("They have: " + "; ".join(present) + ".")
    if absent:
        sentences.append("They do not have: " + "; ".join(absent) + ".")
    sentences.append("Nothing else is known.")
    return " ".join(sentences)


_SIDE_WORDS = {Side.LEFT: "left calf", Side.RIGHT: "right calf", Side.BOTH: "both calves", Side.UNKNOWN: "unknown"}
_MAX_NARRATIVE_SHOWN = 300


def presentation_lines(request: Presentation, guideline: GuidelineIndex) -> list[str]:
    """The presentation in clinical words, one line per topic (vocabulary labels, not ids)."""
    duration = "unknown" if request.duration_days is None else f"{request.duration_days:g} day(s)"
    lines = [
        f"age: {request.age if request.age is not None else 'unknown'}; sex: {request.sex.value}; "
        f"pregnant: {state_word(request.pregnant, 'field')}",
        f"side: {_SIDE_WORDS[request.side]}; onset: {request.onset.value}; duration: {duration}; "
        f"trigger: {request.trigger or 'none given'}",
    ]
    present = [guideline.label(f) for f, s in request.findings.items() if s is FindingState.PRESENT]
    absent = [guideline.label(f) for f, s in request.findings.items() if s is FindingState.ABSENT]
    unknown = [guideline.label(f) for f in guideline.findings if request.state(f) is FindingState.UNKNOWN]
    lines.append("present: " + ("; ".join(present) if present else "none"))
    if len(absent) > len(unknown):
        if unknown:
            lines.append("unknown: " + "; ".join(unknown))
        lines.append("absent: every other finding")
    else:
        if absent:
            lines.append("absent: " + "; ".join(absent))
        lines.append("unknown: every other finding")
    if isinstance(request, TriageRequest) and request.narrative:
        text = clip(request.narrative, _MAX_NARRATIVE_SHOWN, marker="...", flatten=False)
        lines.append(f"narrative: {text!r}")
    return lines


def witness_facts(presentation: Presentation) -> str:
    """The known facts of a (witness) presentation by id, e.g. ``injury present, side left``."""
    parts = [f"{k} {v.value}" for k, v in presentation.findings.items() if v is not FindingState.UNKNOWN]
    if presentation.side is not Side.UNKNOWN:
        parts.append(f"side {presentation.side.value}")
    if presentation.pregnant is not FindingState.UNKNOWN:
        parts.append(f"pregnant {presentation.pregnant.value}")
    return ", ".join(parts) or "any presentation"
