"""The same calibration on local worker processes and on a Dask cluster (the same
posterior as one process); an unreachable scheduler is one line and writes nothing."""

import socket

import pandas as pd
import pytest

from sim.calibration import calibrate
from sim.errors import TrustsimError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _check(out):
    post = pd.read_parquet(out / "posterior.parquet")
    assert len(post) == 4 and post["weight"].sum() == pytest.approx(1.0)
    assert post["innovation_rate"].between(0.05, 5.0).all()


@pytest.mark.slow
def test_local_worker_processes(calibration, workdir):
    report = calibrate(calibration(population=4), workers=2, out=workdir / "out")
    assert report.generations == 1
    _check(workdir / "out")


@pytest.mark.slow
def test_a_dask_cluster_gives_what_one_process_gives(calibration, workdir):
    from distributed import LocalCluster

    path = calibration(population=4, predictive=0)
    with LocalCluster(processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=":0") as cluster:
        report = calibrate(path, scheduler=cluster.scheduler_address, out=workdir / "out")
    assert report.generations == 1
    _check(workdir / "out")
    calibrate(path, out=workdir / "serial")
    pd.testing.assert_frame_equal(pd.read_parquet(workdir / "out" / "posterior.parquet"),
                                  pd.read_parquet(workdir / "serial" / "posterior.parquet"))


def test_an_unreachable_scheduler_writes_nothing(calibration, workdir):
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(TrustsimError, match=f"cannot reach the Dask scheduler at {address}"):
        calibrate(calibration(), scheduler=address, out=workdir / "out")
    assert not (workdir / "out").exists()
