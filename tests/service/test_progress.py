"""The dask engine on a terminal: the link to Dask's dashboard (its progress view), printed
once per command, control characters shown; nothing without a terminal or without a dashboard."""
from __future__ import annotations

import io

import numpy as np
import pytest

from diagnose.service import streamed_report
from tests.fixtures import binary_frame


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def run(tmp_path) -> dict[str, str]:
    rng = np.random.default_rng(5)
    for split in ("train", "cv"):
        binary_frame(rng, 100).drop(columns="id").to_parquet(tmp_path / f"{split}.parquet")
    return {split: str(tmp_path / f"{split}.parquet") for split in ("train", "cv")}


def test_the_dask_dashboard_link_is_printed_once_on_a_terminal(run, monkeypatch):
    import distributed

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        port = cluster.dashboard_link.split("://")[1].split("/")[0].rsplit(":", 1)[1]
        for stream in (Terminal(), io.StringIO()):
            monkeypatch.setattr("sys.stderr", stream)
            streamed_report(run, engine="dask", scheduler=cluster.scheduler_address)
            lines = [line for line in stream.getvalue().split("\n") if "Dask dashboard" in line]
            if isinstance(stream, Terminal):
                # the scheduler's own dashboard (its port as the cluster reports it), once for
                # the command's several passes
                assert len(lines) == 1 and lines[0].startswith("Dask dashboard: http://")
                assert lines[0].endswith(f":{port}/status")
            else:
                assert lines == []


def test_a_dashboard_link_is_shown_not_obeyed(monkeypatch):
    from diagnose.service import _dask

    class Client:
        dashboard_link = "http://host:8787/status\x1b]0;owned\x07"

    class Broken:
        @property
        def dashboard_link(self):
            raise KeyError("dashboard")

    assert _dask._dashboard_link(Broken()) is None
    out = Terminal()
    from diagnose.ingest import progress_note

    progress_note(f"Dask dashboard: {_dask._dashboard_link(Client())}", out)
    assert out.getvalue() == "Dask dashboard: http://host:8787/status\\x1b]0;owned\\x07\n"
