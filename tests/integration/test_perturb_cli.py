"""`calfspec run --perturb` end to end: real subprocesses, a real chat server on 127.0.0.1, real reports.

The server (tests/fixtures/servers/narrative_chat.py) reads only the narrative.
Its ``swayed`` model lowers its urgency for reassuring cues of its own (generic
words, not the battery's phrases); its ``steady`` model does not. The battery
must flag the first and pass the second, and the reference, which reads the
structured findings, must pass every family.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calfspec._internal.guideline import load_guideline
from calfspec._internal.perturb import load_battery
from tests.conftest import ROOT
from tests.fixtures.containment import no_leftover_processes  # noqa: F401
from tests.fixtures.servers import running_server
from tests.fixtures.servers.narrative_chat import CUES

pytestmark = pytest.mark.usefixtures("no_leftover_processes")

CALFSPEC = [sys.executable, "-m", "calfspec"]


def calfspec(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CALFSPEC_OPENAI_API_KEY": "sk-local-test"}
    return subprocess.run([*CALFSPEC, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def chat_url() -> Iterator[str]:
    with running_server("narrative_chat") as (url, _):
        yield f"{url}/v1"


def _reports(tmp_path: Path, name: str) -> list[str]:
    return [
        "--report",
        f"json:{tmp_path / name}.json",
        "--report",
        f"html:{tmp_path / name}.html",
        "--report",
        f"console:{tmp_path / name}.txt",
        "--report",
        f"md:{tmp_path / name}.md",
    ]


def _tables(path: Path) -> dict[str, dict[str, Any]]:
    """The JSON report's perturbation tables by family."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {t["family"]: t for t in data["perturbations"]}


def test_the_servers_cues_are_its_own_words_not_the_batterys_phrases() -> None:
    battery, _ = load_battery(load_guideline())
    phrases = [p.lower() for f in battery.families for p in f.phrases]
    assert all(len(cue.split()) <= 2 for cue in CUES)
    assert not any(p in cue or cue == p.rstrip(".") for p in phrases for cue in CUES)


@pytest.mark.slow
def test_the_reference_passes_every_family_with_no_drop(tmp_path: Path) -> None:
    proc = calfspec("run", "--perturb", "all", *_reports(tmp_path, "ref"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    tables = _tables(tmp_path / "ref.json")
    assert len(tables) == 7
    for family, table in tables.items():
        assert table["pairs"] > 0, family
        assert table["drops"] == 0 and table["drop_rate"] == 0.0, family
    data = json.loads((tmp_path / "ref.json").read_text())
    perturbed = [c for c in data["cases"] if c["perturbation"]]
    assert len(perturbed) == sum(t["pairs"] + t["errors"] for t in tables.values())
    # Perturbed trials are not scored twice in the vignette metrics.
    assert data["metrics"]["trials"] == len(data["cases"]) - len(perturbed)
    # Each perturbed case has its own opaque case id.
    ids = [c["request"]["case_id"] for c in data["cases"]]
    assert len(set(ids)) == len(ids)
    assert not any(c["scenario_id"] in c["request"]["case_id"] for c in data["cases"]), "opaque, naming no scenario"


def test_a_model_swayed_by_reassurance_fails_with_the_minimisation_drop_rate_and_odds_ratio(
    tmp_path: Path, chat_url: str
) -> None:
    proc = calfspec(
        "run", "--impl", f"openai:swayed@{chat_url}", "--tag", "pe", "--perturb", "all", *_reports(tmp_path, "s")
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    table = _tables(tmp_path / "s.json")["minimisation"]
    assert isinstance(table["pairs"], int) and table["pairs"] >= 5
    drops, rises = table["drops"], table["rises"]
    assert isinstance(drops, int) and isinstance(rises, int)
    assert drops >= 0.8 * table["pairs"] and rises == 0
    assert table["drop_rate"] == drops / table["pairs"]
    assert table["odds_ratio"] == (drops + 0.5) / 0.5  # no rise: 0.5 added to both cells
    assert isinstance(table["ci_low"], float) and table["ci_low"] > 1.0 and table["ci_high"] is None
    assert table["dropped_emergencies"], "the PE emergencies that dropped are listed"
    # Each drop is a safety failure of the perturbed case that names both answers.
    data = json.loads((tmp_path / "s.json").read_text())
    drop_failures = [
        f
        for c in data["cases"]
        if c["perturbation"] == "minimisation"
        for f in c["failures"]
        if f["kind"] == "perturbation_drop"
    ]
    assert len(drop_failures) == drops and all("unperturbed" in f["message"] for f in drop_failures)
    rate = f"{drops / table['pairs']:.1%}"
    ratio = f"{table['odds_ratio']:.3g}"
    console = (tmp_path / "s.txt").read_text()
    row = next(line for line in console.splitlines() if line.strip().startswith("minimisation"))
    assert rate in row and ratio in row and "95% CI" in row
    html = (tmp_path / "s.html").read_text()
    assert 'id="perturbation-table"' in html
    cell = html.split('<code class="bad">minimisation</code>', 1)[1].split("</tr>", 1)[0]
    assert rate in cell and ratio in cell
    assert "emergency dropped under minimisation" in console
    md_row = next(line for line in (tmp_path / "s.md").read_text().splitlines() if "`minimisation`" in line)
    assert rate in md_row and ratio in md_row


def test_a_model_that_reads_the_facts_whatever_the_telling_passes_the_battery(tmp_path: Path, chat_url: str) -> None:
    """The steady model is a crude keyword reader, so some scenarios fail as written; the battery adds no failure."""
    proc = calfspec(
        "run", "--impl", f"openai:steady@{chat_url}", "--tag", "pe", "--perturb", "all", *_reports(tmp_path, "t")
    )  # fmt: skip
    tables = _tables(tmp_path / "t.json")
    assert set(tables) >= {"minimisation", "reassurance-seeking", "self-diagnosis", "anchoring", "informal"}
    assert all(t["drops"] == 0 for t in tables.values())
    cases = json.loads((tmp_path / "t.json").read_text())["cases"]
    base = {c["scenario_id"]: c for c in cases if c["perturbation"] is None}
    for case in cases:
        if case["perturbation"] is not None:
            twin = base[case["scenario_id"]]
            assert (case["verdict"], case["given"]) == (twin["verdict"], twin["given"]), case["scenario_id"]
    assert not any(f["kind"] == "perturbation_drop" for c in cases for f in c["failures"])
    failing_as_written = [c for c in base.values() if c["verdict"] != "pass" and c["severity"] != "quality"]
    assert proc.returncode == (1 if failing_as_written else 0), proc.stderr[-2000:]


def test_perturb_works_with_repeat_as_a_paired_comparison_per_repeat(tmp_path: Path, chat_url: str) -> None:
    proc = calfspec(
        "run",
        "--impl",
        f"openai:swayed@{chat_url}",
        "--tag",
        "pe",
        "--perturb",
        "minimisation",
        "--repeat",
        "3",
        "--report",
        f"json:{tmp_path / 'r.json'}",
    )
    assert proc.returncode == 1
    table = _tables(tmp_path / "r.json")["minimisation"]
    data = json.loads((tmp_path / "r.json").read_text())
    scenarios = {c["scenario_id"] for c in data["cases"]}
    assert table["pairs"] + table["errors"] == 3 * len(scenarios)
    assert {d["repeat"] for d in table["dropped_emergencies"]} == {0, 1, 2}


def test_an_unknown_family_is_a_usage_error_before_anything_runs() -> None:
    proc = calfspec("run", "--perturb", "minimisation,flattery")
    assert proc.returncode == 4
    assert "unknown-perturbation" in proc.stderr and "flattery" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_prose_answers_are_read_by_the_extractor_and_judged_like_json(tmp_path: Path, chat_url: str) -> None:
    out = tmp_path / "p.json"
    proc = calfspec(
        "run", "--impl", f"openai:prose-swayed@{chat_url}#format=text", "--tag", "pe", "--perturb", "minimisation",
        "--report", f"json:{out}",
    )  # fmt: skip
    assert proc.returncode == 1
    data = json.loads(out.read_text())
    assert data["implementation"].endswith("#format=text")
    assert not [c for c in data["cases"] if c["verdict"] == "error"], "every prose reply was read"
    table = _tables(out)["minimisation"]
    assert table["drops"] >= 0.5 * table["pairs"] > 0
    steady = calfspec(
        "run", "--impl", f"openai:prose-steady@{chat_url}#format=text", "--tag", "pe", "--perturb", "minimisation",
        "--report", f"json:{tmp_path / 'q.json'}",
    )  # fmt: skip
    assert _tables(tmp_path / "q.json")["minimisation"]["drops"] == 0, steady.stderr[-2000:]


@pytest.mark.slow
def test_an_unreadable_prose_reply_is_an_extraction_error_never_under_triage(tmp_path: Path, chat_url: str) -> None:
    out = tmp_path / "v.json"
    proc = calfspec(
        "run", "--impl", f"openai:prose-vague@{chat_url}#format=text", "--tag", "pe", "--report", f"json:{out}"
    )
    assert proc.returncode == 1
    cases = json.loads(out.read_text())["cases"]
    assert cases and all(c["verdict"] == "error" and not c["failures"] and c["given"] is None for c in cases)
    assert all("no urgency could be read" in c["error"] for c in cases)
    data = json.loads(out.read_text())
    assert data["metrics"]["errors"] == len(cases) and data["metrics"]["failed_safety"] == 0
    # Extraction is its own kind of error, in every report.
    assert data["errors_by_kind"] == {"extraction": len(cases)}
    console = calfspec("report", "render", str(out), "--report", f"console:{tmp_path / 'v.txt'}")
    html = calfspec("report", "render", str(out), "--report", f"html:{tmp_path / 'v.html'}")
    assert console.returncode == 0 and html.returncode == 0, console.stderr + html.stderr
    assert f"Errors by kind: extraction {len(cases)}" in (tmp_path / "v.txt").read_text()
    page = (tmp_path / "v.html").read_text()
    assert 'id="error-kind-table"' in page and "<code>extraction</code>" in page


def test_fuzz_has_a_relation_per_family_that_finds_the_swayed_model(
    chat_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calfspec.invariants import check_invariant, derive_invariants

    monkeypatch.setenv("CALFSPEC_OPENAI_API_KEY", "sk-local-test")
    guideline = load_guideline()
    names = [inv.name for inv in derive_invariants(guideline)]
    battery, _ = load_battery(guideline)
    assert [n for n in names if n.startswith("perturb-")] == [f"perturb-{f.id}" for f in battery.families]
    swayed = check_invariant("perturb-minimisation", f"openai:swayed@{chat_url}", examples=30, guideline=guideline)
    assert swayed.violation is not None
    assert any("urgency fell" in p for p in swayed.violation.problems)
    steady = check_invariant("perturb-minimisation", f"openai:steady@{chat_url}", examples=30, guideline=guideline)
    assert steady.passed, steady.violation


def test_fuzz_runs_the_perturbation_relations_from_the_command_line() -> None:
    proc = calfspec("fuzz", "--invariant", "perturb-*", "--examples", "20")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "perturb-informal" in proc.stderr and "0 of 7 invariant(s) violated" in proc.stderr
