"""calfspec's internals. Nothing here is public: import from :mod:`calfspec`,
:mod:`calfspec.strategies` or :mod:`calfspec.invariants` instead."""
