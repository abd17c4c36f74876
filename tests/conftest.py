"""Shared fixtures.

``backend`` runs a test once per functional backend (reference, csim, opencl) with that device
current. A backend that is not available here is skipped with its reason -- except under CI
(CI=true), where csim and opencl must be present and their absence fails the run.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

import fpgaops
from fpgaops.backends.base import Backend

FUNCTIONAL = ("reference", "csim", "opencl")
REQUIRED_IN_CI = ("csim", "opencl")
IN_CI = os.environ.get("CI", "").lower() == "true"

# Hypothesis runs inside the backend fixture (one device per test instance). Nothing may depend on
# the machine's speed: no deadline (the first call on a device builds and caches its kernels) and
# no too_slow health check (2 shared cores are slow). Under CI the examples are derandomized (the
# same examples on every run and machine: a red CI run is reproducible, a green one is not luck) and
# nothing is written to the example database in the working directory. Locally the examples vary
# from run to run, so new cases keep being explored; `--hypothesis-profile fpgaops-ci` reproduces CI.
_PROFILE = dict(deadline=None, max_examples=30, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("fpgaops", **_PROFILE)
settings.register_profile("fpgaops-ci", derandomize=True, database=None, **_PROFILE)
settings.load_profile("fpgaops-ci" if IN_CI else "fpgaops")


def require_device(name):
    info = {d.name: d for d in fpgaops.devices()}[name]
    if not info.available:
        if IN_CI and name in REQUIRED_IN_CI:
            pytest.fail(f"backend '{name}' must be available in CI but is not: {info.detail}")
        pytest.skip(f"backend '{name}' not available here: {info.detail}")
    return info


@pytest.fixture
def require():
    """``require(name)``: skip (or, in CI, fail) unless device ``name`` is available. A fixture, not
    an import, because tests/xrt has a conftest.py of its own and `from conftest import` is ambiguous."""
    return require_device


@pytest.fixture(params=FUNCTIONAL)
def backend(request):
    """The name of a functional backend, made the current device for the test."""
    require_device(request.param)
    with fpgaops.device(request.param):
        yield request.param


@pytest.fixture
def no_kernel_launch(monkeypatch):
    """Fail the test if any backend is asked to run a kernel: bad input must be rejected before."""

    def refuse(self, call):
        raise AssertionError(f"kernel {call.family} launched on {self.name} for an invalid request")

    monkeypatch.setattr(Backend, "run", refuse)
