"""The heavy-job pool (headscope/jobs.py): a line with places, shared jobs, cancel, bounded workers, failures."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from headscope import jobs

WAIT = 30  # seconds: a job that does not end by then is a failure, not a slow machine


def blocked(gate: threading.Event, started: threading.Event | None = None, value=None):
    """A job that runs until the gate opens, reporting between its 'batches'."""

    def fn():
        if started is not None:
            started.set()
        step = 0
        while not gate.wait(0.01):
            step += 1
            jobs.report(min(step, 99), 100)
        return value

    return fn


def test_a_job_waits_in_line_with_its_place_and_moves_up():
    pool = jobs.Pool(workers=1, threads=None)
    gate, started = threading.Event(), threading.Event()
    first = pool.submit("a", blocked(gate, started, "A"), who="u1")
    assert started.wait(WAIT)
    second = pool.submit("b", lambda: "B", who="u2")
    third = pool.submit("c", lambda: "C", who="u3")
    assert (pool.place(first), pool.place(second), pool.place(third)) == (1, 2, 3)
    assert first.state == jobs.RUNNING and second.state == jobs.WAITING
    assert pool.stats() == {"running": 1, "waiting": 2, "workers": 1}
    pool.cancel(second, who="u2")  # the only one waiting for it: it leaves the line at once
    assert second.finished.is_set() and second.state == jobs.CANCELLED and pool.place(third) == 2
    with pytest.raises(jobs.Cancelled):
        second.outcome()
    gate.set()
    assert third.wait(WAIT) and third.outcome() == "C" and first.outcome() == "A"
    assert pool.place(first) == 0 and pool.find("a") is None  # over: forgotten (results are kept elsewhere)


def test_the_same_job_asked_twice_runs_once_for_both():
    pool = jobs.Pool(workers=1, threads=None)
    gate, started = threading.Event(), threading.Event()
    runs = []

    def fn():
        runs.append(1)
        return blocked(gate, started, "result")()

    one = pool.submit(("importance", "text"), fn, who="u1")
    other = pool.submit(("importance", "text"), fn, who="u2")
    assert one is other and one.waiters == {"u1", "u2"}
    assert pool.find(("importance", "text")) is one
    gate.set()
    assert one.wait(WAIT) and other.outcome() == "result" and runs == [1]


def test_a_cancelled_job_stops_at_its_next_report_unless_someone_else_waits():
    pool = jobs.Pool(workers=1, threads=None)
    gate, started = threading.Event(), threading.Event()
    job = pool.submit("long", blocked(gate, started), who="u1")
    pool.submit("long", blocked(gate), who="u2")  # joins it
    assert started.wait(WAIT)
    pool.cancel(job, who="u1")
    assert not job.wait(0.3) and job.state == jobs.RUNNING  # u2 still waits for it
    deadline = time.monotonic() + WAIT
    while job.done_steps == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert 0 < job.fraction < 1 and job.total_steps == 100  # its progress, as reported
    pool.cancel(job, who="u2")
    assert job.wait(WAIT) and job.state == jobs.CANCELLED and not gate.is_set()
    assert pool.find("long") is None
    again = pool.submit("long", lambda: "fresh", who="u1")  # asked again: a new job
    assert again is not job and again.wait(WAIT) and again.outcome() == "fresh"


def peak_running(workers: int, count: int = 8) -> int:
    """How many of `count` short jobs ran at once in a pool of `workers`."""
    pool = jobs.Pool(workers=workers, threads=None)
    lock, now, peak = threading.Lock(), [0], [0]

    def fn():
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        time.sleep(0.05)
        with lock:
            now[0] -= 1
        return True

    submitted = [pool.submit(i, fn) for i in range(count)]
    assert all(j.wait(WAIT) and j.outcome() for j in submitted)
    return peak[0]


def test_workers_bound_how_many_jobs_run_at_once():
    assert peak_running(1) == 1
    assert peak_running(2) == 2


def test_a_failing_job_is_told_to_its_waiters_and_not_kept():
    pool = jobs.Pool(workers=1, threads=None)
    calls = []

    def fails():
        calls.append(1)
        raise ValueError("no such head")

    job = pool.submit("bad", fails, who="u1")
    assert job.wait(WAIT) and job.state == jobs.FAILED
    with pytest.raises(ValueError, match="no such head"):
        job.outcome()
    assert pool.find("bad") is None
    again = pool.submit("bad", fails, who="u1")
    assert again is not job and again.wait(WAIT) and len(calls) == 2  # run again, not the old failure
    worked = pool.submit("good", lambda: 3)  # the worker survived the failures
    assert worked.wait(WAIT) and worked.outcome() == 3


def test_quick_jobs_run_between_the_batches_of_a_long_one():
    pool = jobs.Pool(workers=1, threads=None)
    gate, started = threading.Event(), threading.Event()
    long = pool.submit("importance", blocked(gate, started), who="u1")
    assert started.wait(WAIT)
    waiting = pool.submit("another importance", lambda: "later", who="u2")
    quick = pool.submit("knockout", lambda: "now", who="u3", quick=True)
    assert pool.place(quick) == 2 and pool.place(waiting) == 3  # ahead of the long job that waits
    assert quick.wait(WAIT) and quick.outcome() == "now"
    assert long.state == jobs.RUNNING and waiting.state == jobs.WAITING
    gate.set()
    assert waiting.wait(WAIT) and waiting.outcome() == "later"


def test_report_outside_a_job_does_nothing():
    jobs.report(1, 2)  # a CLI run or a short text in a session: no job, no error


def test_ordinals():
    assert [jobs.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
        "111th",
    ]


def test_the_pool_keeps_torch_to_its_threads():
    code = (
        "import torch; from headscope import jobs\n"
        "torch.set_num_threads(2)\n"
        "job = jobs.Pool(workers=1, threads=1).submit('k', torch.get_num_threads)\n"
        "job.wait(60); print(job.outcome(), torch.get_num_threads())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["1", "1"]  # in the worker, and torch's setting is the process's
