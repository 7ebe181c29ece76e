"""The long-running processes' garbage collector, tuned once they are built.

A web worker or a job worker holds about 200,000 objects from start-up (the
app, its mappers, schemas and templates) that live as long as the process.
CPython's collector still walks them all in every full collection: 120 ms
each on the 2-CPU bench machine, and a page of 50 orders allocates enough to
trigger one every few hundred requests. That pause was the p99 of the list
endpoints, for the bare bench app as for Baton (bench/README.md).
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Moves every object alive now out of the collector's sight for good.

    Called once a process has built its app and before it serves: what the
    start-up left as garbage is collected first, so nothing is frozen that
    could have been freed; later objects are collected as before."""
    gc.collect()
    gc.freeze()
