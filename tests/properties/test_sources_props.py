"""Properties of sentence splitting and excerpt matching that examples cannot pin down."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from calfspec._internal.sources import normalise, parse_source_text, split_sentences

# Text built from the characters that matter to the splitter: letters, digits,
# sentence ends, list markers, quotes (straight and typographic), dashes, spaces.
ALPHABET = "abcXYZ019 .!?:;,•-–—'\"‘’“”()\t\n\r"
texts = st.text(alphabet=ALPHABET, max_size=300)


@given(texts)
@settings(max_examples=300)
def test_splitting_never_loses_or_duplicates_text(text: str) -> None:
    sentences = split_sentences(text)
    covered = [0] * len(text)
    for s in sentences:
        assert text[s.span.start : s.span.end] == s.text
        assert s.text == s.text.strip() and s.text
        for i in range(s.span.start, s.span.end):
            covered[i] += 1
    for i, ch in enumerate(text):
        if not ch.isspace():
            assert covered[i] == 1, (i, ch)


@given(texts)
def test_sentences_are_in_order_and_never_cross_a_line(text: str) -> None:
    sentences = split_sentences(text)
    for a, b in pairwise(sentences):
        assert a.span.end <= b.span.start
        assert a.paragraph <= b.paragraph
    for s in sentences:
        assert "\n" not in s.text


@given(texts)
def test_normalise_is_idempotent(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


@given(st.text(alphabet=ALPHABET.replace("\r", ""), min_size=1, max_size=200), st.data())
def test_every_substring_is_found_where_it_is(text: str, data: st.DataObject) -> None:
    source = parse_source_text("s", text)
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    excerpt = text[start:end]
    if not excerpt.strip():
        return
    # trim to non-space ends, as an author would copy a passage
    lead = len(excerpt) - len(excerpt.lstrip())
    start, end = start + lead, start + len(excerpt.rstrip())
    spans = source.find_all(text[start:end])
    assert any(span.start == start and span.end == end for span in spans), (text[start:end], spans)
    for span in spans:
        assert normalise(text[span.start : span.end]) == normalise(text[start:end])
