"""Characters that act instead of showing, written out as escapes: the one definition that the
terminal (:func:`diagnose.present.visible`, :func:`diagnose.present.terminal_text`), Markdown
and JUnit XML (diagnose.present), the progress bar (:class:`diagnose.ingest.ProgressBar`) and
the dashboard (``dashboard.ui.visible``) use.

A control character drives a terminal (``ESC[31m``, ``\\r``), a bidirectional control
(U+202E, U+2066-2069, U+061C) reorders what follows it ("Trojan Source"), a zero-width space,
joiner or the BOM hides inside a name, a line or paragraph separator breaks the line. Each is
written as Python writes it in a string (``\\x1b``, ``\\u202e``, ``\\U000e0041``), so that the
name shows as itself. It is a base module: ingest, present and the dashboard all import it.
"""
from __future__ import annotations

import re
from functools import lru_cache

# every character of category Cc (controls), Cf (format: bidirectional controls, zero-width
# spaces and joiners, the BOM, soft hyphen, tags...), Zl and Zp of Unicode 14.0 (Python 3.11),
# written out (deriving it by scanning every code point costs 0.19 s at import);
# tests/present/test_escape.py checks it against unicodedata.category over every code point
ACTING = ("\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
          "\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
          "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
          "\U000e0001\U000e0020-\U000e007f")
# what is no text at all: lone surrogates (undecodable bytes Python kept as U+DC80..U+DCFF,
# which UTF-8 cannot encode) and the two noncharacters XML forbids, U+FFFE and U+FFFF
NOT_TEXT = "\ud800-\udfff\ufffe\uffff"


def escape(char: str) -> str:
    """One character as Python writes it in a string: ``\\x`` and 2 hex digits below U+0100,
    ``\\u`` and 4 up to U+FFFF, ``\\U`` and 8 above (``\\r`` is written ``\\x0d``).

    >>> print(escape("\\x1b"), escape("\\r"), escape("\\u202e"), escape("\\U000e0041"))
    \\x1b \\x0d \\u202e \\U000e0041
    """
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _ranges(chars: str) -> list[tuple[int, int]]:
    """The (first, last) code points of a character class's body such as :data:`ACTING`."""
    out, i = [], 0
    while i < len(chars):
        if i + 2 < len(chars) and chars[i + 1] == "-":
            out.append((ord(chars[i]), ord(chars[i + 2])))
            i += 3
        else:
            out.append((ord(chars[i]), ord(chars[i])))
            i += 1
    return out


@lru_cache(maxsize=16)
def _pattern(keep: str) -> re.Pattern[str]:
    """One character class of what is written out, the characters of ``keep`` cut out of its
    ranges (a lookahead or a split per kept character costs a terminal's long text 1.5-2x)."""
    parts = []
    for first, last in _ranges(ACTING + NOT_TEXT):
        for code in sorted({ord(c) for c in keep if first <= ord(c) <= last}):
            if first < code:
                parts.append((first, code - 1))
            first = code + 1
        if first <= last:
            parts.append((first, last))
    return re.compile("[" + "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in parts) + "]")


def _escape_match(match: re.Match[str]) -> str:
    return escape(match.group())


def written_out(text: str, keep: str = "") -> str:
    """``text`` with every character that acts instead of showing (:data:`ACTING`) and every
    lone surrogate or noncharacter (:data:`NOT_TEXT`) written out with :func:`escape`, except
    the characters in ``keep`` (a terminal's own newlines and tabs).

    >>> print(written_out("run\\x1b[31m\\u202eexe.txt\\u200b\\udcff\\n", keep="\\n"))
    run\\x1b[31m\\u202eexe.txt\\u200b\\udcff
    <BLANKLINE>
    """
    return _pattern(keep).sub(_escape_match, text)
