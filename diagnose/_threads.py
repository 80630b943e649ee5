"""One BLAS thread while diagnose computes.

numpy hands dot products and matrix products to a BLAS library (OpenBLAS in numpy's wheels),
which starts a thread per core and keeps them spinning between calls. diagnose's products are
sums over rows (a weighted error, a calibration sum), one per chunk: a second BLAS thread
saves a fraction of a millisecond, and on a busy machine (pyarrow decoding on the other
core, another job) it waits for a core, spins, and costs more than the whole product
(measured in benchmarks/RESULTS.md: the 3 x 10M report took 1.4-2.5x the time with
OpenBLAS's default threads). The command line computes under :func:`one_blas_thread`, and
so do the library's entry points that read rows; the limit is lifted when they return.
"""
from __future__ import annotations

from typing import Any


def one_blas_thread() -> Any:
    """A context manager under which BLAS runs on one thread; the previous
    limits come back on exit. Uses threadpoolctl (a scikit-learn dependency), which finds
    the BLAS that numpy and scipy loaded whatever its vendor.

    >>> import numpy as np
    >>> from threadpoolctl import threadpool_info
    >>> with one_blas_thread():
    ...     [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"][:1]
    [1]
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
