"""Heavy work on a page: a job in the server's one pool (headscope/jobs.py), its place in line, progress and Cancel.

A page asks for a job by a key (what it computes) and follows it: while it waits, "waiting:
2nd in line"; while it runs, a progress bar. The script polls the job (it runs in the pool's
worker, not in the session), so a rerun (a click, Cancel) stops the polling, not the job;
the next run finds the job by its key and follows it again. Sessions asking for the same key
share one job; Cancel withdraws this session, and a job nobody waits for stops.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable, Hashable

import streamlit as st

from headscope import jobs

POLL_S = 0.25
"""How often a page looks at a job it follows (each look sends the progress bar, where a rerun can stop it)."""
WHO_KEY = "heavy_who"


def who() -> str:
    """This session's name in the pool (a random id kept in its state)."""
    if WHO_KEY not in st.session_state:
        st.session_state[WHO_KEY] = uuid.uuid4().hex
    return st.session_state[WHO_KEY]


def status(job: jobs.Job, doing: str, unit: str) -> tuple[float, str]:
    """The bar's value and text: its place in line while it waits, else what is done of how much."""
    if job.state == jobs.WAITING:
        place = jobs.POOL.place(job)
        if place <= 1:
            return 0.0, f"{doing}: starting…"
        return 0.0, f"waiting: {jobs.ordinal(place)} in line (one heavy job runs at a time on this server)"
    if not job.total_steps:
        return 0.0, f"{doing}…"
    return job.fraction, f"{doing}: {job.done_steps:,} of {job.total_steps:,} {unit}"


def follow(job: jobs.Job, doing: str, unit: str = "done") -> Any:
    """Show the job's place in line or progress until it is over; its result (its error raised; Cancelled if so)."""
    if not job.finished.is_set():
        bar = st.progress(*status(job, doing, unit))
        while not job.wait(POLL_S):
            bar.progress(*status(job, doing, unit))  # also where Streamlit stops this run for a rerun
        bar.empty()
    return job.outcome()


def run(key: Hashable, fn: Callable[[], Any], doing: str, unit: str = "done", quick: bool = False) -> Any:
    """Ask the pool for the job (joining the same one if it is there) and follow it to its result."""
    return follow(jobs.POOL.submit(key, fn, who(), quick=quick), doing, unit)


def cancel(key: Hashable) -> None:
    """This session no longer waits for the job (it stops if nobody else does)."""
    job = jobs.POOL.find(key)
    if job is not None:
        jobs.POOL.cancel(job, who())
