"""Keyed row hashes: the randomness that depends on a row's id and a seed only.

A row's key is a 64-bit hash of (seed, id) (scheme ``hash-v1``, see :func:`sample_keys`),
so whatever is drawn from it (the error sample's order, a bootstrap replicate's weight)
depends on the ids and the seed, never on row order, chunking or engine.
"""
from __future__ import annotations

import numpy as np

HASH_SCHEME = "hash-v1"  # the keys of (seed, id): changes only with a new scheme name
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mix64(z: np.ndarray, *, copy: bool = True) -> np.ndarray:
    """splitmix64's finaliser (Steele, Lea and Flood 2014): a bijection of 64-bit words
    that spreads every input bit over the output. ``copy=False``: in place, when ``z`` is
    already a uint64 array the caller no longer needs.

    >>> mix64(np.array([0, 1], np.uint64)).tolist()
    [0, 6238072747940578789]
    """
    z = np.array(z, dtype=np.uint64, copy=True if copy else None)
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def sample_keys(ids: np.ndarray, seed: int) -> np.ndarray:
    """A keyed 64-bit hash of (seed, id) per row (scheme ``hash-v1``). It depends on the
    ids and the seed only, never on row order, chunking or engine. Integer ids go through
    splitmix64 (Steele, Lea and Flood 2014); other ids through pandas' keyed SipHash of
    their text.

    >>> sample_keys(np.array([1, 2, 3]), seed=0).tolist() == sample_keys(np.array([1, 2, 3]), 0).tolist()
    True
    >>> bool(np.all(sample_keys(np.array([3, 1]), 0) == sample_keys(np.array([1, 3]), 0)[::-1]))
    True
    >>> bool(sample_keys(np.array([1]), 0)[0] != sample_keys(np.array([1]), 1)[0])
    True
    """
    key = mix64(np.array([np.uint64(int(seed) % 2**64)]) + _GOLDEN)[0]
    ids = np.asarray(ids)
    with np.errstate(over="ignore"):
        if ids.dtype.kind in "iub":
            return mix64(ids.astype(np.int64).view(np.uint64) * _GOLDEN + key, copy=False)
        if ids.dtype.kind == "f":
            return mix64(ids.astype(np.float64).view(np.uint64) * _GOLDEN + key, copy=False)
    import pandas as pd

    text = ids.astype(str).astype(object)
    return pd.util.hash_array(text, hash_key=f"{int(key):016x}"[:16])
