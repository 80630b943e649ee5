"""Names that hide or reorder their own text ("Trojan Source"): a file name or a column holding
a right-to-left override (U+202E) and a zero-width space (U+200B). The one message of a refusal
(exit 2) names them written out as escapes, in the order they are stored, never as themselves."""
from __future__ import annotations

import unicodedata

import pytest

import diagnose
from diagnose.exceptions import InputError
from tests.bad_input.cases import binary_rows, csv
from tests.fixtures import row_counts, run_cli

RLO, ZWSP = "\u202e", "\u200b"


def unseen(text: str) -> list[str]:
    """The characters of ``text`` that act or hide instead of showing (oracle: Unicode's categories)."""
    return [f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs")
            and c not in "\n"]


def test_a_missing_file_is_named_with_its_hidden_characters_written_out(tmp_path):
    missing = tmp_path / f"cv_{RLO}vsc.exe{ZWSP}.csv"
    url = f"sqlite:///{tmp_path / 's.db'}"
    result = run_cli(["submit", "--project", "p", "--run", "r", "--train", str(missing), "--cv", str(missing)], url)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert unseen(result.output) == [], ascii(result.output)
    assert "cv_\\u202evsc.exe\\u200b.csv: file not found" in result.output
    assert row_counts(url).get("runs", 0) == 0


def test_a_file_and_columns_with_hidden_characters_are_named_escaped(tmp_path):
    path = tmp_path / f"train_{RLO}vsc.exe{ZWSP}.csv"
    path.write_bytes(csv(f"y_true,y_sc{RLO}ore{ZWSP}", binary_rows()))
    result = run_cli(["report", "--train", str(path), "--cv", str(path)], f"sqlite:///{tmp_path / 's.db'}")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert unseen(result.output) == [], ascii(result.output)
    message = result.output
    assert "train_\\u202evsc.exe\\u200b.csv: missing column" in message
    assert "y_sc\\u202eore\\u200b" in message  # the file's columns, each character in its place
    # the library raises the same message, the names as they are (a program reads them): reading
    # the two escapes back gives it, so nothing else in the message was changed
    with pytest.raises(InputError) as raised:
        diagnose.report(train=path, cv=path)
    assert RLO in str(raised.value) and ZWSP in str(raised.value)
    assert message.replace("\\u202e", RLO).replace("\\u200b", ZWSP) == f"error: {raised.value}\n"
