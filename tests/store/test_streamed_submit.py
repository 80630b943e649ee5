"""``diagnose submit --engine arrow``: the run stored by streaming equals the memory submit's
(report, tables read back, statistics); a ``--data`` file gives one table per split; what the
memory submit refuses is refused before anything is written (the bad-input corpus, duplicate
ids in bounded memory, the in-database size limit); stored files are read back from their
path, not as bytes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from diagnose import service, store
from diagnose.cli import main
from diagnose.exceptions import InputError
from diagnose.service import _ids
from diagnose.service._streamed_submit import prepare_streamed
from tests.bad_input.cases import CASES, SPECIAL
from tests.bad_input.test_corpus import lay_out
from tests.fixtures import row_counts


def _frame(rng, n, ids=None):
    y = rng.integers(0, 2, n)
    return pd.DataFrame({"id": np.arange(n) if ids is None else ids, "y_true": y,
                         "y_score": np.clip(0.4 * y + 0.6 * rng.random(n), 0, 1), "param_C": 0.5,
                         "note": rng.choice(["a", "b", "c"], n)})


def _files(folder, rng, n=3000):
    paths = {}
    for split in ("train", "cv", "test"):
        paths[split] = str(folder / f"{split}.parquet")
        _frame(rng, n).to_parquet(paths[split])
    return paths


def _artifacts(folder):
    root = folder / "store.artifacts"
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def test_a_streamed_submit_stores_what_the_memory_submit_stores(tmp_path, rng):
    paths = _files(tmp_path, rng)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with service.session(url) as s, s.begin():
        streamed, report = service.submit_streamed(s, project="p", run="arrow", **paths, baselines={"human": 0.1})
        prepared = service.prepare_run(**paths, baselines={"human": 0.1})
        service.submit_prepared(s, prepared, project="p", run="memory")
    assert streamed.params == {"C": 0.5} and streamed.verdict == prepared.report.verdict.verdict
    for split in ("train", "cv", "test"):
        assert report.splits[split].error == pytest.approx(prepared.report.splits[split].error, rel=1e-12)
    with service.session(url) as s:
        a, m = store.load_run_splits(s, "p", "arrow"), store.load_run_splits(s, "p", "memory")
        for split in ("train", "cv", "test"):
            x, y = getattr(a, split), getattr(m, split)
            assert np.array_equal(x.y_true, y.y_true) and np.array_equal(x.y_score, y.y_score)
            assert x.table.column_names == y.table.column_names == ["id", "y_true", "y_score", "param_C", "note"]
        sa, sm = service.run_statistics(s, "p", "arrow"), service.run_statistics(s, "p", "memory")
        assert store.get_run(s, "p", "arrow").baselines == {"human": 0.1}
    for split in ("train", "cv", "test"):
        assert sa[split].stats.error(split).error == pytest.approx(sm[split].stats.error(split).error, rel=1e-12)
    assert np.array_equal(sa["cv"].scores.hist.total, sm["cv"].scores.hist.total)
    # the same writer options over the same batches: byte for byte the memory submit's files, stored once
    with service.session(url) as s:
        hashes = [[x.content_hash for x in store.get_run(s, "p", r).submissions] for r in ("arrow", "memory")]
    assert hashes[0] == hashes[1] and _artifacts(tmp_path) == sorted(f"{h}.parquet" for h in hashes[0])


def test_a_data_file_gives_one_stored_table_per_split(tmp_path, rng):
    frames = {s: _frame(rng, n) for s, n in (("train", 500), ("cv", 300), ("test", 200))}
    data = pd.concat([f.assign(split=s) for s, f in frames.items()]).sample(frac=1, random_state=3)
    data.to_parquet(tmp_path / "data.parquet")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    code = CliRunner().invoke(main, ["submit", "--project", "p", "--run", "r", "--data", str(tmp_path / "data.parquet"),
                                     "--engine", "arrow", "--format", "json"], env={"DIAGNOSE_DATABASE_URL": url})
    assert code.exit_code == 0, code.output
    with service.session(url) as s:
        stored = store.get_run(s, "p", "r")
        back = store.load_run_splits(s, "p", "r")
    assert [(x.split, x.n_rows) for x in stored.submissions] == [("train", 500), ("cv", 300), ("test", 200)]
    for split in frames:
        rows = data[data["split"] == split]
        assert getattr(back, split).y_score.tolist() == rows["y_score"].tolist()
        assert "split" not in getattr(back, split).table.column_names
    assert len(_artifacts(tmp_path)) == 3


@pytest.mark.parametrize("spill", [False, True])
@pytest.mark.parametrize("kind", ["int", "str"])
def test_duplicate_ids_are_refused_as_the_memory_submit_refuses_them(tmp_path, rng, monkeypatch, spill, kind):
    if spill:
        monkeypatch.setattr(_ids, "MEMORY_KEYS", 100)  # spill to partition files after 100 keys
    n = 4000
    ids = np.arange(n) if kind == "int" else np.array([f"row-{i}" for i in range(n)])
    ids[3100] = ids[17]
    paths = _files(tmp_path, rng)
    _frame(rng, n, ids).to_parquet(paths["cv"])
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = {"DIAGNOSE_DATABASE_URL": url}
    args = ["submit", "--project", "p", "--run", "r", "--train", paths["train"], "--cv", paths["cv"]]
    arrow = CliRunner().invoke(main, [*args, "--engine", "arrow"], env=env)
    memory = CliRunner().invoke(main, [*args, "--engine", "memory"], env=env)
    assert arrow.exit_code == memory.exit_code == 2
    assert "duplicate ids; rows 18, 3101" in arrow.output and arrow.output == memory.output
    assert set(row_counts(url).values()) == {0} and _artifacts(tmp_path) == []


def test_ids_whose_hashes_meet_are_not_duplicates(monkeypatch):
    """Text ids are hashed: equal keys are confirmed on the ids themselves."""
    monkeypatch.setattr(_ids, "keys_of", lambda ids: np.zeros(len(ids), np.uint64))  # every hash the same
    import pyarrow as pa

    check = _ids.UniqueIds("cv.csv", "id")
    batch = pa.array(["a", "b", "c"])
    check.add(batch, np.arange(1, 4))
    check.check(lambda: iter([(np.arange(1, 4), batch)]))  # no error: three different ids


def test_empty_ids_are_refused(tmp_path, rng):
    import pyarrow as pa
    import pyarrow.parquet as pq

    paths = _files(tmp_path, rng)
    table = pa.Table.from_pandas(_frame(rng, 100), preserve_index=False)
    ids = table.column("id").to_pylist()
    ids[40] = None
    pq.write_table(table.set_column(0, "id", pa.array(ids)), paths["cv"])
    with pytest.raises(InputError, match="empty ids; row 41"):
        prepare_streamed(paths["train"], paths["cv"], db_url=f"sqlite:///{tmp_path / 'store.db'}")
    assert _artifacts(tmp_path) == []


def test_the_in_database_store_refuses_a_split_too_large_before_writing(tmp_path, rng, monkeypatch):
    from diagnose.store import _codec

    paths = _files(tmp_path, rng, n=20_000)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("DIAGNOSE_ARTIFACT_URL", "database")
    with service.session(url) as s, s.begin():  # in the database, under the limit: bytes in the row
        service.submit_streamed(s, project="p", run="small", train=paths["train"], cv=paths["cv"])
    with service.session(url) as s:
        assert store.load_run_splits(s, "p", "small").cv.n == 20_000
    before = row_counts(url)
    monkeypatch.setattr(_codec, "MAX_BLOB_BYTES", 50_000)
    result = CliRunner().invoke(main, ["submit", "--project", "p", "--run", "big", "--train", paths["train"],
                                       "--cv", paths["cv"], "--engine", "arrow"], env={"DIAGNOSE_DATABASE_URL": url})
    assert result.exit_code == 2 and "above the store's limit of 5e-05 GB per split" in result.output, result.output
    assert row_counts(url) == before and _artifacts(tmp_path) == []


def test_stored_files_are_read_from_their_path_not_as_bytes(tmp_path, rng, monkeypatch):
    from diagnose.store import _artifacts

    paths = _files(tmp_path, rng)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with service.session(url) as s, s.begin():
        service.submit_streamed(s, project="p", run="r", **paths)

    def no_bytes(*args, **kwargs):
        raise AssertionError("a stored file was read whole into memory")

    monkeypatch.setattr(_artifacts, "read", no_bytes)
    with service.session(url) as s:
        assert store.load_run_splits(s, "p", "r").test.n == 3000
    # and a changed file is still caught by its hash
    victim = tmp_path / "store.artifacts" / _artifacts_names(tmp_path)[0]
    victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")
    from diagnose.exceptions import DiagnoseError

    with service.session(url) as s, pytest.raises(DiagnoseError, match="does not match its hash"):
        store.load_run_splits(s, "p", "r")


def _artifacts_names(folder):
    return [n for n in _artifacts(folder) if n.endswith(".parquet")]


def test_an_object_store_root_gets_the_streamed_files_by_upload(tmp_path, rng, monkeypatch):
    paths = _files(tmp_path, rng, n=500)
    monkeypatch.setenv("DIAGNOSE_ARTIFACT_URL", f"file://{tmp_path / 'bucket'}")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with service.session(url) as s, s.begin():
        service.submit_streamed(s, project="p", run="r", train=paths["train"], cv=paths["cv"])
    with service.session(url) as s:
        assert store.load_run_splits(s, "p", "r").cv.n == 500
    assert len(list((tmp_path / "bucket").glob("*.parquet"))) == 2


# every case the memory submit refuses, through the streaming engine (these five crashed it
# once: weights summing to 0, weights of 1e308, a multi-label cv lacking a label, a CSV
# separated by ';')
STREAMABLE = [c for c in CASES if c.args[:1] == ("submit",) and not set(c.files.values()) & set(SPECIAL)
              and all(name.endswith((".csv", ".parquet")) for name in c.files)]
ONCE_CRASHED = {"weights all zero", "weights of 1e308 (report)", "parquet weights of 1e308",
                "cv lacks a label that train has", "semicolon separated"}


def test_the_cases_that_once_crashed_the_streaming_engine_are_still_run():
    assert ONCE_CRASHED <= {c.name for c in STREAMABLE}


@pytest.mark.parametrize("case", STREAMABLE, ids=[getattr(c, "values", [c])[0].name for c in STREAMABLE])
def test_what_the_memory_submit_refuses_the_streamed_submit_refuses_before_writing(case, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    lay_out(case, work)
    monkeypatch.chdir(work)
    url = case.env.get("DIAGNOSE_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    result = CliRunner().invoke(main, [*case.args, "--engine", "arrow"], env={"DIAGNOSE_DATABASE_URL": url, **case.env})
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "rror: " in result.output
    if case.name in ONCE_CRASHED:  # the memory engine's message
        assert all(part in result.output for part in case.expect), result.output
    if url.startswith("sqlite:///" + str(tmp_path)):
        assert set(row_counts(url).values()) == {0}
        assert not (tmp_path / "store.artifacts").exists() or _artifacts(tmp_path) == []


@pytest.mark.parametrize("where", ["in the database", "artifact folder"])
def test_a_streamed_submit_on_either_database(db_url, tmp_path, rng, monkeypatch, where):
    """SQLite and PostgreSQL; tables in the database (PostgreSQL's default) or in a folder."""
    paths = _files(tmp_path, rng, n=800)
    monkeypatch.setenv("DIAGNOSE_ARTIFACT_URL", "database" if where == "in the database" else str(tmp_path / "art"))
    with service.session(db_url) as s, s.begin():
        summary, _ = service.submit_streamed(s, project="p", run="r", **paths)
    with service.session(db_url) as s:
        back = store.load_run_splits(s, "p", "r")
        assert service.run_statistics(s, "p", "r")["test"].stats.loss.rows == 800
    assert summary.params == {"C": 0.5} and back.test.n == 800
    stored = sorted(p.name for p in (tmp_path / "art").iterdir()) if (tmp_path / "art").exists() else []
    assert len(stored) == (0 if where == "in the database" else 3)
    assert not [n for n in stored if n.endswith(".tmp")]


def test_a_parameter_with_empty_cells_is_one_run_on_both_engines(tmp_path):
    """Empty cells are no value (as in memory); this was refused as "2 runs" when streamed."""
    path = tmp_path / "a.csv"
    path.write_text("y_true,y_score,param_C\n1,0.9,5\n0,0.2,\n1,0.7,5\n0,0.4,5\n")
    params = {}
    for engine in ("memory", "arrow"):
        url = f"sqlite:///{tmp_path / engine}.db"
        result = CliRunner().invoke(main, ["submit", "--project", "p", "--run", "r", "--train", str(path), "--cv",
                                           str(path), "--engine", engine], env={"DIAGNOSE_DATABASE_URL": url})
        assert result.exit_code == 0, result.output
        with service.session(url) as s:
            params[engine] = store.get_run(s, "p", "r").summary.params
    assert params["memory"] == params["arrow"] == {}  # a column with empty cells is no parameter of the run
