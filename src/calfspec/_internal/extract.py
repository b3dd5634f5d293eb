"""Read a triage decision out of a prose reply, or say that it cannot be read.

Chat models answer in their own words unless forced into a format, and the
format changes the answer (Fraile Navarro et al., arXiv:2603.11413: forced
A/B/C/D choices against free text moved three models between 0-24% and 100%).
``openai:MODEL#format=text`` lets a model answer in prose, and this module reads the
answer. The extractor is measured on its own (tests/fixtures/extraction/replies.yaml,
tests/unit/test_extract.py) and its failures are *errors* of kind ``extraction``,
never under- or over-triage.

How a reply is read:

1. An explicit line ``Urgency: urgent`` (or ``triage level: emergency``) wins.
2. Otherwise the reply is split into sentences. Conditional sentences, the
   safety net ("if it gets worse, call 999", "should you become breathless ...")
   are set aside: they say what to do *later*, not now. A cue right after a
   negation in its clause ("no need to go to A&E", "this is not an emergency")
   does not count.
3. The remaining sentences are searched for cues of each level. *Strong* cues
   name the level itself (999, ambulance, A&E, "today", "same day", "urgent",
   "routine", "self-care"); *weak* cues name a place or a kind of help (GP,
   doctor, appointment, rest, at home). If strong cues are present they decide;
   if they point to two levels the reply is **unextractable**. With weak cues only,
   the most urgent one decides (a GP appointment plus rest at home meanwhile is a
   GP appointment).
4. No cue at all is unextractable; a refusal ("I can't give medical advice")
   is an error of kind ``refusal``.

The bias is deliberate: when a reply can be read two ways the extractor gives
up, so a vague answer is an error rather than a verdict, and the extractor never
reads more urgency into a reply than it holds.

Pathways are read from the words that go with the level (a clot, a tear, an
infection, the circulation); conditions from the guideline's condition names and
aliases. Advice is not read from prose, so prose replies are judged on urgency,
pathways and the advice they cannot give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ImplementationError
from .guideline import GuidelineIndex
from .models.triage import TriageDecision
from .models.urgency import Urgency

__all__ = ["EXTRACTION_CODE", "REFUSAL_CODE", "Extraction", "extract_decision", "read_urgency"]

EXTRACTION_CODE = "extraction"
"""Error code of a reply the extractor cannot read."""
REFUSAL_CODE = "model-refusal"
"""Error code of a reply that refuses to triage (the same code the JSON path uses)."""

_LABEL = re.compile(
    r"^\s*(?:urgency|urgency level|triage|triage level|disposition)\s*[:=-]\s*\**\s*"
    r"(emergency|urgent|routine|self[-_ ]care)\b",
    re.IGNORECASE | re.MULTILINE,
)
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")
_CONDITIONAL = re.compile(
    r"\b(if|unless|in case|should (?:it|you|the|your|things|this|symptoms)|whenever|watch (?:out )?for|"
    r"look out for|in the event)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(no|not|never|nothing|none|neither|don'?t|doesn'?t|isn'?t|aren'?t|won'?t|wouldn'?t|shouldn'?t|without|nor|"
    r"unnecessary|rather than|instead of)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r",|\bbut\b|\bhowever\b|\bso\b|\bthough\b|\band\b", re.IGNORECASE)

_STRONG: dict[Urgency, tuple[str, ...]] = {
    Urgency.EMERGENCY: (
        r"999",
        r"911",
        r"112",
        r"ambulance",
        r"a ?& ?e",
        r"accident and emergency",
        r"emergency (?:department|room|services|care|help)",
        r"medical emergency",
        r"an emergency",
        r"\ber\b",
        r"immediately",
        r"right away",
        r"straight away",
        r"at once",
        r"without delay",
    ),
    Urgency.URGENT: (
        r"today",
        r"same[- ]day",
        r"(?<!non-)(?<!non )\burgent(?:ly)?\b",
        r"within (?:24|twenty-four|a few) hours",
        r"this (?:morning|afternoon|evening)",
        r"tonight",
        r"as soon as (?:possible|you can)",
        r"walk-in",
        r"111",
        r"out[- ]of[- ]hours",
    ),
    Urgency.ROUTINE: (
        r"routine",
        r"non[- ]urgent",
        r"next (?:few|couple of) (?:days|weeks)",
        r"coming (?:days|weeks)",
        r"in (?:a|the next) (?:week|fortnight|few weeks|couple of weeks)",
        r"next week",
        r"when (?:you can|convenient)",
    ),
    Urgency.SELF_CARE: (
        r"self[- ]care",
        r"self[- ]manage",
        r"look after (?:it|this|yourself) (?:at home|yourself)",
        r"manage (?:it|this) (?:at home|yourself)",
        r"treat (?:it|this) (?:at home|yourself)",
        r"(?:no|not) need (?:to|for) (?:see|a doctor|medical|a gp|an appointment)",
    ),
}
_WEAK: dict[Urgency, tuple[str, ...]] = {
    Urgency.EMERGENCY: (),
    Urgency.URGENT: (r"urgent care",),
    Urgency.ROUTINE: (
        r"\bgp\b",
        r"doctor",
        r"appointment",
        r"physio(?:therapist)?",
        r"clinic",
        r"check(?:ed)? (?:over|out)",
        r"get (?:it|this) (?:looked at|checked)",
    ),
    Urgency.SELF_CARE: (
        r"at home",
        r"\brest\b",
        r"\bice\b",
        r"stretch",
        r"paracetamol",
        r"ibuprofen",
        r"painkillers?",
        r"keep moving",
        r"gentle exercise",
        r"warm bath",
    ),
}
_REFUSAL = re.compile(
    r"\b(?:i can(?:no|')t|i'?m (?:not able|unable) to|i am (?:not able|unable) to|i (?:won'?t|cannot)) "
    r"(?:help with|give|provide|offer|assess|triage|diagnose)",
    re.IGNORECASE,
)

_PATHWAY_WORDS: dict[Urgency, tuple[tuple[str, str], ...]] = {
    # (pattern, pathway) in order; the first that matches wins, the last is the default.
    Urgency.EMERGENCY: (
        (r"sepsis|septic", "emergency-sepsis"),
        (r"blood supply|circulation|limb|compartment|cold,? pale|pale,? cold", "emergency-limb-threat"),
        (r".", "emergency-call-now"),
    ),
    Urgency.URGENT: (
        (r"clot|dvt|thrombosis", "urgent-dvt-assessment"),
        (r"tear|torn|rupture|achilles", "urgent-tear-assessment"),
        (r"infection|infected|cellulitis", "urgent-infection-assessment"),
        (r".", "urgent-same-day-assessment"),
    ),
    Urgency.ROUTINE: (
        (r"circulation|vascular|claudication|arteries", "vascular-assessment"),
        (r"rule out|exclude", "red-flag-screen"),
        (r".", "gp-review"),
    ),
    Urgency.SELF_CARE: ((r".", "self-care-muscle"),),
}


@dataclass(frozen=True)
class Extraction:
    """What was read, and the cues that decided it (for the error message and the tests)."""

    urgency: Urgency
    cues: tuple[str, ...]


def _compile(table: dict[Urgency, tuple[str, ...]]) -> dict[Urgency, re.Pattern[str]]:
    return {u: re.compile(r"(?:" + "|".join(p) + r")", re.IGNORECASE) for u, p in table.items() if p}


_STRONG_RE = _compile(_STRONG)
_WEAK_RE = _compile(_WEAK)


def _negated(sentence: str, start: int) -> bool:
    """A negation earlier in the same clause as the cue at ``start``."""
    clauses = list(_CLAUSE.finditer(sentence[:start]))
    clause = sentence[clauses[-1].end() if clauses else 0 : start]
    return _NEGATION.search(clause) is not None


def _cues(sentences: list[str], table: dict[Urgency, re.Pattern[str]]) -> dict[Urgency, list[str]]:
    found: dict[Urgency, list[str]] = {}
    for sentence in sentences:
        for urgency, pattern in table.items():
            for match in pattern.finditer(sentence):
                if not _negated(sentence, match.start()):
                    found.setdefault(urgency, []).append(match.group(0))
    return found


def read_urgency(text: str) -> Extraction:
    """The urgency a prose reply gives, or :class:`~calfspec._internal.errors.ImplementationError`.

    Codes: ``extraction`` (no cue, or cues of two levels) and ``model-refusal``.
    """
    label = _LABEL.search(text)
    if label is not None:
        word = label.group(1).lower().replace("-", "_").replace(" ", "_")
        return Extraction(Urgency(word), (label.group(0).strip(),))
    sentences = [s for s in _SENTENCES.split(text) if s.strip()]
    now = [s for s in sentences if not _CONDITIONAL.search(s)]
    strong = _cues(now, _STRONG_RE)
    if len(strong) == 1:
        ((urgency, cues),) = strong.items()
        return Extraction(urgency, tuple(cues))
    if len(strong) > 1:
        levels = ", ".join(f"{u.value} ({', '.join(repr(c) for c in cs)})" for u, cs in sorted(strong.items()))
        raise ImplementationError(
            f"the reply points to more than one urgency: {levels}",
            code=EXTRACTION_CODE,
            hint="the extractor gives up rather than guess; ask the model for one disposition",
        )
    weak = _cues(now, _WEAK_RE)
    if weak:
        urgency = max(weak)
        return Extraction(urgency, tuple(weak[urgency]))
    if _REFUSAL.search(text):
        raise ImplementationError("the model declined to triage", code=REFUSAL_CODE)
    raise ImplementationError(
        "no urgency could be read from the reply" + (" (only conditional advice)" if sentences != now else ""),
        code=EXTRACTION_CODE,
        hint="the reply names no place or time to seek care; see docs/perturbations.md",
    )


def extract_decision(text: str, guideline: GuidelineIndex) -> TriageDecision:
    """A decision read from a prose reply: urgency, one pathway of that urgency, named conditions.

    Raises :class:`~calfspec._internal.errors.ImplementationError` with code ``extraction``
    (or ``model-refusal``) when the reply cannot be read.
    """
    found = read_urgency(text)
    pathways: list[str] = []
    for pattern, pathway in _PATHWAY_WORDS[found.urgency]:
        if re.search(pattern, text, re.IGNORECASE) and pathway in guideline.pathways:
            pathways.append(pathway)
            break
    low = text.lower()
    conditions = tuple(
        c.id
        for c in guideline.conditions.values()
        if any(re.search(r"\b" + re.escape(name.lower()) + r"\b", low) for name in (c.name, *c.aliases))
    )
    return TriageDecision(
        urgency=found.urgency,
        pathways=tuple(pathways),
        conditions=conditions,
        rationale=text[:20000],
    )
