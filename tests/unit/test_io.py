"""Atomic writes and bounded reads (calfspec._internal._io)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from calfspec._internal._io import atomic_write_bytes, atomic_write_text, read_user_text
from calfspec._internal.errors import InputError


def test_atomic_write_replaces_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.json"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_a_new_file_gets_ordinary_permissions_and_an_existing_one_keeps_its_own(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.html"
        atomic_write_text(fresh, "x")
        assert fresh.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.html"
        kept.write_text("old")
        kept.chmod(0o600)
        atomic_write_text(kept, "new")
        assert kept.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "r.txt"
    target.write_text("old")
    with pytest.raises(TypeError):
        atomic_write_bytes(target, 12345)  # type: ignore[arg-type]  # fails mid-write
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.txt"]


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"ok\n\xff\xfe", "thing-not-utf8"), (b"x" * 11, "thing-too-large")],
)
def test_bounded_reads_name_the_problem(tmp_path: Path, content: bytes, code: str) -> None:
    p = tmp_path / "f.txt"
    p.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_user_text(p, max_bytes=10, kind="thing")
    assert info.value.code == code
    assert info.value.path == str(p)


def test_a_bom_is_dropped_and_a_missing_file_is_named(tmp_path: Path) -> None:
    p = tmp_path / "bom.txt"
    p.write_bytes(b"\xef\xbb\xbfhello")
    assert read_user_text(p, max_bytes=100, kind="thing") == "hello"
    with pytest.raises(InputError, match="not found"):
        read_user_text(tmp_path / "none", max_bytes=100, kind="thing")
