"""One BLAS thread while diagnose computes.

numpy hands dot products and matrix products to a BLAS library (OpenBLAS in numpy's wheels),
which starts a thread per core and keeps them spinning between calls. diagnose's products are
sums over rows (a weighted error, a calibration sum), one per chunk: a second BLAS thread
saves a fraction of a millisecond, and on a busy machine (pyarrow decoding on the other
core, another job) it waits for a core, spins, and costs more than the whole product
(benchmarks/RESULTS.md, "the default report, lighter").

- The command line asks for one thread before numpy is loaded (:func:`blas_threads_for_process`:
  OpenBLAS, MKL and BLIS read their thread count from the environment when they load, scipy's
  own OpenBLAS included), and holds :func:`one_blas_thread` while a command runs.
- ``service.report`` computes under :func:`one_blas_thread`; the caller's limits come back
  when the last report running in the process returns (reports on several threads share one
  limit, counted).
"""
from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LOCK = threading.Lock()
_HELD: list[Any] = []  # the one active threadpoolctl limit, while any report computes
_DEPTH = [0]


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """A context under which the BLAS libraries the process has loaded run on one thread;
    their previous limits come back when the last such context in the process exits (entered
    from several threads, the limit holds until all have left). Uses threadpoolctl (a
    scikit-learn dependency), which finds the BLAS that numpy and scipy loaded whatever its
    vendor.

    >>> import numpy as np
    >>> from threadpoolctl import threadpool_info
    >>> with one_blas_thread():
    ...     sorted({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})
    [1]
    """
    from threadpoolctl import threadpool_limits

    with _LOCK:
        if _DEPTH[0] == 0:
            _HELD.append(threadpool_limits(limits=1, user_api="blas"))
        _DEPTH[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH[0] -= 1
            if _DEPTH[0] == 0:
                _HELD.pop().restore_original_limits()


def blas_threads_for_process() -> None:
    """Ask for one BLAS thread in the environment if numpy is not loaded yet (a library
    reads it when it loads; one loaded earlier is limited by :func:`one_blas_thread`). A
    value the user set is kept. For the command line only: a library must not change its
    caller's environment.

    >>> blas_threads_for_process() is None  # numpy is loaded here: nothing changes
    True
    """
    if "numpy" in sys.modules:
        return
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ.setdefault(name, "1")
