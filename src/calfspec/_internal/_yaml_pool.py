"""Read and parse many YAML files on every core, for suites of thousands of scenarios.

Parsing is most of what loading a large suite costs (libyaml builds a Python node
for every YAML node, about 150-250 µs for a 2 KiB scenario file), and each file is
parsed on its own. :func:`read_docs` hands the files to worker processes in
chunks and gives back, in file order, what :func:`calfspec._internal._yaml.load_yaml`
would have: a :class:`~calfspec._internal._yaml.YamlDoc` (data and text; positions
are found again from the text when asked) or the :class:`~calfspec._internal.errors.YamlError`.
The caller validates while the workers go on parsing, so the two overlap.

Every guarantee of ``load_yaml`` holds because the workers *are* ``load_yaml``:
the size limit, the UTF-8 check, duplicate keys, anchors and aliases, depth and
number limits. A file a worker could not read is read again in this process, so
its error is the one ``load_yaml`` raises, with its path, line and hint, never a
pickled copy.

The pool is used only where it is safe and pays:

* at least :data:`MIN_FILES` files and two usable cores (``os.sched_getaffinity``);
* the ``fork`` start method exists (Linux and other POSIX systems): a forked worker
  starts in milliseconds with everything already imported;
* this process runs a single thread. Forking a process with other threads can copy
  a lock one of them holds, and the child would wait for it for ever; a program that
  calls :func:`calfspec.run` from a thread pool, or pytest-xdist's workers, read the
  files in this process instead;
* ``CALFSPEC_LOAD_WORKERS`` is not ``0`` or ``1`` (it sets the number of workers;
  ``0`` or ``1`` turns the pool off).

Workers ignore SIGINT: Ctrl-C reaches this process, which terminates the pool and
raises ``KeyboardInterrupt`` as before, with no traceback from a worker. They
take SIGTERM's default action, whatever handler this process installed, so
terminating the pool always ends them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ._yaml import YamlDoc, load_yaml
from .errors import YamlError

__all__ = ["MIN_FILES", "WORKERS_ENV", "read_docs", "workers_for"]

MIN_FILES = 1_000
"""Fewer files than this are read in this process: starting workers would cost more than it saves."""

WORKERS_ENV = "CALFSPEC_LOAD_WORKERS"
"""Environment variable: how many worker processes read the files (``0`` or ``1``: none)."""

_CHUNK = 64
"""Files per task: large enough that the pipe costs little, small enough to keep both cores busy to the end."""

_FAILED = None
"""A worker's answer for a file it could not load: this process reads that file again for the error."""


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _single_threaded() -> bool:
    return threading.active_count() == 1


def workers_for(count: int) -> int:
    """How many worker processes should read ``count`` files here (0: read them in this process)."""
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    if wanted:
        try:
            workers = int(wanted)
        except ValueError:
            workers = 0  # a typo must not start an unbounded pool; read in process
    else:
        workers = min(_usable_cores(), 4) if count >= MIN_FILES else 0
    if workers < 2:
        return 0
    if "fork" not in multiprocessing.get_all_start_methods() or not _single_threaded():
        return 0
    return workers


def _worker_signals() -> None:
    # Ctrl-C is this process's to handle; SIGTERM (Pool.terminate) must end a worker even
    # where the parent installed a handler of its own (`calfspec run` treats it as Ctrl-C).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _read_chunk(paths: Sequence[str]) -> list[tuple[str, Any] | None]:
    """In a worker: each file's text and data, or :data:`_FAILED` where ``load_yaml`` refused it."""
    out: list[tuple[str, Any] | None] = []
    for path in paths:
        try:
            doc = load_yaml(path)
        except YamlError:
            out.append(_FAILED)
            continue
        assert doc.text is not None  # load_yaml keeps the text it parsed
        out.append((doc.text, doc.data))
    return out


def _read_here(path: Path) -> YamlDoc | YamlError:
    try:
        return load_yaml(path)
    except YamlError as exc:
        return exc


def read_docs(files: Sequence[Path]) -> Iterator[tuple[Path, YamlDoc | YamlError]]:
    """Each file with its parsed document or its error, in the order given.

    Positions are not built (they are found from the text when asked). With no
    workers to use (:func:`workers_for`) the files are read one after another here.
    """
    workers = workers_for(len(files))
    if not workers:
        for path in files:
            yield path, _read_here(path)
        return
    names = [str(p) for p in files]
    chunks = [names[i : i + _CHUNK] for i in range(0, len(names), _CHUNK)]
    context = multiprocessing.get_context("fork")
    pool = context.Pool(workers, initializer=_worker_signals)
    try:
        index = 0
        for answers in pool.imap(_read_chunk, chunks):
            for answer in answers:
                path = files[index]
                index += 1
                if answer is _FAILED:
                    yield path, _read_here(path)
                else:
                    text, data = answer
                    yield path, YamlDoc(str(path), data, text=text)
        pool.close()  # every task done: the workers exit on their own
    except BaseException:  # Ctrl-C, or the caller stopped early (GeneratorExit)
        pool.terminate()
        raise
    finally:
        pool.join()
