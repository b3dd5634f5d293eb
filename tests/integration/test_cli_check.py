"""``calfspec check`` and ``calfspec sources coverage`` as real subprocesses.

These pin the issue's "done when": the bundled guideline is clean against the
sources with the required counts, coverage is 100% for both documents, and a
duplicate key, an unknown id or an altered excerpt in a copy makes check exit 1
naming the file and line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

# The console script installed beside this interpreter (the venv's `calfspec`).
EXE = [str(Path(sys.executable).parent / "calfspec")]


def calfspec(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the installed ``calfspec`` console script."""
    return subprocess.run([*EXE, *map(str, args)], capture_output=True, text=True, timeout=120, check=False)


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` with ``new``; return the 1-based line it was on."""
    text = path.read_text(encoding="utf-8")
    at = text.index(old)
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return text.count("\n", 0, at) + 1


def test_bundled_guideline_is_clean_against_the_sources(seeds_dir: Path) -> None:
    proc = calfspec("check", "--sources", seeds_dir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    summary = proc.stderr.strip().splitlines()[-1]
    assert summary.startswith("ok: ")
    counts = {label: int(n) for n, label in re.findall(r"(\d+) ([a-z-]+ ?[a-z]*)\(s\)", summary)}
    assert counts["source"] >= 2
    assert counts["claim"] >= 100
    assert counts["condition"] >= 15
    assert counts["red flag"] >= 6


def test_json_summary_has_the_counts_and_no_problems(seeds_dir: Path) -> None:
    proc = calfspec("check", "--sources", seeds_dir, "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    counts = payload["counts"]
    keys = ("sources", "claims", "conditions", "findings", "red_flags", "pathways", "advice", "exclusions")
    for key in (*keys, "problems"):
        assert isinstance(counts[key], int), key
    assert counts["sources"] >= 2 and counts["claims"] >= 100
    assert counts["conditions"] >= 15 and counts["red_flags"] >= 6
    assert counts["problems"] == 0
    assert payload["problems"] == [] and payload["ok"] is True and payload["sources_checked"] is True


def test_coverage_is_complete_for_both_documents(seeds_dir: Path) -> None:
    proc = calfspec("sources", "coverage", "--sources", seeds_dir, "--json")
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)["documents"]
    assert [d["id"] for d in docs] == ["src-000", "src-001"]
    for doc in docs:
        assert doc["percent"] == 100.0
        assert doc["accounted"] == doc["sentences"] > 50
        assert doc["unaccounted"] == []


def test_coverage_lists_unaccounted_sentences_and_fails_under_the_threshold(
    guideline_copy: Path, seeds_dir: Path
) -> None:
    text = (guideline_copy / "exclusions.yaml").read_text(encoding="utf-8")
    block = re.search(r"  - id: src000-scroll-to-top\n(?:    .*\n)+", text)
    assert block is not None
    (guideline_copy / "exclusions.yaml").write_text(text.replace(block.group(0), ""), encoding="utf-8")
    proc = calfspec("sources", "coverage", "--sources", seeds_dir, "--guideline", guideline_copy)
    assert proc.returncode == 1
    assert "not accounted for: Scroll to Top" in proc.stderr
    assert re.search(r"000_532ee7350ed668e0\.txt:90: not accounted for", proc.stderr)
    relaxed = calfspec(
        "sources", "coverage", "--sources", seeds_dir, "--guideline", guideline_copy, "--fail-under", "90"
    )
    assert relaxed.returncode == 0


def test_duplicate_key_exits_1_naming_file_and_line(guideline_copy: Path) -> None:
    path = guideline_copy / "advice.yaml"
    line = _edit(path, "    kind: self_care\n", "    kind: self_care\n    kind: treatment\n")
    proc = calfspec("check", "--guideline", guideline_copy)
    assert proc.returncode == 1
    assert f"{path}:{line + 1}:" in proc.stderr
    assert "yaml-duplicate-key" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_id_exits_1_naming_file_and_line(guideline_copy: Path) -> None:
    path = guideline_copy / "rules.yaml"
    _edit(path, "    pathway: urgent-dvt-assessment\n", "    pathway: urgent-dvt-assesment\n")
    proc = calfspec("check", "--guideline", guideline_copy)
    assert proc.returncode == 1
    match = re.search(rf"{re.escape(str(path))}:(\d+):\d+: unknown-id: .*'urgent-dvt-assesment'", proc.stderr)
    assert match, proc.stderr
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "id: dvt-swollen-warm-red-calf" in lines[int(match.group(1)) - 1]


def test_altered_excerpt_exits_1_naming_file_and_line(guideline_copy: Path, seeds_dir: Path) -> None:
    path = guideline_copy / "claims" / "red-flags.yaml"
    old = 'excerpt: "A cold, pale or numb lower leg or foot."'
    line = _edit(path, old, 'excerpt: "A cold, pale or numb lower leg."')
    proc = calfspec("check", "--guideline", guideline_copy, "--sources", seeds_dir)
    assert proc.returncode == 1
    expected = rf"{re.escape(str(path))}:{line}:\d+: excerpt-not-found: claim 'cold-pale-numb-leg-red-flag'"
    assert re.search(expected, proc.stderr), proc.stderr
    # the same copy without --sources is clean: the excerpt is only checked against the text
    assert calfspec("check", "--guideline", guideline_copy).returncode == 0


def test_exclusion_that_swallows_a_clinical_sentence_is_refused(guideline_copy: Path, seeds_dir: Path) -> None:
    path = guideline_copy / "exclusions.yaml"
    line = _edit(path, 'excerpt: "Quick answer"', 'excerpt: "Most calf pain comes from a muscle strain"')
    proc = calfspec("check", "--guideline", guideline_copy, "--sources", seeds_dir)
    assert proc.returncode == 1
    assert re.search(rf"{re.escape(str(path))}:{line}:\d+: exclusion-covers-claim", proc.stderr), proc.stderr


def test_json_lists_problems_with_positions(guideline_copy: Path) -> None:
    _edit(guideline_copy / "rules.yaml", "        - finding: fever\n", "        - finding: feverish\n")
    proc = calfspec("check", "--guideline", guideline_copy, "--json")
    assert proc.returncode == 1
    payload = json.loads(proc.stdout)
    assert payload["ok"] is False
    (problem,) = payload["problems"]
    assert problem["code"] == "unknown-id"
    assert problem["path"].endswith("rules.yaml") and isinstance(problem["line"], int)
    assert payload["counts"]["problems"] == 1


def test_missing_source_file_is_a_usage_error(tmp_path: Path) -> None:
    proc = calfspec("check", "--sources", tmp_path)
    assert proc.returncode == 4
    assert "source-missing" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [("check", "--guideline", "/no/such/dir"), ("sources", "coverage")])
def test_bad_options_are_usage_errors(args: tuple[str, ...]) -> None:
    proc = calfspec(*args)
    assert proc.returncode == 4
    assert "Traceback" not in proc.stderr


def test_a_flipped_byte_in_a_copy_of_the_seeds_is_reported_with_the_claims_it_touches(
    tmp_path: Path, seeds_dir: Path
) -> None:
    """Source governance (D33): the pinned SHA-256 catches any change; the sentence pins say which claims."""
    import shutil

    copy = tmp_path / "seeds"
    shutil.copytree(seeds_dir, copy)
    target = copy / "001_f9ed25314002b0c1.txt"
    target.chmod(0o644)
    raw = bytearray(target.read_bytes())
    at = raw.index(b"Sudden shortness of breath")
    raw[at + len("Sudden ")] = ord("S")  # one byte, inside the lung-symptoms red-flag sentence
    target.write_bytes(bytes(raw))
    proc = calfspec("check", "--sources", copy)
    assert proc.returncode == 1, proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if "source-changed" in ln]
    assert re.search(r"sources\.yaml:\d+:\d+: source-changed: source 'src-001'", line)
    assert "pe-symptoms-call-emergency" in line
    assert "src-000" not in line
    assert calfspec("check", "--sources", seeds_dir).returncode == 0


def test_deprecated_ids_in_the_bundled_suite_are_notes_that_do_not_fail_or_flood_the_output() -> None:
    proc = calfspec("check")
    assert proc.returncode == 0, proc.stderr[-3000:]
    notes = [ln for ln in proc.stderr.splitlines() if ln.startswith("note:")]
    full = calfspec("check", "--json")
    listed = json.loads(full.stdout)["notes"]
    assert all(n["code"] == "deprecated-id" for n in listed)
    if len(listed) > 10:
        assert len(notes) == 11
        assert f"({len(listed)} in all:" in notes[-1]
    else:
        assert len(notes) == len(listed)
