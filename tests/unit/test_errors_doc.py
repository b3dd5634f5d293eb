"""docs/errors.md catalogues every error code calfspec raises, every error kind and every exit status."""

from __future__ import annotations

import re

from calfspec import ExitCode
from calfspec._internal.error_kinds import ErrorKind
from tests.conftest import ROOT

SRC = ROOT / "src" / "calfspec"
DOC = ROOT / "docs" / "errors.md"
_READ_SUFFIXES = ("missing", "unreadable", "too-large", "not-utf8")


def _raised_codes() -> set[str]:
    """Every code literal in src: ``code="..."`` (as test_error_kinds finds them), default codes, YAML codes."""
    codes: set[str] = set()
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        codes.update(re.findall(r'\bcode="([a-z0-9-]+)"', text))
        codes.update(re.findall(r'\bdefault_code = "([a-z0-9-]+)"', text))
        codes.update(re.findall(r'\b[A-Z_]*CODE = "([a-z0-9-]+)"', text))
        # read_user_text(..., kind="result") raises result-missing, result-unreadable, ...
        for kind in re.findall(r'read_user_text\([^)]*?\bkind="([a-z-]+)"', text, flags=re.S):
            codes.update(f"{kind}-{suffix}" for suffix in _READ_SUFFIXES)
        # The YAML reader passes its codes positionally to an internal failure type.
        codes.update(re.findall(r'"(yaml-[a-z-]+)"', text))
    return codes


def _documented() -> set[str]:
    return set(re.findall(r"`([A-Za-z0-9_-]+)`", DOC.read_text(encoding="utf-8")))


def test_the_scan_finds_codes_of_every_sort() -> None:
    codes = _raised_codes()
    # One of each way a code is written, so a broken scan cannot pass by finding nothing.
    assert {
        "implementation-timeout",
        "bad-shard",
        "bad-impl-spec",
        "extraction",
        "result-missing",
        "yaml-alias",
    } <= codes


def test_every_error_code_raised_in_src_is_in_docs_errors_md() -> None:
    assert _raised_codes() - _documented() == set()


def test_every_error_kind_and_exit_status_is_in_docs_errors_md() -> None:
    documented = _documented()
    assert {kind.value for kind in ErrorKind} - documented == set()
    assert {code.name for code in ExitCode} - documented == set()
