"""One bounded pool for heavy work: a line of jobs, shared by whoever asks for the same one, with progress and cancel.

A server runs heavy jobs (every head switched off on a long text, a long text's knockout, the
corpus average) here, not in the sessions that ask: `WORKERS` threads take jobs from one
line, and torch is held to `THREADS` threads, so ten users on long texts do not multiply the
CPU and memory one needs. A job is named by a key (what it computes: model, text,
settings); asking for a key that is waiting or running joins that job instead of starting
another. A job tells its progress with `report(done, total)` between batches of its work,
which is also where a cancelled job stops (`Cancelled`) and where quick jobs that came in
meanwhile run (a knockout does not wait for a long importance to finish). A job nobody
waits for any more is cancelled. A failed or cancelled job is told to those waiting and
then forgotten: the next request runs it again. Results are not kept here (the caller
stores them where results go).

No Streamlit here: components/ shows a job's place in line and its progress.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable

WORKERS = 1
"""Jobs that run at once. One, for a 2-core server: one core for the heavy job, the other for everyone's page views."""
THREADS = 1
"""Torch threads per operation, set when the first worker starts: the page views of other users keep a core.

torch applies `set_num_threads` to the whole process (to every thread that runs torch from
then on, and to MKL), so on a server every forward pass then uses one thread: concurrent
sessions do not multiply threads, and none waits for a busy core's other thread.
"""

WAITING, RUNNING, DONE, FAILED, CANCELLED = "waiting", "running", "done", "failed", "cancelled"


class Cancelled(Exception):
    """The job was cancelled: nobody waits for it any more."""


@dataclass(eq=False)
class Job:
    """One piece of heavy work, shared by everyone who asked for it (`waiters`)."""

    key: Hashable
    fn: Callable[[], Any]
    quick: bool  # runs before the others, between the batches of a running one
    waiters: set = field(default_factory=set)
    state: str = WAITING
    done_steps: int = 0
    total_steps: int = 0
    result: Any = None
    error: BaseException | None = None
    finished: threading.Event = field(default_factory=threading.Event)
    cancel_requested: bool = False

    @property
    def fraction(self) -> float:
        """How much of the work is done, 0 to 1 (0 until the job reports)."""
        return min(1.0, self.done_steps / self.total_steps) if self.total_steps else 0.0

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job is over (done, failed or cancelled); False if the timeout came first."""
        return self.finished.wait(timeout)

    def outcome(self) -> Any:
        """The job's result; its error raised if it failed, Cancelled if it was cancelled."""
        if self.state == DONE:
            return self.result
        if self.state == FAILED and self.error is not None:
            raise self.error
        raise Cancelled(f"{self.key!r} was cancelled")


_local = threading.local()  # .job: the job this thread runs now, if any


def report(done: int, total: int) -> None:
    """Progress of the job this thread runs (nothing outside a job); raises Cancelled if it was cancelled.

    Call it between batches: quick jobs that are waiting run here, before the work goes on.
    """
    job: Job | None = getattr(_local, "job", None)
    if job is None:
        return
    job.done_steps, job.total_steps = done, total
    if job.cancel_requested:
        raise Cancelled(f"{job.key!r} was cancelled")
    pool = getattr(_local, "pool", None)
    if pool is not None and not job.quick:
        pool._run_quick_jobs()


class Pool:
    """`workers` threads running jobs from one line (quick jobs first, then in the order asked).

    `threads`: torch's thread count, set when the first worker starts (None: left as it is).
    """

    def __init__(self, workers: int = WORKERS, threads: int | None = THREADS):
        self.workers, self.threads = workers, threads
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._jobs: dict[Hashable, Job] = {}  # waiting and running jobs by key
        self._line: deque[Job] = deque()  # waiting jobs, in the order they run
        self._running: list[Job] = []
        self._threads: list[threading.Thread] = []

    # --- asking, following, cancelling ----------------------------------------------------

    def submit(self, key: Hashable, fn: Callable[[], Any], who: Hashable = None, quick: bool = False) -> Job:
        """The job for `key`: the one waiting or running (joined by `who`), else a new one that runs fn()."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None or job.cancel_requested:
                job = Job(key=key, fn=fn, quick=quick)
                self._jobs[key] = job
                if quick:  # after the other quick ones, before the rest
                    at = sum(1 for j in self._line if j.quick)
                    self._line.insert(at, job)
                else:
                    self._line.append(job)
                self._start_workers()
                self._wake.notify()
            job.waiters.add(who)
            return job

    def find(self, key: Hashable) -> Job | None:
        """The job waiting or running for `key`, if there is one."""
        with self._lock:
            job = self._jobs.get(key)
            return None if job is None or job.cancel_requested else job

    def place(self, job: Job) -> int:
        """The job's place in line, counting from 1: running jobs first, then the waiting ones; 0 once it is over."""
        with self._lock:
            if job.finished.is_set():
                return 0
            if job in self._running:
                return 1 + self._running.index(job)
            try:
                return 1 + len(self._running) + self._line.index(job)
            except ValueError:
                return 0

    def cancel(self, job: Job, who: Hashable = None) -> None:
        """`who` no longer waits for the job; with nobody left it stops (at once if waiting, else at its next report)."""
        with self._lock:
            job.waiters.discard(who)
            if job.waiters or job.finished.is_set():
                return
            job.cancel_requested = True
            if job in self._line:
                self._line.remove(job)
                self._end(job, CANCELLED)

    def stats(self) -> dict:
        """How many jobs run and wait now."""
        with self._lock:
            return {"running": len(self._running), "waiting": len(self._line), "workers": self.workers}

    # --- running (workers) ----------------------------------------------------------------

    def _start_workers(self) -> None:
        """Start the worker threads on first use (under the lock), torch's threads limited first."""
        if not self._threads and self.threads is not None:
            _limit_torch_threads(self.threads)
        while len(self._threads) < self.workers:
            thread = threading.Thread(target=self._work, name=f"headscope-job-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        """A worker: it runs the line's jobs one after the other."""
        _local.pool = self
        while True:
            with self._lock:
                while not self._line:
                    self._wake.wait()
                job = self._line.popleft()
            self._run(job)

    def _run_quick_jobs(self) -> None:
        """Run the quick jobs that wait, in this worker, now (called between the batches of a longer job)."""
        while True:
            with self._lock:
                if not self._line or not self._line[0].quick:
                    return
                job = self._line.popleft()
            self._run(job)

    def _run(self, job: Job) -> None:
        """Run one job in this thread and tell its waiters how it ended."""
        with self._lock:
            if job.cancel_requested:
                self._end(job, CANCELLED)
                return
            job.state = RUNNING
            self._running.append(job)
        outer = getattr(_local, "job", None)
        _local.job = job
        try:
            result = job.fn()
        except Cancelled:
            state, result = CANCELLED, None
        except BaseException as exc:  # noqa: BLE001 - told to the waiters, then forgotten
            state, result, job.error = FAILED, None, exc
        else:
            state = DONE
        finally:
            _local.job = outer
        with self._lock:
            self._running.remove(job)
            job.result = result
            self._end(job, state)

    def _end(self, job: Job, state: str) -> None:
        """The job is over: forgotten by the pool (under the lock), its waiters woken."""
        job.state = state
        if self._jobs.get(job.key) is job:
            del self._jobs[job.key]
        job.finished.set()


def _limit_torch_threads(threads: int) -> None:
    """Torch operations use `threads` threads from now on (the whole process: see THREADS)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a requirement; the pool itself does not need it
        return
    torch.set_num_threads(threads)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


POOL = Pool()
"""The process's pool: every session of a server shares it."""
