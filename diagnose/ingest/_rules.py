"""Reading a gate's rule file (TOML) into plain data; the gate checks the rules' syntax."""
from __future__ import annotations

import os
from typing import Any

from ..exceptions import UsageError


def read_rule_file(path: str | os.PathLike) -> dict[str, Any]:
    """The TOML of a rule file as a dict; a missing file or bad TOML is bad usage.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "rules.toml"
    >>> _ = p.write_text('rules = ["cv.error <= 0.1"]')
    >>> read_rule_file(p)
    {'rules': ['cv.error <= 0.1']}
    """
    import tomllib

    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise UsageError(f"{path}: rule file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None
