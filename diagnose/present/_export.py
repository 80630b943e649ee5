"""Charts written to files: self-contained HTML (the chart library inlined, no CDN, works
offline), PNG or SVG, chosen by the file's extension and written whole or not at all.

The HTML page holds the chart's data in a ``<script>``; names and values from users are
in that data, so the JSON is written with ``<``, ``>`` and ``&`` as ``\\u003c`` and the
like: no value can end the script or open a comment, and JavaScript reads the same text.
"""
from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..exceptions import UsageError

CHART_FORMATS = ("html", "png", "svg")

# characters that could end a <script> element or open an HTML comment inside it, and the
# two line separators JavaScript did not always accept in strings
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}

_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{title}</title>
<script>
{library}
</script>
</head>
<body>
<div id="chart"></div>
<script>
vegaEmbed("#chart", {spec}, {{"mode": "vega-lite", "actions": false}}).catch(console.error);
</script>
</body>
</html>
"""


def script_json(value: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` element: ``<``, ``>``, ``&`` (and U+2028,
    U+2029) are written as ``\\uXXXX`` escapes, which JSON and JavaScript read back unchanged.

    >>> script_json({"name": "</script><!--"})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    >>> json.loads(script_json({"name": "</script><!--"}))["name"]
    '</script><!--'
    """
    text = json.dumps(value, allow_nan=False)
    for char, escaped in _SCRIPT_UNSAFE.items():
        text = text.replace(char, escaped)
    return text


def chart_format(path: str | os.PathLike[str]) -> str:
    """The output format a chart file's extension asks for: ``html``, ``png`` or ``svg``.

    >>> chart_format("curves/lc.PNG")
    'png'
    >>> chart_format("lc.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: cannot write a chart to 'lc.txt': the extension '.txt' is not one of ...
    """
    suffix = Path(path).suffix.lower()
    fmt = {".htm": "html"}.get(suffix, suffix[1:])
    if fmt not in CHART_FORMATS:
        given = f"the extension '{suffix}'" if suffix else "the name has no extension, which"
        raise UsageError(f"cannot write a chart to '{path}': {given} is not one of "
                         f"{', '.join('.' + f for f in CHART_FORMATS)}; name the file e.g. "
                         f"{Path(path).stem or 'chart'}.html")
    return fmt


@lru_cache(maxsize=2)
def _library(vl_version: str | None) -> str:
    """Vega, Vega-Lite and vega-embed as one script (from vl-convert, no download)."""
    import vl_convert

    # the snippet is optional at run time (the default puts vegaEmbed on window); the stub says not
    return vl_convert.javascript_bundle(vl_version=vl_version)  # type: ignore[call-arg]


def _vl_version() -> str | None:
    """The Vega-Lite version Altair writes its specs for, when vl-convert has it (else its newest)."""
    import altair as alt
    import vl_convert

    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vl_convert.get_vegalite_versions() else None


def chart_html(chart: Any) -> str:
    """A whole HTML page that draws ``chart`` with no network: the chart library is inlined and
    the spec escaped for ``<script>``.

    >>> import altair as alt, pandas as pd
    >>> page = chart_html(alt.Chart(pd.DataFrame({"x": ["</script>"], "y": [1]})).mark_bar().encode(x="x", y="y"))
    >>> page.count("</script>"), "\\\\u003c/script\\\\u003e" in page, "https://" in page.split("<script>")[0]
    (2, True, False)
    """
    from html import escape

    spec = chart.to_dict()
    title = spec.get("title") or "diagnose chart"
    if isinstance(title, dict):
        title = title.get("text", "diagnose chart")
    return _PAGE.format(title=escape(str(title)), library=_library(_vl_version()), spec=script_json(spec))


def chart_bytes(chart: Any, fmt: str) -> bytes:
    """The chart as a file's bytes: ``html`` (self-contained page), ``png`` or ``svg`` (drawn by vl-convert).

    >>> import altair as alt, pandas as pd
    >>> chart = alt.Chart(pd.DataFrame({"x": ["a"], "y": [1]})).mark_bar().encode(x="x", y="y")
    >>> chart_bytes(chart, "png")[:8], chart_bytes(chart, "svg")[:4]
    (b'\\x89PNG\\r\\n\\x1a\\n', b'<svg')
    """
    if fmt == "html":
        return chart_html(chart).encode("utf-8")
    import vl_convert

    spec, version = chart.to_dict(), _vl_version()
    if fmt == "png":
        return bytes(vl_convert.vegalite_to_png(spec, vl_version=version, scale=2))
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec, vl_version=version).encode("utf-8")
    raise UsageError(f"unknown chart format '{fmt}'; give one of {', '.join(CHART_FORMATS)}")


def check_chart_path(path: str | os.PathLike[str]) -> str:
    """Refuse, before any work, a chart path that cannot be written: an unknown extension, a
    folder that does not exist, a path that is a folder. Returns the format.

    >>> check_chart_path("/no/such/folder/lc.html")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: cannot write '/no/such/folder/lc.html': the folder ... does not exist; ...
    """
    fmt = chart_format(path)
    target = Path(path).expanduser()
    if target.is_dir():
        raise UsageError(f"cannot write '{path}': it is a folder; give a file name such as "
                         f"{Path(path) / ('chart.' + fmt)}")
    parent = target.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise UsageError(f"cannot write '{path}': the folder '{parent}' {what}; create it first or give another path")
    return fmt


def write_chart(chart: Any, path: str | os.PathLike[str]) -> None:
    """Write ``chart`` to ``path`` as its extension says (.html, .png, .svg): drawn first, then
    written to a temporary file beside it and renamed, so a failure leaves no partial file.

    >>> import os, tempfile, altair as alt, pandas as pd
    >>> chart = alt.Chart(pd.DataFrame({"x": ["a"], "y": [1]})).mark_bar().encode(x="x", y="y")
    >>> folder = tempfile.mkdtemp()
    >>> write_chart(chart, os.path.join(folder, "c.svg"))
    >>> os.listdir(folder)
    ['c.svg']
    """
    fmt = check_chart_path(path)
    data = chart_bytes(chart, fmt)
    target = Path(path).expanduser()
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise UsageError(f"cannot write '{path}': {exc.strerror or exc}; give a path you may write to") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _umask() -> int:
    # mkstemp makes the file private (0600); a chart is written with the user's usual permissions
    mask = os.umask(0)
    os.umask(mask)
    return mask
