"""``offramp explore --executor dask`` on a real cluster: a ``dask scheduler`` and two
``dask worker`` processes (one thread each) started on 127.0.0.1 by the fixture, on free
ports, and torn down after. The results must equal the local executor's bit for bit, also
when a worker process is killed in the middle of the run.

Workers run without a nanny, so the process the test kills is the worker itself (with a
nanny, the nanny would restart it: a gentler case).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal

import offramp
from offramp.errors import OptionError
from offramp.explore.executors import PerformanceWarning, oversubscribed_machines
from offramp.explore.experiments import explore
from offramp.run.options import available_cores

distributed = pytest.importorskip("distributed")

QUICK = Path(__file__).resolve().parents[1] / "scenarios" / "quick.toml"
PAIR = ["full_pressure", "conciliation"]
RUN = dict(samples=5, replications=2, seed=5, strategy=PAIR, progress=False)
DASK = [sys.executable, "-m", "dask"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_worker(address: str, name: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *DASK,
            "worker",
            address,
            "--nthreads",
            "1",
            "--no-nanny",
            "--no-dashboard",
            "--host",
            "127.0.0.1",
            "--name",
            name,
            "--death-timeout",
            "30",
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _wait_for_workers(address: str, count: int, timeout: float = 60.0) -> None:
    with distributed.Client(address, timeout="30s") as client:
        client.wait_for_workers(count, timeout=timeout)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):  # workers first, then the scheduler
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers on 127.0.0.1; yields the address."""
    logs = tmp_path_factory.mktemp("dask-logs")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes = [
        subprocess.Popen(
            [*DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=(logs / "scheduler.log").open("w"),
            stderr=subprocess.STDOUT,
        )
    ]
    try:
        processes += [_start_worker(address, f"worker-{i}", logs / f"worker-{i}.log") for i in range(2)]
        _wait_for_workers(address, 2)
        yield {"address": address, "logs": logs}
    finally:
        _stop(processes)


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "run"
    explore(QUICK, out=out, workers=2, chunk_size=3, **RUN)
    return offramp.load(out)


@pytest.mark.slow
def test_dask_equals_local(cluster, local_reference, tmp_path):
    out = tmp_path / "run"
    result = explore(QUICK, out=out, executor="dask", scheduler=cluster["address"], chunk_size=2, **RUN)
    assert result.chunks_run == result.chunks and not result.already_complete
    assert_frame_equal(offramp.load(out), local_reference, check_exact=True)
    assert not list((out / "chunks").glob(".*"))


@pytest.mark.slow
@pytest.mark.skipif(available_cores() < 2, reason="threads > 1 needs two cores")
def test_threads_on_a_remote_cluster_change_nothing_and_warn_when_crowded(cluster, local_reference, tmp_path):
    """On a cluster the cores are the cluster's: threads are not refused, each task steps
    its grids on that many threads, and the dataset is the local one-thread run's, bit for
    bit. Two one-thread workers on this machine with threads = its cores use twice its
    cores, which explore warns about, naming threads and the machine."""
    threads = available_cores()
    out = tmp_path / "run"
    with pytest.warns(PerformanceWarning, match=r"^threads: .*threads on \d+ cores") as caught:
        explore(QUICK, out=out, executor="dask", scheduler=cluster["address"], chunk_size=3, threads=threads, **RUN)
    assert f"{2 * threads} threads on {threads} cores" in str(caught[0].message)
    assert_frame_equal(offramp.load(out), local_reference, check_exact=True)
    with distributed.Client(cluster["address"], timeout="30s") as client:
        assert list(oversubscribed_machines(client, threads).values()) == [(2 * threads, threads)]


@pytest.mark.slow
def test_a_killed_worker_changes_nothing(cluster, local_reference, tmp_path):
    """A third worker joins, is killed with SIGKILL once chunks are being written, and the
    scheduler runs its chunks on the others: the dataset is the same, complete, once."""
    address = cluster["address"]
    victim = _start_worker(address, "victim", cluster["logs"] / "victim.log")
    try:
        _wait_for_workers(address, 3)
        out = tmp_path / "run"
        state = {}

        def kill_when_started() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                written = list((out / "chunks").glob("chunk-*.parquet")) if (out / "chunks").is_dir() else []
                if len(written) >= 2:
                    state["written_at_kill"] = len(written)
                    os.kill(victim.pid, signal.SIGKILL)
                    return
                time.sleep(0.02)

        killer = threading.Thread(target=kill_when_started)
        killer.start()
        result = explore(QUICK, out=out, executor="dask", scheduler=address, chunk_size=1, **RUN)
        killer.join()
        victim.wait(timeout=10)
        assert victim.returncode == -signal.SIGKILL
        assert state["written_at_kill"] < result.chunks  # killed mid-run, not after
        frame = offramp.load(out)
        assert not frame.duplicated(["world", "strategy"]).any()
        assert_frame_equal(frame, local_reference, check_exact=True)
    finally:
        _stop([victim])


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_line_and_writes_nothing(tmp_path):
    port = _free_port()
    with pytest.raises(OptionError, match="cannot reach a Dask scheduler") as caught:
        explore(QUICK, out=tmp_path / "run", executor="dask", scheduler=f"tcp://127.0.0.1:{port}", **RUN)
    assert caught.value.option == "scheduler" and "\n" not in str(caught.value)
    assert not (tmp_path / "run").exists()
