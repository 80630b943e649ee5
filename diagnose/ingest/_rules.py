"""Reading a gate's rule file (TOML) into plain data; the gate checks the rules' syntax."""
from __future__ import annotations

import os
from typing import Any

from ..exceptions import InputError, UsageError
from ._files import regular_file

# a rule file is a short list of rules: anything far larger or deeper is not one
MAX_RULE_FILE_BYTES = 1_000_000
MAX_RULE_DEPTH = 20


def read_rule_file(path: str | os.PathLike) -> dict[str, Any]:
    """The TOML of a rule file as a dict; a missing file or bad TOML is bad usage.

    The path must name a regular file (a pipe is refused before it is opened, so reading
    never blocks), of at most 1 MB, nested at most 20 levels deep.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "rules.toml"
    >>> _ = p.write_text('rules = ["cv.error <= 0.1"]')
    >>> read_rule_file(p)
    {'rules': ['cv.error <= 0.1']}
    >>> _ = p.write_text("rules = " + "[" * 30 + "]" * 30)
    >>> read_rule_file(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: .../rules.toml: the rule file nests lists or tables more than 20 levels deep...
    """
    import tomllib

    name = str(path)
    try:
        size = regular_file(path, name, what="a TOML rule file")
    except InputError as exc:
        problem = "rule file not found" if exc.problem == "file not found" else f"the rule file {exc.problem}"
        raise UsageError(f"{name}: {problem}" + (f". {exc.fix}" if exc.fix else "")) from None
    if size > MAX_RULE_FILE_BYTES:
        raise UsageError(f"{name}: the rule file has {size:,} bytes; a rule file is a short TOML list of rules "
                         f"(at most {MAX_RULE_FILE_BYTES:,} bytes). Check that this is the rule file")
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{name}: not valid TOML ({exc})") from None
    except RecursionError:
        data = None
    if data is None or _depth(data) > MAX_RULE_DEPTH:
        raise UsageError(f"{name}: the rule file nests lists or tables more than {MAX_RULE_DEPTH} levels deep; "
                         "write the rules as a flat list (rules = [\"cv.error <= 0.1\"])")
    return data


def _depth(value: Any) -> int:
    """How deep lists and tables nest (without recursion, so any depth can be measured)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_RULE_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest
