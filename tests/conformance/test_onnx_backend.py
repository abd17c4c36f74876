"""ONNX's own backend test suite (``onnx.backend.test.BackendTest``) against fpgaops.onnx_backend,
on every functional device: the node tests of the ops fpgaops claims and the nine ``light_*``
real models (reference and opencl; csim runs the node tests only -- the real models take minutes
in C-simulation). Selection and the reviewed expected-failure list: expected_failures.py.

Each case is one pytest item ``test_onnx_backend[<device>-<onnx test name>]``. A case passes when
ONNX's own comparison passes; an expected failure must raise an FpgaopsError matching its entry
(anything else fails, and so does an unexpected pass).
"""
import functools
import os
import re
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx.backend.test import BackendTest  # noqa: E402
from onnx.backend.test import runner as onnx_runner  # noqa: E402
from onnx.backend.test.loader import load_model_tests  # noqa: E402

import fpgaops  # noqa: E402
from fpgaops.onnx_backend import backend_for  # noqa: E402

from expected_failures import family, selected, xfail_for  # noqa: E402

DEVICES = ("reference", "csim", "opencl")
REAL_ON = ("reference", "opencl")
SUFFIX = "_cpu"


@functools.lru_cache(maxsize=None)
def _tests(kind):
    with warnings.catch_warnings():  # ONNX's case generators overflow casts on purpose
        warnings.simplefilter("ignore", RuntimeWarning)
        return tuple(load_model_tests(kind=kind))


def node_selection():
    """{test name: family} of the node tests in the conformance run."""
    return {t.name: family(t.model) for t in _tests("node") if t.model is not None and selected(t.model)}


def real_selection():
    return {t.name for t in _tests("real")}


def _cases():
    """[(device, test name, function)] from one BackendTest per device (load_model_tests cached:
    BackendTest generates every node case in Python, ~5 s each time)."""
    nodes, reals = node_selection(), real_selection()
    orig = onnx_runner.load_model_tests
    onnx_runner.load_model_tests = lambda kind: list(_tests(kind))
    try:
        out = []
        for dev in DEVICES:
            bt = BackendTest(backend_for(dev), __name__)
            items = {}
            for cls in bt.test_cases.values():
                items.update({k: v for k, v in vars(cls).items() if k.startswith("test_") and k.endswith(SUFFIX)})
            want = set(nodes) | (reals if dev in REAL_ON else set())
            missing = want - {k[: -len(SUFFIX)] for k in items}
            assert not missing, f"BackendTest generated no case for {sorted(missing)[:5]}"
            out += [(dev, k[: -len(SUFFIX)], f) for k, f in sorted(items.items()) if k[: -len(SUFFIX)] in want]
        return out
    finally:
        onnx_runner.load_model_tests = orig


CASES = _cases()


@pytest.fixture(scope="module", autouse=True)
def _onnx_home(tmp_path_factory):
    """The real-model cases write their input/expected files under $ONNX_HOME: keep them in tmp."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ONNX_HOME", str(tmp_path_factory.mktemp("onnx_home")))
        mp.delenv("ONNX_MODELS", raising=False)
        yield


@pytest.mark.parametrize("device,name,func", CASES, ids=[f"{d}-{n}" for d, n, _ in CASES])
def test_onnx_backend(device, name, func, require):
    require(device)
    expected = xfail_for(name)
    if expected is None:
        with np.errstate(all="ignore"):
            func(None)
        return
    match, reason = expected
    try:
        with np.errstate(all="ignore"):
            func(None)
    except fpgaops.FpgaopsError as e:
        assert re.search(match, str(e)), f"expected failure '{reason}' raised an unrelated error: {e}"
        pytest.xfail(reason)
    except Exception as e:  # a crash is never an expected failure
        pytest.fail(f"expected an FpgaopsError ({reason}), got {type(e).__name__}: {e}")
    pytest.fail(f"expected failure '{reason}' passed: remove it from expected_failures.XFAIL")


def test_selection_is_what_the_importer_claims():
    """Every expected-failure pattern matches a selected test (no stale entries), and the
    selection covers every claimed op family."""
    from expected_failures import XFAIL, FAMILY

    names = set(node_selection()) | real_selection()
    for pat in XFAIL:
        assert any(re.search(pat, n) for n in names), f"expected-failure pattern {pat!r} matches no selected test"
    assert set(node_selection().values()) == set(FAMILY.values())


def family_counts():
    """{family: passing node tests} -- every selected test not in the expected-failure list
    passes (the run is strict), so this is the README's conformance column."""
    counts = {}
    for name, fam in node_selection().items():
        if xfail_for(name) is None:
            counts[fam] = counts.get(fam, 0) + 1
    return counts


def test_readme_reports_the_counts():
    readme = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    for fam, n in family_counts().items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{fam}`")), None)
        assert row is not None, f"README ops table has no row for {fam}"
        assert f"| {n} ONNX node tests |" in row, f"README row {fam} should report {n} passing ONNX node tests"


def test_no_crash_on_any_onnx_node_test():
    """Every node test of the ONNX wheel (1,800+ models of every op, dtype and opset) either runs
    or is refused with an FpgaopsError -- never another exception (outputs of the unclaimed ops
    are not compared: they are refused or run only where claimed)."""
    backend = backend_for("reference")
    crashes, ran = [], 0
    for t in _tests("node"):
        if t.model is None:
            continue
        try:
            rep = backend.prepare(t.model, "CPU")
            with np.errstate(all="ignore"):
                for inputs, _ in t.data_sets:
                    rep.run(inputs)
            ran += 1
        except fpgaops.FpgaopsError:
            pass
        except Exception as e:  # noqa: BLE001 -- the point of the test
            crashes.append(f"{t.name}: {type(e).__name__}: {e}"[:200])
    assert not crashes, "\n".join(crashes)
    assert ran >= sum(family_counts().values())  # at least every selected test that must pass
