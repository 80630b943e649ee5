"""User text made safe for where it is shown: the terminal, Markdown, XML, a spreadsheet.

Names of projects, runs, labels, slices and parameters come from users and files. Printed
as they are, an escape code (``ESC[31m``, ``\\r``, ``\\b``) would drive the terminal, a
bidirectional control (U+202E) would reorder the text after it, Markdown would render links,
images and HTML, XML would not parse, and a spreadsheet would run a formula. Each function here
shows the text as the same text instead: a control or format character is written out visibly
(``\\x1b``, ``\\u202e``: :mod:`diagnose._text`, the one definition the progress bar and the
dashboard use too), Markdown characters are backslash-escaped, a formula is turned into text.
"""
from __future__ import annotations

import re
from typing import Any

from .._text import written_out


def visible(text: str, *, keep: str = "") -> str:
    """``text`` with every character that acts instead of showing written out as an escape, except
    the characters in ``keep``: control characters (C0, DEL, C1: ``\\x1b``), format characters
    (bidirectional controls, zero-width spaces, the BOM: ``\\u202e``, ``\\u200b``), line and
    paragraph separators, lone surrogates (``\\udcff``) and U+FFFE/U+FFFF; above U+FFFF
    ``\\U`` and 8 hex digits.

    >>> print(visible("run\\x1b[31mred\\r\\u202eexe.txt\\u200b\\n", keep="\\n"))
    run\\x1b[31mred\\x0d\\u202eexe.txt\\u200b
    <BLANKLINE>
    """
    return written_out(text, keep)


def terminal_text(text: str) -> str:
    """Text for a terminal: control characters, escape codes and bidirectional or zero-width
    characters shown, not obeyed (newlines and tabs of the output itself stay).

    >>> terminal_text("r1\\x1b]0;owned\\x07\\tok\\u202e\\n")
    'r1\\\\x1b]0;owned\\\\x07\\tok\\\\u202e\\n'
    """
    return visible(text, keep="\n\t")


def xml_text(value: Any) -> str:
    """Text that XML 1.0 can hold and a CI page shows as it is: the characters XML forbids
    (control characters other than tab, newline and carriage return, lone surrogates, U+FFFE,
    U+FFFF) and the others that act instead of showing (DEL, C1 controls, bidirectional and
    zero-width characters, line and paragraph separators) written out as escapes.

    >>> xml_text("rule\\x00\\x1b\\u202e ok\\n")
    'rule\\\\x00\\\\x1b\\\\u202e ok\\n'
    """
    return written_out(str(value), "\t\n\r")


# characters Markdown gives a meaning to inside a line: code spans, emphasis, table cells,
# strikethrough, math; '_' only where it can start or end emphasis (not inside a word like
# y_score); ']' only where it would close a link or image ("](", "][", "]:")
_MARKDOWN = re.compile(r"[\\`*|~$]|(?<![^\W_])_|_(?![^\W_])|\](?=[(\[:])")
# '<' only where it would open an HTML tag or comment, '&' where it would start an entity
_HTML = re.compile(r"<(?=[A-Za-z/!?])|&(?=[A-Za-z#])")
_ENTITY = {"<": "&lt;", "&": "&amp;"}
# what starts a block at the beginning of a line: heading, list, quote, setext underline
_BLOCK_START = re.compile(r"^(\s*\d*)([#+\-=>](?<!\d[#+\-=>])|(?<=\d)[.)])")


def markdown_text(value: Any, *, inline: bool = False) -> str:
    r"""User text as literal Markdown: control characters and newlines shown as escapes, Markdown
    characters backslash-escaped, HTML tags and entities written as ``&lt;`` and ``&amp;``. It
    renders as the text itself: no link, image, emphasis, HTML, code span or table cell
    boundary. ``inline``: the text does not start a line (a table cell), so a leading ``-``
    or ``#`` needs no escape.

    >>> print(markdown_text("![x](http://e.vil/a.png) <b>|`a`*y_score*\n"))
    ![x\](http://e.vil/a.png) &lt;b>\|\`a\`\*y_score\*\\x0a
    >>> print(markdown_text("# 1. _x_ <= &amp;"))
    \# 1. \_x\_ <= &amp;amp;
    >>> print(markdown_text("- 0.5", inline=True))
    - 0.5
    """
    text = _MARKDOWN.sub(lambda m: "\\" + m.group(), visible(str(value)))
    text = _HTML.sub(lambda m: _ENTITY[m.group()], text)
    return text if inline else _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def code_span(value: Any) -> str:
    r"""User text as a Markdown code span: fenced with more backticks than it holds, ``|``
    escaped for tables, control characters shown as escapes.

    >>> print(code_span("a`b | c"))
    `` a`b \| c ``
    """
    text = visible(str(value)).replace("|", "\\|")
    if "`" not in text:
        return f"`{text}`"
    fence = "`" * (max(len(run) for run in re.findall("`+", text)) + 1)
    return f"{fence} {text} {fence}"


# a spreadsheet reads a cell starting with these as a formula (OWASP, CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def sheet_text(value: Any) -> Any:
    r"""A cell value for a spreadsheet: text that would start a formula gets a leading ``'``, which
    makes it text; anything that is not a string (a number) is kept as it is.

    >>> sheet_text('=HYPERLINK("http://e.vil")'), sheet_text("-0.5"), sheet_text(-0.5), sheet_text("ok")
    ('\'=HYPERLINK("http://e.vil")', "'-0.5", -0.5, 'ok')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def sheet_frame(frame: Any) -> Any:
    """A copy of a DataFrame for a spreadsheet: in every text column, a cell that would start a
    formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a leading ``'``; numeric
    columns are left alone, so ``-0.5`` stays a number.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"id": ["=1+1", "a7", "@x"], "y_score": [-0.5, 0.2, 0.1], "n": [1, 2, 3]})
    >>> sheet_frame(frame).to_dict("list")
    {'id': ["'=1+1", 'a7', "'@x"], 'y_score': [-0.5, 0.2, 0.1], 'n': [1, 2, 3]}
    """
    import pandas as pd

    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        try:  # a text column (cells that are not strings, such as numbers or nulls, give NA here)
            formula = column.str.startswith(_FORMULA_START).fillna(False).astype(bool)
        except AttributeError:  # no string in the column at all
            continue
        if formula.any():
            out[name] = column.mask(formula, "'" + column[formula].astype(str))
    return out
