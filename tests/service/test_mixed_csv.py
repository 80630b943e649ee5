"""CSV columns whose kind changes after the first block (issue 15): ids that are integers for
the first rows and text later are read by the streaming engines as the memory engine reads
them (text in every row, hashed by their text), so the reports and the stored runs are the
memory engine's; a score column that turns to text gets the memory engine's message; a
duplicate id across the parts of a folder is named by part file and row.

The streaming reader's first block (which types the columns) and its blocks of text are cut
to 4 KiB here, so that a few thousand rows hold many blocks and the first ones hold integers only."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from diagnose import service, store
from diagnose.cli import main
from diagnose.exceptions import InputError
from diagnose.ingest import Columns
from diagnose.service import _inputs
from diagnose.service._ids import UniqueIds
from diagnose.service._inputs import Input, batches
from tests.stats.test_engines import check

N = 3000  # rows a split; the last TAIL rows' ids are of another kind
TAIL = 100


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(_inputs, "CSV_BLOCK", 1 << 12)  # 4 KiB: the first block holds ~150 rows
    monkeypatch.setattr(_inputs, "TEXT_BLOCK", 1 << 12)  # and the text is parsed 4 KiB at a time
    monkeypatch.setattr(_inputs, "BATCH_ROWS", 97)


def _ids(kind: str) -> list[str]:
    tail = {"text": [f"a-{i}" for i in range(1, TAIL + 1)], "float": [f"{i}.5" for i in range(N, N + TAIL)]}[kind]
    return [str(i) for i in range(1, N - TAIL + 1)] + tail


def mixed_files(folder, kind: str = "text", seed: int = 0) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    paths = {}
    for split in ("train", "cv", "test"):
        y = rng.integers(0, 2, N)
        # weighted rows: the bootstrap draws each row's replicate weights from the hash of its id
        frame = pd.DataFrame({"id": _ids(kind), "y_true": y, "y_score": np.clip(0.3 * y + 0.7 * rng.random(N), 0, 1),
                              "weight": rng.choice([0.5, 1.0, 2.0], N)})
        paths[split] = str(folder / f"{split}.csv")
        frame.to_csv(paths[split], index=False, float_format="%.3f")
    return paths


@pytest.mark.parametrize("kind", ["text", "float"])
def test_ids_that_change_kind_give_the_memory_report_on_every_engine(tmp_path, small_blocks, scheduler, kind):
    paths = mixed_files(tmp_path, kind)
    # the reader's first block holds integer ids only: that is the type it would keep
    assert Input.of(paths["cv"]).csv_schema(Columns()).field("id").type == pa.int64()
    memory = service.report(**paths, engine="memory", bootstrap=40, seed=3)
    want = memory.sections["threshold"].bootstrap
    assert want.reps == 40 and want.sampling == "poisson-hash-v1"
    for engine in ("arrow", "dask"):
        streamed = service.report(**paths, engine=engine, bootstrap=40, seed=3, scheduler=scheduler)
        listed = check(memory, streamed, engine)
        assert "threshold.bootstrap" not in listed
        # the replicates are keyed by the ids' hashes: the ids hashed as the memory engine reads them
        assert streamed.sections["threshold"].bootstrap == want, engine
    # and those are not the replicates of integer ids: with the tail's ids dropped (all integers
    # then), the same rows' replicates differ
    ints = {s: pd.read_csv(p).assign(id=lambda f: np.arange(1, N + 1)) for s, p in paths.items()}
    other = service.report(**ints, engine="memory", bootstrap=40, seed=3).sections["threshold"].bootstrap
    assert other != want


def test_the_id_type_is_kept_for_the_next_reading_of_the_same_files(tmp_path, small_blocks):
    paths = mixed_files(tmp_path)
    source = Input.of(paths["cv"])
    cols = Columns()
    list(batches(source, ["y_true", "y_score"], cols))  # a statistics pass converts the ids too
    assert source.types.loosened == {"id": pa.string()} and "id" in source.types.checked
    again = Input.of(paths["cv"])  # another reading of the same files (the streamed submit's tables)
    ids = pa.concat_arrays([b.column("id") for _, _, b in batches(again, ["id"], cols)])
    assert ids.type == pa.string() and ids.to_pylist() == _ids("text")


def test_a_pass_of_ids_alone_reads_their_type_first(tmp_path, small_blocks):
    # no statistics pass before (the dask engine's bootstrap reads ids with pyarrow): the ids'
    # type is found before any batch is given, so every batch has the same type
    paths = mixed_files(tmp_path)
    read = [b for _, _, b in batches(Input.of(paths["cv"]), ["id", "y_score"], Columns())]
    assert {b.schema.field("id").type for b in read} == {pa.string()}
    assert sum(b.num_rows for b in read) == N


@pytest.mark.parametrize("where", ["artifact folder", "database"])
def test_a_streamed_submit_of_mixed_ids_stores_the_memory_submit(tmp_path, small_blocks, monkeypatch, where):
    # tables in the database: they are written before the report, so their columns' types are
    # read first (no statistics pass has found them yet)
    if where == "database":
        monkeypatch.setenv("DIAGNOSE_ARTIFACT_URL", "database")
    paths = mixed_files(tmp_path)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with service.session(url) as s, s.begin():
        _, streamed = service.submit_streamed(s, project="p", run="arrow", **paths, bootstrap=40)
        prepared = service.prepare_run(**paths, bootstrap=40)
        service.submit_prepared(s, prepared, project="p", run="memory")
    check(prepared.report, streamed, "arrow")
    assert streamed.sections["threshold"].bootstrap == prepared.report.sections["threshold"].bootstrap
    with service.session(url) as s:
        a, m = store.load_run_splits(s, "p", "arrow"), store.load_run_splits(s, "p", "memory")
        for split in ("train", "cv", "test"):
            x, y = getattr(a, split).table, getattr(m, split).table
            assert x.schema.field("id").type == pa.string() and x.combine_chunks().equals(y.combine_chunks())
    # the CLI's submit and report, arrow engine: exit 0
    for args in (["submit", "--project", "p", "--run", "cli"], ["report"]):
        result = CliRunner().invoke(main, [*args, "--train", paths["train"], "--cv", paths["cv"], "--engine", "arrow"],
                                    env={"DIAGNOSE_DATABASE_URL": url})
        assert result.exit_code == 0, result.output


def test_other_columns_that_change_kind(tmp_path, small_blocks):
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, N)
    # a score that is 0 or 1 for the first rows and a fraction later: float64, as in memory
    frame = pd.DataFrame({"id": np.arange(N), "y_true": y, "y_score": [str(v) for v in y[:-TAIL]] + ["0.25"] * TAIL,
                          "note": [str(i) for i in range(N - TAIL)] + ["text"] * TAIL})
    frame.to_csv(tmp_path / "t.csv", index=False)
    paths = {"train": str(tmp_path / "t.csv"), "cv": str(tmp_path / "t.csv")}
    check(service.report(**paths, engine="memory"), service.report(**paths, engine="arrow"), "arrow")
    url = f"sqlite:///{tmp_path / 'store.db'}"  # a column no statistic reads is stored as the memory submit stores it
    with service.session(url) as s, s.begin():
        service.submit_streamed(s, project="p", run="arrow", **paths)
        service.submit_prepared(s, service.prepare_run(**paths), project="p", run="memory")
    with service.session(url) as s:
        x, y_ = (store.load_run_splits(s, "p", r).cv.table.combine_chunks() for r in ("arrow", "memory"))
        assert x.schema.field("note").type == pa.string() and x.equals(y_)


@pytest.mark.parametrize("engine", ["memory", "arrow", "dask"])
def test_a_score_that_turns_to_text_gets_the_memory_message(tmp_path, small_blocks, scheduler, engine):
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, N)
    frame = pd.DataFrame({"id": np.arange(N), "y_true": y, "y_score": [str(v) for v in y[:-TAIL]] + ["cat"] * TAIL})
    frame.to_csv(tmp_path / "t.csv", index=False)
    # the dask engine on the fixture's cluster: a local cluster's workers start from a fork server,
    # which runs this process's __main__ again (tests/cli/test_local_cluster.py runs one from a clean process)
    address = ["--scheduler", scheduler] if engine == "dask" else []
    result = CliRunner().invoke(main, ["report", "--train", str(tmp_path / "t.csv"), "--cv", str(tmp_path / "t.csv"),
                                       "--engine", engine, *address])
    assert result.exit_code == 2, result.output
    assert (f"t.csv: column 'y_score' must hold a probability on every row, but holds text; "
            f"rows {', '.join(str(r) for r in range(N - TAIL + 1, N - TAIL + 6))} hold 'cat'") in result.output
    assert "conversion error" not in result.output and "Traceback" not in result.output


def test_duplicate_ids_of_several_parts_are_named_by_part_and_row():
    u = UniqueIds("cv/", "id")
    u.add(pa.array([5, 7, 9]), np.arange(1, 4), part="cv/part-0.csv")
    u.add(pa.array([1, 7]), np.arange(1, 3), part="cv/part-1.csv")
    reread = [(np.arange(1, 4), pa.array([5, 7, 9]), "cv/part-0.csv"),
              (np.arange(1, 3), pa.array([1, 7]), "cv/part-1.csv")]
    with pytest.raises(InputError) as err:
        u.check(lambda: iter(reread))
    assert str(err.value) == ("cv/: column 'id' has duplicate ids: cv/part-0.csv row 2, cv/part-1.csv row 2 hold 7, 7. "
                              "Give each row of a split its own id")
    # one file: the memory engine's message, rows of the file
    u = UniqueIds("cv.csv", "id")
    u.add(pa.array(["a", "b", "a"]), np.arange(1, 4), part="cv.csv")
    with pytest.raises(InputError, match=r"^cv.csv: column 'id' has duplicate ids; rows 1, 3 hold 'a', 'a'\."):
        u.check(lambda: iter([(np.arange(1, 4), pa.array(["a", "b", "a"]), "cv.csv")]))


def test_a_streamed_submit_names_the_part_of_a_duplicate_id(tmp_path):
    from diagnose.service._streamed_submit import prepare_streamed

    (tmp_path / "cv").mkdir()
    for i, ids in enumerate(([1, 2, 7], [7, 8])):
        pd.DataFrame({"id": ids, "y_true": [0, 1, 0][:len(ids)], "y_score": 0.5}).to_csv(tmp_path / f"cv/part-{i}.csv",
                                                                                       index=False)
    pd.DataFrame({"id": [1, 2], "y_true": [0, 1], "y_score": 0.5}).to_csv(tmp_path / "train.csv", index=False)
    with pytest.raises(InputError) as err:
        prepare_streamed(str(tmp_path / "train.csv"), str(tmp_path / "cv"), db_url=f"sqlite:///{tmp_path / 's.db'}")
    assert f"{tmp_path / 'cv' / 'part-0.csv'} row 3, {tmp_path / 'cv' / 'part-1.csv'} row 1 hold 7, 7" in str(err.value)


def test_blank_lines_before_a_loosened_column_are_not_rows_read_twice(tmp_path, small_blocks):
    # the reader restarts after a loosening; blank lines among the rows already given must not
    # shift where it goes on (pyarrow's skip_rows_after_names counts them): the memory report
    paths = mixed_files(tmp_path, "text")
    for path in paths.values():
        lines = open(path).read().splitlines()
        with_blanks = [line for i, line in enumerate(lines) for line in ([line, ""] if 0 < i < 600 and i % 25 == 0
                                                                        else [line])]
        open(path, "w").write("\n".join(with_blanks) + "\n")
    memory = service.report(**paths, engine="memory", bootstrap=0)
    arrow = service.report(**paths, engine="arrow", bootstrap=0)
    check(memory, arrow, "arrow")
    assert arrow.sections["threshold"].cv == memory.sections["threshold"].cv  # the weight of N rows, once each
    assert arrow.to_dict()["splits"]["cv"]["n"] == N


@pytest.mark.parametrize("engine", ["memory", "arrow"])
def test_label_spellings_are_read_value_by_value_on_every_engine(tmp_path, small_blocks, engine):
    """A 0/1 label's spelling is read on its own: "01" in early batches and " 1" in late ones are
    both 1, whether or not they share a batch (the arrow engine's batches hold 97 rows here,
    the memory engine's table all of them), and "0x1" is refused wherever it is."""
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, N)
    spelt = np.where(y == 1, "01", "0.0").astype(object)
    spelt[-TAIL:] = np.where(y[-TAIL:] == 1, " 1", "False")
    frame = pd.DataFrame({"y_true": spelt, "y_score": np.clip(0.3 * y + 0.7 * rng.random(N), 0, 1).round(3)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.assign(y_true=y).to_csv(tmp_path / "plain.csv", index=False)
    paths = {"train": str(tmp_path / "t.csv"), "cv": str(tmp_path / "t.csv")}
    plain = {"train": str(tmp_path / "plain.csv"), "cv": str(tmp_path / "plain.csv")}
    got, want = service.report(**paths, engine=engine), service.report(**plain, engine="memory")
    assert got.to_dict()["splits"] == want.to_dict()["splits"]  # the same labels, so the same figures
    check(want, got, engine)

    frame.loc[N - 1, "y_true"] = "0x1"  # hexadecimal: Arrow's integer cast reads it, the rule does not
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=rf"t.csv: column 'y_true' must hold 0 or 1.*row {N} holds '0x1'"):
        service.report(**paths, engine=engine)
