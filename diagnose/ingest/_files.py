"""What a path must be before it is read: a regular file one may read (not a folder, a pipe,
a device or a link that loops), checked before it is opened so that reading never blocks."""
from __future__ import annotations

import errno
import os
import stat

from ..exceptions import InputError


def regular_file(path: str | os.PathLike, name: str, *, what: str) -> int:
    """The size of the regular file at ``path``; anything else (missing, a folder, a pipe, a
    device, a symbolic link that loops, no permission) is refused before it is opened, so
    that reading never blocks on a pipe.

    >>> import tempfile
    >>> regular_file(tempfile.gettempdir(), "tmp", what="a CSV file")
    Traceback (most recent call last):
    ...
    diagnose.exceptions.InputError: tmp: is a folder, not a file. Give a CSV file
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError("file not found", file=name, fix="Check the path") from None
    except PermissionError:
        raise InputError("cannot be read (permission denied)", file=name,
                         fix="Give a file you may read, or change its permissions") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("is a symbolic link that points back to itself (a loop)", file=name,
                             fix=f"Point the link at {what}, or give the file's own path") from None
        raise InputError(f"cannot be read ({exc.strerror or type(exc).__name__})", file=name,
                         fix="Check the path") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a folder, not a file", file=name, fix=f"Give {what}")
    if not stat.S_ISREG(info.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "a device")
        raise InputError(f"is {kind}, not a regular file", file=name,
                         fix=f"Save the content to a file first and give {what}")
    if not os.access(path, os.R_OK):
        raise InputError("cannot be read (permission denied)", file=name,
                         fix="Give a file you may read, or change its permissions")
    return info.st_size
