"""Each family's rewrite: insert a phrase, retell in the third person, move the red flag last, type in a hurry.

Each rewrite changes how the story is told, never what it says; the caller checks
that with :func:`~calfspec._internal.perturb.facts.preservation_problems`.
"""

from __future__ import annotations

import random
import re
from collections import Counter

from ..expressions import expr_findings
from ..guideline import GuidelineIndex
from ..models.guideline import FindingKind
from ..models.perturbation import Family, FamilyKind, Position
from ..models.triage import FindingState, Presentation, Sex
from .facts import _SENTENCE_END, Lexicon, _stem, _token, tokens

__all__ = ["DEFAULT_SEED", "perturb_narrative"]

DEFAULT_SEED = 0
"""Seed of the choices a family makes (which phrase, which misspellings); a run is reproducible."""


def _fill(phrase: str, family: Family, rng: random.Random, extra: dict[str, str]) -> str:
    for name, values in family.slots.items():
        phrase = phrase.replace("{" + name + "}", rng.choice(values))
    for name, value in extra.items():
        phrase = phrase.replace("{" + name + "}", value)
    return phrase


def _join(first: str, second: str) -> str:
    first = first.rstrip()
    if first and first[-1] not in ".!?":
        first += "."
    return f"{first} {second.lstrip()}"


def _insert(narrative: str, phrase: str, position: Position) -> str:
    return _join(phrase, narrative) if position is Position.START else _join(narrative, phrase)


_PRONOUNS = {
    # writer's word: (she, he, they)
    "my": ("her", "his", "their"),
    "me": ("her", "him", "them"),
    "mine": ("hers", "his", "theirs"),
    "myself": ("herself", "himself", "themselves"),
    "i'm": ("she's", "he's", "they're"),
    "i've": ("she's", "he's", "they've"),
    "i'd": ("she'd", "he'd", "they'd"),
    "i'll": ("she'll", "he'll", "they'll"),
}
_SUBJECT = ("she", "he", "they")
_AFTER_I_SINGULAR = {
    "am": "is",
    "have": "has",
    "do": "does",
    "don't": "doesn't",
    "haven't": "hasn't",
    "go": "goes",
}
_AFTER_I_PLURAL = {"am": "are", "was": "were", "wasn't": "weren't"}
_ADVERBS = frozenset(
    [
        "just",
        "also",
        "really",
        "still",
        "only",
        "never",
        "always",
        "usually",
        "actually",
        "probably",
        "definitely",
        "honestly",
        "sometimes",
        "often",
        "even",
        "already",
        "mainly",
        "kind",
        "of",
        "sort",
    ]
)
_KEEP = frozenset(
    [
        "can",
        "could",
        "will",
        "would",
        "should",
        "might",
        "must",
        "may",
        "did",
        "didn't",
        "can't",
        "couldn't",
        "won't",
        "wouldn't",
        "shouldn't",
        "was",
        "wasn't",
        "had",
        "hadn't",
        "'d",
    ]
)


def _conjugate(verb: str, plural: bool) -> str:
    low = verb.lower().replace("\u2019", "'")
    if plural:
        return _AFTER_I_PLURAL.get(low, verb)
    if low in _AFTER_I_SINGULAR:
        return _AFTER_I_SINGULAR[low]
    if low in _KEEP or low.endswith(("ed", "ing")) or not low.isalpha():
        return verb
    if low.endswith(("s", "sh", "ch", "x", "o")):
        return verb + "es"
    if low.endswith("y") and len(low) > 2 and low[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


_TOKEN = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)?|[^A-Za-z]+")
_PRESENT_VERBS = frozenset(
    [
        "feel",
        "think",
        "know",
        "want",
        "need",
        "get",
        "live",
        "work",
        "take",
        "walk",
        "run",
        "play",
        "guess",
        "hope",
        "keep",
        "notice",
        "reckon",
        "mean",
        "wonder",
        "sit",
        "see",
        "use",
        "like",
        "love",
        "try",
        "worry",
        "say",
        "find",
        "struggle",
        "wake",
        "remember",
        "suppose",
        "believe",
        "look",
        "seem",
        "cycle",
        "swim",
        "train",
        "breathe",
        "stand",
        "move",
        "lie",
        "bend",
        "climb",
        "sleep",
        "stretch",
        "push",
        "drive",
        "fly",
        "limp",
        "press",
        "touch",
        "have",
        "do",
        "go",
        "am",
        "was",
        "don't",
        "haven't",
        "wasn't",
    ]
)


def _third_person(text: str, pronoun: int) -> str:
    """First person rewritten as third: I -> she/he/they, my -> her/his/their, verbs after I agreed."""
    plural = pronoun == 2
    parts = _TOKEN.findall(text)
    out: list[str] = []
    conjugate_next = False
    sentence_start = True
    for part in parts:
        if not part[0].isalpha():
            out.append(part)
            if re.search(r"[.!?]\s*$", part) or "\n" in part:
                sentence_start = True
            continue
        low = part.lower().replace("\u2019", "'")
        word = part
        if low == "i":
            word = _SUBJECT[pronoun]
            conjugate_next = True
        elif low in _PRONOUNS:
            word = _PRONOUNS[low][pronoun]
            conjugate_next = False
        elif conjugate_next:
            if low in _ADVERBS:
                pass
            else:
                if low in _PRESENT_VERBS or low in _AFTER_I_SINGULAR or low in _AFTER_I_PLURAL:
                    word = _conjugate(part, plural)
                conjugate_next = False
        if word != part:
            # "I" and "I've" are capitals by spelling, not by place: only a sentence start keeps one.
            first_person = low == "i" or low.startswith("i'")
            upper = sentence_start or (part[0].isupper() and not first_person)
            word = (word[0].upper() if upper else word[0].lower()) + word[1:]
        out.append(word)
        sentence_start = False
    return "".join(out)


_FIRST = re.compile(r"\bI(?:['\u2019](?:m|ve|d|ll))?\b")
_THIRD = re.compile(r"\b(?:[Hh]e|[Ss]he|[Tt]hey)(?:['\u2019](?:s|re|ve|d|ll))?\b")


def _told_in_first_person(narrative: str) -> bool:
    """Whether the patient tells the story (a carer's or a parent's account is already third person)."""
    return len(_FIRST.findall(narrative)) > len(_THIRD.findall(narrative))


def _relation_word(family: Family, presentation: Presentation) -> tuple[str, int]:
    age = presentation.age
    group = "child" if age is not None and age < 16 else "older" if age is not None and age >= 70 else "adult"
    sex = presentation.sex.value
    pronoun = {Sex.FEMALE: 0, Sex.MALE: 1}.get(presentation.sex, 2)
    return family.relations[group][sex], pronoun


def _red_flag_stems(presentation: Presentation, guideline: GuidelineIndex) -> set[str]:
    """Stems that name a present red-flag finding, minus words shared by many findings (calf, pain...)."""
    flagged = {f for rule in guideline.red_flags for f in expr_findings(rule.when)}
    # Signs and symptoms only: a risk factor (a long flight, surgery) is background, not the red flag.
    present = [
        f
        for f in flagged
        if presentation.state(f) is FindingState.PRESENT
        and f in guideline.findings
        and guideline.findings[f].kind in (FindingKind.SIGN, FindingKind.SYMPTOM)
    ]
    per_finding = {
        fid: {_stem(w) for text in (item.label, *item.synonyms) for w in tokens(text) if len(w) > 2}
        for fid, item in guideline.findings.items()
    }
    counts = Counter(s for stems in per_finding.values() for s in stems)
    return {s for f in present for s in per_finding.get(f, set()) if counts[s] <= 2}


def _names(sentence: str, stems: set[str]) -> bool:
    prefixes = {s[:5] for s in stems if len(s) >= 5}
    for word in tokens(sentence):
        stem = _stem(word)
        if stem in stems or (len(stem) >= 5 and stem[:5] in prefixes):
            return True
    return False


def _red_flag_last(narrative: str, presentation: Presentation, guideline: GuidelineIndex) -> str | None:
    stems = _red_flag_stems(presentation, guideline)
    sentences = [s for s in _SENTENCE_END.split(narrative.strip()) if s]
    if not stems or len(sentences) < 2:
        return None
    flagged = [s for s in sentences if _names(s, stems)]
    others = [s for s in sentences if not _names(s, stems)]
    moved = others + flagged
    if not flagged or moved == sentences:
        return None
    # Each sentence keeps (or gets) its full stop, so the moved ones stay sentences of their own.
    return " ".join(s if s[-1] in ".!?" else s + "." for s in moved)


_STRIP = re.compile(r"[;:!?\"()\u2026\u201c\u201d]|(?<!\d)[.,]|[.,](?!\d)|(?<![a-z])['\u2019]|['\u2019](?![a-z])")


def _informal(narrative: str, family: Family, rng: random.Random, lexicon: Lexicon | None) -> str:
    text = narrative.lower()

    def typo(match: re.Match[str]) -> str:
        word = match.group(0)
        wrong = family.typos.get(word)
        return wrong if wrong is not None and rng.random() < family.typo_rate else word

    def unapostrophe(match: re.Match[str]) -> str:
        # "it's" -> "its", but "i'll" stays: "ill" would be a fact word that was never said.
        word = match.group(0)
        bare = re.sub(r"['\u2019]", "", word)
        if lexicon is not None and lexicon.mark(_token(bare)) != lexicon.mark(_token(word)):
            return word
        return bare

    text = re.sub(r"[a-z]+", typo, text)
    text = re.sub(r"[a-z0-9]+(?:['\u2019][a-z]+)+", unapostrophe, text)
    text = _STRIP.sub("", text)
    return " ".join(text.split())


def perturb_narrative(
    narrative: str,
    family: Family,
    presentation: Presentation,
    guideline: GuidelineIndex,
    *,
    key: str,
    seed: int = DEFAULT_SEED,
    lexicon: Lexicon | None = None,
) -> str | None:
    """The narrative told the family's way, or None when the family does not apply to it.

    ``key`` (the scenario id) and ``seed`` pick the phrase and the misspellings, so
    the same scenario is perturbed the same way in every run and every repeat.
    ``lexicon`` lets ``informal`` keep an apostrophe whose loss would spell a fact
    word ("I'll" is not "ill").
    """
    rng = random.Random(f"{seed}\0{family.id}\0{key}")
    if family.kind is FamilyKind.INSERT:
        return _insert(narrative, _fill(rng.choice(family.phrases), family, rng, {}), family.position)
    if family.kind is FamilyKind.THIRD_PERSON:
        if not _told_in_first_person(narrative):
            return None
        relation, pronoun = _relation_word(family, presentation)
        intro = _fill(rng.choice(family.phrases), family, rng, {"relation": relation})
        return _insert(_third_person(narrative, pronoun), intro, Position.START)
    if family.kind is FamilyKind.RED_FLAG_LAST:
        return _red_flag_last(narrative, presentation, guideline)
    return _informal(narrative, family, rng, lexicon)
