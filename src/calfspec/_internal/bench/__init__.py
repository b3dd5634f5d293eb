"""``calfspec bench``: what the harness costs beside what the implementation itself costs.

:mod:`.measure` takes the measurements, :mod:`.output` prints them. The helper
processes a measurement starts (:mod:`.trivial_jsonl`, :mod:`.slow_http_server`)
are standalone scripts run by path (standard library only, so starting one is
as cheap as starting Python); :mod:`.impls` holds the function the in-process
rows call; :mod:`.gen_suite` writes the large suite of the scale rows.
"""
