"""User text made safe for where it is shown: the terminal, Markdown, XML, a spreadsheet.

Names of projects, runs, labels, slices and parameters come from users and files. Printed
as they are, an escape code (``ESC[31m``, ``\\r``, ``\\b``) would drive the terminal, Markdown
would render links, images and HTML, XML would not parse, and a spreadsheet would run a
formula. Each function here shows the text as the same text instead: a control character
is written out visibly (``\\x1b``), Markdown characters are backslash-escaped, a formula is
turned into text.
"""
from __future__ import annotations

import re
from typing import Any

# C0 controls, DEL and C1 controls; lone surrogates (undecodable bytes that Python kept as
# U+DC80..U+DCFF) and the two non-characters XML forbids
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# what XML 1.0 refuses: every C0 control but tab, newline and carriage return; surrogates; U+FFFE/F
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _show(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, keep: str = "") -> str:
    """``text`` with every control character (C0, DEL, C1) and lone surrogate written out as an
    escape (``\\x1b``, ``\\udcff``), except the characters in ``keep``.

    >>> print(visible("run\\x1b[31mred\\r\\n", keep="\\n"))
    run\\x1b[31mred\\x0d
    <BLANKLINE>
    """
    if keep:
        return "".join(_show_unless(part, keep) for part in re.split(f"([{re.escape(keep)}])", text))
    return _CONTROLS.sub(_show, text)


def _show_unless(part: str, keep: str) -> str:
    return part if len(part) == 1 and part in keep else _CONTROLS.sub(_show, part)


def terminal_text(text: str) -> str:
    """Text for a terminal: control characters and escape codes shown, not obeyed (newlines and
    tabs of the output itself stay).

    >>> terminal_text("r1\\x1b]0;owned\\x07\\tok\\n")
    'r1\\\\x1b]0;owned\\\\x07\\tok\\n'
    """
    return visible(text, keep="\n\t")


def xml_text(value: Any) -> str:
    """Text that XML 1.0 can hold: the characters it forbids (control characters other than tab,
    newline and carriage return, lone surrogates, U+FFFE, U+FFFF) written out as escapes.

    >>> xml_text("rule\\x00\\x1b ok\\n")
    'rule\\\\x00\\\\x1b ok\\n'
    """
    return _XML_FORBIDDEN.sub(_show, str(value))


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
