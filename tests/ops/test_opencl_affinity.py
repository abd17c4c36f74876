"""The opencl backend pins PoCL's worker threads (POCL_AFFINITY=1) only when it may: the user's own
setting wins, and a process restricted to some CPUs is left alone (docs/decisions.md)."""
import os

import pytest

from fpgaops.backends.opencl import AFFINITY_ENV, pin_pocl_workers


def test_sets_it_when_every_cpu_is_ours():
    env = {}
    assert pin_pocl_workers(env, cpu_count=lambda: 4, affinity=lambda: {0, 1, 2, 3})
    assert env == {AFFINITY_ENV: "1"}


@pytest.mark.parametrize("value", ["0", "1", ""])
def test_the_users_setting_wins(value):
    env = {AFFINITY_ENV: value}
    assert not pin_pocl_workers(env, cpu_count=lambda: 2, affinity=lambda: {0, 1})
    assert env == {AFFINITY_ENV: value}


@pytest.mark.parametrize("allowed", [{0}, {2, 3}, {1, 2, 3}, set()])
def test_a_restricted_process_is_left_alone(allowed):
    # PoCL pins worker i to CPU i: under a cpuset those CPUs need not be the process's own
    env = {}
    assert not pin_pocl_workers(env, cpu_count=lambda: 4, affinity=lambda: allowed)
    assert env == {}


def test_no_affinity_call_on_this_os():
    def missing():
        raise OSError("not supported")

    env = {}
    assert not pin_pocl_workers(env, cpu_count=lambda: 2, affinity=missing)
    assert env == {}


def test_unknown_cpu_count():
    env = {}
    assert not pin_pocl_workers(env, cpu_count=lambda: None, affinity=lambda: {0})
    assert env == {}


def test_the_backend_leaves_the_variable_set_or_the_users(require):
    require("opencl")
    # whichever way this process started: either fpgaops set 1 before PoCL started, or the user's
    # (CI's) value stands, or the process is restricted to some CPUs and nothing was set
    val = os.environ.get(AFFINITY_ENV)
    allowed = os.sched_getaffinity(0)
    if allowed == set(range(os.cpu_count())):
        assert val is not None
    else:
        assert not pin_pocl_workers()  # a process restricted to some CPUs is never pinned
