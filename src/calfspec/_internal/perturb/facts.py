"""The fact-preservation check: the words a rewrite must keep, and what a rewrite changed among them.

A fact word is a guideline vocabulary label or synonym, a condition name or alias,
or one of the battery's ``protected_words``, compared by a light stem; a negation
cue is kept as ``<neg>``. :func:`preservation_problems` compares the marks of a
narrative before and after a rewrite, in order (or sentence by sentence for a
family that reorders sentences).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..guideline import GuidelineIndex
from ..models.perturbation import Battery

__all__ = ["Lexicon", "build_lexicon", "preservation_problems", "tokens"]

_WORD = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_NEG = "<neg>"


def _stem(word: str) -> str:
    # Enough to let "I feel" become "she feels" ("touch", "touches"; "worry", "worries"):
    # a plural or third-person -s is not a new fact.
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "oes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _token(word: str) -> str:
    word = word.lower().replace("\u2019", "'")
    if "'" not in word:
        return word
    if word.endswith("n't"):
        return word.replace("'", "")  # "can't" -> "cant", a negation either way
    return word.split("'", 1)[0]  # "I'll" -> "i", "it's" -> "it": the suffix is not a word of its own


def tokens(text: str) -> list[str]:
    """Words of ``text``, lower case; "can't" -> "cant", "I'll" -> "i" (never "ill")."""
    return [_token(m.group(0)) for m in _WORD.finditer(text)]


@dataclass(frozen=True)
class Lexicon:
    """The words a perturbation must keep: facts (stemmed) and negation cues."""

    facts: frozenset[str]
    negations: frozenset[str]

    def mark(self, word: str) -> str | None:
        """``<neg>`` for a negation, the stem for a fact word, None for anything else."""
        if word in self.negations:
            return _NEG
        stem = _stem(word)
        return stem if stem in self.facts else None

    def marks(self, text: str) -> list[str]:
        """The fact and negation marks of ``text``, in order."""
        return [m for m in (self.mark(w) for w in tokens(text)) if m is not None]


def build_lexicon(battery: Battery, guideline: GuidelineIndex) -> Lexicon:
    """Fact words from the vocabulary's labels and synonyms, condition names, and ``protected_words``."""
    stop = {w.lower() for w in battery.stopwords}
    negations = frozenset(w.lower().replace("'", "") for w in battery.negations)
    texts: list[str] = []
    for finding in guideline.findings.values():
        texts.append(finding.label)
        texts.extend(finding.synonyms)
    for condition in guideline.conditions.values():
        texts.append(condition.name)
        texts.extend(condition.aliases)
    facts = {_stem(w) for text in texts for w in tokens(text) if w not in stop and w not in negations}
    facts.update(_stem(w.lower()) for w in battery.protected_words)
    return Lexicon(frozenset(facts), negations)


def preservation_problems(original: str, perturbed: str, lexicon: Lexicon, *, reorders: bool = False) -> list[str]:
    """What a rewrite changed among the facts and negations; empty when it kept them all.

    Compared in order, or, for a family that reorders sentences, as the multiset of
    each sentence's marks.
    """
    before, after = lexicon.marks(original), lexicon.marks(perturbed)
    problems: list[str] = []
    added = Counter(after) - Counter(before)
    removed = Counter(before) - Counter(after)
    for word, n in sorted(added.items()):
        problems.append(f"adds {n} {'negation' if word == _NEG else repr(word)}")
    for word, n in sorted(removed.items()):
        problems.append(f"removes {n} {'negation' if word == _NEG else repr(word)}")
    if problems:
        return problems
    if reorders:

        def signature(text: str) -> Counter[tuple[str, ...]]:
            return Counter(t for t in (tuple(lexicon.marks(s)) for s in _SENTENCE_END.split(text)) if t)

        if signature(original) != signature(perturbed):
            problems.append("moves a fact or a negation from one sentence to another")
    elif before != after:
        problems.append("changes the order of facts and negations")
    return problems
