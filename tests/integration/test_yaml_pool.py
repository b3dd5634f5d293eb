"""The parallel reader gives what the one-process reader gives, file for file, in real worker processes.

Each check runs a new Python process (single-threaded, as ``calfspec run`` is when it
loads), because pytest-xdist's workers run threads and the pool rightly refuses to
fork there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from calfspec._internal._yaml import MAX_BYTES
from calfspec._internal._yaml_pool import MIN_FILES, WORKERS_ENV

_SCRIPT = """
import json, multiprocessing, sys
from pathlib import Path
from calfspec._internal._yaml_pool import read_docs, workers_for

files = sorted(Path(sys.argv[1]).glob("*.yaml"))
out = {"workers": workers_for(len(files)), "children": 0, "docs": []}
for i, (path, doc) in enumerate(read_docs(files)):
    if i == 0:
        out["children"] = len(multiprocessing.active_children())
    if isinstance(doc, Exception):
        out["docs"].append([path.name, "error", doc.code, doc.render()])
    else:
        out["docs"].append([path.name, "ok", doc.data, doc.locate(("items", 1))])
print(json.dumps(out, default=str))
"""

_BAD = {
    7: ("duplicate", b"id: a\nid: b\n"),
    333: ("alias", b"base: &x {a: 1}\nother: *x\n"),
    500: ("not-utf8", b"id: caf\xe9\n"),
    640: ("syntax", b"id: [unclosed\n"),
    901: ("too-large", b"x: " + b"a" * (MAX_BYTES + 1) + b"\n"),
    1010: ("deep", b"a: " + b"[" * 80 + b"]" * 80 + b"\n"),
}


def _suite(folder: Path, count: int) -> None:
    folder.mkdir()
    for i in range(count):
        body = _BAD[i][1] if i in _BAD else f"id: s{i:05d}\nn: {i}\nitems:\n  - one\n  - 0x{i:x}\n  - '{i}'\n".encode()
        (folder / f"s{i:05d}.yaml").write_bytes(body)


def _read(folder: Path, workers: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**_env(), WORKERS_ENV: workers},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != WORKERS_ENV}


@pytest.mark.slow
def test_worker_processes_read_every_file_as_one_process_does_errors_included(tmp_path: Path) -> None:
    folder = tmp_path / "suite"
    count = MIN_FILES + 100
    _suite(folder, count)

    alone = _read(folder, "0")
    pooled = _read(folder, "2")

    assert alone["workers"] == 0 and alone["children"] == 0
    assert pooled["workers"] == 2 and pooled["children"] == 2, "the pool really ran two worker processes"
    assert pooled["docs"] == alone["docs"], "same data, positions and errors, in the same order"

    docs = pooled["docs"]
    assert isinstance(docs, list) and len(docs) == count
    errors = {i: (d[2], d[3]) for i, d in enumerate(docs) if d[1] == "error"}
    assert set(errors) == set(_BAD), "every unsafe file refused, every other one read"
    assert errors[7][0] == "yaml-duplicate-key" and ":2:" in errors[7][1]
    assert errors[333][0] == "yaml-alias"
    assert errors[500][0] == "yaml-not-utf8"
    assert errors[640][0] == "yaml-syntax"
    assert errors[901][0] == "yaml-too-large"
    assert errors[1010][0] == "yaml-too-deep"
    for i, (_, text) in errors.items():
        assert f"s{i:05d}.yaml" in text, "each error names its file"
    # Positions come back from the text the worker read (items[1] is on line 5, column 5).
    assert docs[0] == ["s00000.yaml", "ok", {"id": "s00000", "n": 0, "items": ["one", 0, "0"]}, [5, 5]]


def test_a_small_suite_or_an_off_switch_reads_in_this_process(tmp_path: Path) -> None:
    folder = tmp_path / "suite"
    _suite(folder, 20)
    small = _read(folder, "")
    assert small["workers"] == 0 and small["children"] == 0
    assert len(small["docs"]) == 20  # type: ignore[arg-type]


@pytest.mark.slow
def test_calfspec_run_reports_the_same_problems_with_and_without_workers(tmp_path: Path) -> None:
    from calfspec._internal.bench.gen_suite import generate_suite

    ids = generate_suite(tmp_path / "suite", MIN_FILES)
    files = sorted((tmp_path / "suite").rglob("*.yaml"))
    assert len(files) == len(ids)
    dup, invalid = files[10], files[-3]
    dup.write_text(dup.read_text(encoding="utf-8") + f"id: {ids[0]}\n", encoding="utf-8")
    invalid.write_text(invalid.read_text(encoding="utf-8").replace("narrative:", "narrativ:", 1), encoding="utf-8")
    calfspec = str(Path(sys.executable).parent / "calfspec")

    def run(workers: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [calfspec, "run", "-q", "--scenarios", str(tmp_path / "suite")],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**_env(), WORKERS_ENV: workers},
        )

    pooled, alone = run("2"), run("0")
    assert pooled.returncode == alone.returncode == 4, pooled.stderr[-2000:]
    assert pooled.stderr == alone.stderr
    assert f"{dup}:" in pooled.stderr and "yaml-duplicate-key" in pooled.stderr
    assert f"{invalid}:" in pooled.stderr and "narrativ" in pooled.stderr


@pytest.mark.slow
def test_ctrl_c_while_workers_parse_exits_2_and_leaves_no_process(tmp_path: Path) -> None:
    import os
    import signal
    import time

    from calfspec._internal.bench.gen_suite import generate_suite

    generate_suite(tmp_path / "suite", 4 * MIN_FILES)
    calfspec = str(Path(sys.executable).parent / "calfspec")
    child = subprocess.Popen(
        [calfspec, "run", "-q", "--scenarios", str(tmp_path / "suite")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**_env(), WORKERS_ENV: "2"},
        start_new_session=True,  # its own process group, as a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    children = Path(f"/proc/{child.pid}/task/{child.pid}/children")
    deadline = time.monotonic() + 60
    while len(children.read_text().split()) < 2:  # both workers forked: they are parsing now
        assert time.monotonic() < deadline and child.poll() is None, "the workers never started"
        time.sleep(0.01)
    os.killpg(child.pid, signal.SIGINT)  # Ctrl-C reaches the whole group, workers included
    _, err = child.communicate(timeout=60)
    assert child.returncode == 2, err[-2000:]
    assert "Traceback" not in err, "no worker printed a traceback"
    left = subprocess.run(["pgrep", "-g", str(child.pid)], capture_output=True, text=True, check=False).stdout
    assert left == "", f"processes left in the group: {left}"
