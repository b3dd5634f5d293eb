"""The one place calfspec's version is written.

Hatch reads it for the wheel's metadata (``[tool.hatch.version]`` in pyproject.toml) and
:data:`calfspec.__version__` re-exports it; internal modules that report the version (the
``hello`` line, the HTTP user agent, result files, the matrix page) import it from here,
so that none of them imports the package root. It imports nothing, so importing it costs nothing.
"""

__version__ = "0.1.0"
