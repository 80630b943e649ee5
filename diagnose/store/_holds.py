"""A live writer's mark on its local files: an exclusive ``flock`` that the writer takes when it
creates a file and keeps until it is done with it, and that :func:`~diagnose.store.prune_blobs`
asks before it removes a temporary file older than an hour (a streamed submit's staging file
can be that old when the submit reads big inputs for longer). The system drops the lock when
the process ends, however it ends: a crashed writer's files are garbage again.
"""
from __future__ import annotations

import os


def hold(fd: int) -> int | None:
    """Mark the local file open at ``fd`` as a live writer's, until :func:`release`: an
    exclusive ``flock`` on a duplicate of ``fd``, which :func:`held` tells prune about and
    the system drops when the process ends (kill -9 too). The descriptor to release, or None
    where the file system takes no locks (then only the file's age protects it).

    >>> import tempfile
    >>> fd, path = tempfile.mkstemp(suffix=".tmp")
    >>> mark = hold(fd); os.close(fd)  # the duplicate keeps holding it
    >>> held(path), release(mark), held(path)
    (True, None, False)
    >>> os.remove(path)
    """
    try:
        import fcntl
    except ImportError:  # (Windows: a file open for writing cannot be removed there anyway)
        return None
    try:
        dup = os.dup(fd)
    except OSError:  # (no descriptor left: the file's age still protects it)
        return None
    try:
        fcntl.flock(dup, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(dup)
        return None
    return dup


def release(mark: int | None) -> None:
    """Let go of a file :func:`hold` marked (``mark``: what it returned; None: nothing to do).

    >>> release(None)
    """
    if mark is not None:
        os.close(mark)


def held(path: str) -> bool:
    """Whether a live writer holds the local file at ``path`` (:func:`hold`; also through a
    hard link to it, as a placed artifact is). A file that cannot be asked counts as not held.

    >>> held("/no/such/file.tmp")
    False
    """
    try:
        import fcntl
    except ImportError:
        return False
    for mode in (os.O_RDONLY, os.O_WRONLY):  # (a network file system may lock only files open for writing)
        try:
            # O_NONBLOCK: a named pipe planted under a staging name must not block the prune
            fd = os.open(path, mode | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False  # (closing the descriptor lets go at once)
        except BlockingIOError:
            return True
        except OSError:
            continue
        finally:
            os.close(fd)
    return False
