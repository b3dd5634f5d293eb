"""Write a large scenario suite by copying a real one under new ids (for scale runs).

``python -m calfspec._internal.bench.gen_suite OUT_DIR 10000`` writes 10,000 scenario files
under ``OUT_DIR/cases/``: the bundled scenarios (or ``--from DIR``) in turn,
each copy with ``-copy-NNNNN`` appended to its id. The text is otherwise the
file as written, so the generated suite is as hard to load as the real one
and a correct implementation passes it exactly as it passes the original.
Files go 500 to a folder, as a big real suite would be laid out.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

__all__ = ["generate_suite"]

_ID_LINE = re.compile(r"^id: *(\S+) *$", re.M)
_PER_FOLDER = 500


def _sources(source: Path) -> list[tuple[str, str]]:
    """(id, text) of every scenario file under ``source``, sorted by path."""
    base = source / "cases" if (source / "cases").is_dir() else source
    out = []
    for path in sorted(base.rglob("*.yaml")):
        if "signoffs" in path.parts or path.name in ("reviewers.yaml", "reviewers.yml"):
            continue
        text = path.read_text(encoding="utf-8")
        found = _ID_LINE.search(text)
        if found is None:
            raise ValueError(f"{path}: no top-level 'id:' line to rewrite")
        out.append((found.group(1), text))
    if not out:
        raise ValueError(f"{source}: no scenario files")
    return out


def generate_suite(out_dir: Path, count: int, source: Path | None = None) -> list[str]:
    """Write ``count`` scenario files under ``out_dir/cases``; returns their ids in order.

    ``source`` defaults to the bundled suite. Copy ``i`` is the ``i mod n``-th
    source scenario with id ``<id>-copy-<i>``, so ids are unique and stable.
    """
    if source is None:
        from ..guideline import data_dir

        source = data_dir("scenarios")
    scenarios = _sources(source)
    width = len(str(max(count - 1, 0)))
    ids: list[str] = []
    cases = out_dir / "cases"
    for i in range(count):
        original, text = scenarios[i % len(scenarios)]
        new_id = f"{original}-copy-{i:0{width}d}"
        if len(new_id) > 80:  # the Id limit: shorten the original, keep the unique suffix
            new_id = f"{original[: 80 - len(new_id) + len(original)]}-copy-{i:0{width}d}".replace("--", "-")
        folder = cases / f"part-{i // _PER_FOLDER:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{new_id}.yaml").write_text(_ID_LINE.sub(f"id: {new_id}", text, count=1), encoding="utf-8")
        ids.append(new_id)
    return ids


def main(argv: list[str] | None = None) -> int:
    """Command line: ``gen_suite.py OUT_DIR COUNT [--from DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--from", dest="source", type=Path, default=None, help="scenario folder to copy")
    args = parser.parse_args(argv)
    ids = generate_suite(args.out_dir, args.count, args.source)
    print(f"wrote {len(ids)} scenarios under {args.out_dir / 'cases'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
