"""Fuzzing the ONNX importer (fpgaops.load_onnx and what it calls) and the runner behind it.

Seeds: onnx_seeds (the zoo builder's small convnets, helper graphs, the onnx wheel's light models).
Mutations (seeded, deterministic): byte-level (fuzzlib) and structured (onnx_mutators).
A case imports the mutated model; when that succeeds it runs the network on a small input on the
reference device and, when ONNX's checker and ONNX Runtime accept the same model, compares the
outputs with ONNX Runtime's. Outcome: "ok" (and correct) or an FpgaopsError; else a finding.
External data gets its own fuzzer: locations and ranges that leave the model's folder must be
refused *and never opened* (an audit hook watches every open; a sentinel file's bytes must not
appear in any imported tensor).
"""
import collections
import os
import random
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto  # noqa: E402

import fpgaops  # noqa: E402
from fpgaops.graph.onnx_import import import_model  # noqa: E402

import onnx_mutators  # noqa: E402
from fuzzlib import Outcomes, cases, mutate_bytes  # noqa: E402
from onnx_seeds import light_models, runnable_models  # noqa: E402

# cases per family (the whole file takes ~12 s of one core here; see docs/decisions.md)
N_BYTES, N_STRUCT, N_LIGHT, N_EXTERNAL = 1500, 3000, 400, 300
MAX_RUN_ELEMENTS = 1 << 16     # inputs larger than this are imported but not run
ATOL, RTOL = 1e-4, 1e-3        # as tests/graph: max |err| <= ATOL + RTOL * max |ORT|


_SEEDS = {}


def _seed_bytes():
    if not _SEEDS:
        _SEEDS.update({k: m.SerializeToString() for k, m in runnable_models().items()})
    return _SEEDS


@pytest.fixture(scope="module")
def seeds():
    return _seed_bytes()


def _csim_available():
    return any(d.name == "csim" and d.available for d in fpgaops.devices())


CSIM = _csim_available()  # accepted cases also run on the C-simulated HLS tops (native code under fuzz)
CHECKED = collections.Counter()  # how many accepted cases were run / compared with csim / with ORT


def _close(got, want, what):
    assert got.shape == want.shape, f"output shape {got.shape}, {what} {want.shape}"
    err = float(np.max(np.abs(got.astype(np.float64) - want), initial=0))
    assert err <= ATOL + RTOL * float(np.max(np.abs(want), initial=0)), f"max |err| {err:.3e} against {what}"


def _input_shapes(net):
    """Concrete shapes from the declaration and the model's default_input_shape hint, or None."""
    hint = net.info.get("default_input_shape")
    out = []
    for name in net.input_names:
        shp = net.input_shapes.get(name)
        if shp is None:
            return None
        if hint is not None and len(hint) == len(shp) and len(net.input_names) == 1:
            shp = tuple(d if d is not None else h for d, h in zip(shp, hint))
        if any(d is None or d < 1 for d in shp) or int(np.prod(shp, dtype=object)) > MAX_RUN_ELEMENTS:
            return None
        out.append(shp)
    return out


def _ort_outputs(data, feeds):
    """ONNX Runtime's outputs, or None when ONNX's checker or ORT refuses the model (ORT only sees
    models the checker passes: fpgaops accepting what ORT refuses is not an error)."""
    m = onnx.ModelProto()
    try:
        m.ParseFromString(data)
        onnx.checker.check_model(m, full_check=True)
        so = ort.SessionOptions()
        so.log_severity_level = 4
        sess = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])
        return sess.run(None, feeds)
    except Exception:  # noqa: BLE001 -- refusal by the peer, not a finding
        return None


def import_and_run(data, case_seed, allow_fallback):
    """The fuzz case proper: import; if accepted, run and check against ONNX Runtime."""
    net = fpgaops.load_onnx(data, allow_fallback=allow_fallback)
    shapes = _input_shapes(net)
    if shapes is None:
        return
    rng = np.random.default_rng(case_seed)
    xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    got = net.run(*xs, device="reference")
    CHECKED["run"] += 1
    if CSIM:
        CHECKED["csim"] += 1
        for g, c in zip(got, net.run(*xs, device="csim")):
            if np.all(np.isfinite(g)) and np.max(np.abs(g), initial=0) < 1e30:
                _close(c, g, "the reference device")
    want = _ort_outputs(data, dict(zip(net.input_names, xs)))
    if want is None or len(want) != len(got):
        return
    CHECKED["onnxruntime"] += 1
    for g, w in zip(got, want):
        w = np.asarray(w)
        if w.dtype != np.float32 or not np.all(np.isfinite(w)) or np.max(np.abs(w), initial=0) > 1e30:
            continue  # overflowed weights: the order of accumulation decides inf vs. huge
        _close(g, w, "ONNX Runtime")


def test_seeds_match_onnxruntime(seeds):
    """Baseline: every unmutated seed imports, runs and matches ONNX Runtime."""
    for name, data in seeds.items():
        net = fpgaops.load_onnx(data)
        assert _input_shapes(net) is not None, name
        import_and_run(data, 0, False)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("family,count", [("bytes", N_BYTES), ("struct", N_STRUCT)])
def test_fuzz_onnx_import_and_run(seeds, family, count):
    out = Outcomes(f"onnx {family} fuzz")
    CHECKED.clear()
    names = sorted(seeds)
    for k in range(cases(count)):
        rng = random.Random(f"onnx-{family}-{k}")
        name = rng.choice(names)
        if family == "bytes":
            data, what = mutate_bytes(seeds[name], rng.randrange(2**32))
        else:
            m = onnx.ModelProto()
            m.ParseFromString(seeds[name])
            if rng.random() < 0.25:  # valid variations: the run is checked against ONNX Runtime
                steps = [f(rng, m) for f in rng.choices(onnx_mutators.VALID, k=rng.choice((1, 2, 3)))]
            else:
                steps = [f(rng, m) for f in rng.sample(onnx_mutators.MUTATORS, rng.choice((1, 1, 2, 3)))]
            data, what = m.SerializeToString(), "; ".join(steps)
        fallback = rng.random() < 0.3
        out.run(f"onnx-{family}-{k}: {name}{' (fallback)' if fallback else ''}: {what}",
                lambda: import_and_run(data, k, fallback))
    print(out.check(least_ok=5, least_refused=5), dict(CHECKED))
    if family == "struct":  # the valid variations must really reach the run and the comparison
        assert CHECKED["onnxruntime"] >= cases(count) // 20, dict(CHECKED)


def test_fuzz_onnx_light_models():
    """The onnx wheel's classic models, mutated (structure and bytes), through import_model only."""
    light = light_models()
    if not light:
        pytest.skip("the onnx wheel ships no backend/test/data/light models")
    out = Outcomes("onnx light-model fuzz")
    names = sorted(light)
    for k in range(cases(N_LIGHT)):
        rng = random.Random(f"onnx-light-{k}")
        name = rng.choice(names)
        m = onnx.ModelProto()
        m.ParseFromString(light[name])
        m.opset_import[0].version = rng.choice((9, 11, 13, 17))  # past the opset gate, into the checks
        if rng.random() < 0.5:
            steps = [f(rng, m) for f in rng.sample(onnx_mutators.MUTATORS, rng.choice((1, 2)))]
            data, what = m.SerializeToString(), "; ".join(steps)
        else:
            data, what = mutate_bytes(m.SerializeToString(), rng.randrange(2**32))
        out.run(f"onnx-light-{k}: {name}: {what}", lambda: import_model(data, allow_fallback=True))
    print(out.check(least_ok=0, least_refused=5))


# --- external data ----------------------------------------------------------------------------------

SENTINEL = np.full(64, 1234.5, np.float32).tobytes()  # a value no seed weight has


class OpenWatch:
    """sys.addaudithook cannot be removed, so one hook is installed for the process and armed
    only inside a case: every 'open' of a path that resolves outside the armed folder is recorded,
    except Python's own code (lazy imports) under sys.prefix and the sys.path folders."""

    installed = False
    armed = None
    seen = []
    code_roots = ()

    @classmethod
    def install(cls):
        if not cls.installed:
            roots = {sys.prefix, sys.base_prefix, sys.exec_prefix} | {p for p in sys.path if p}
            cls.code_roots = tuple(sorted({os.path.realpath(r) for r in roots}))
            sys.addaudithook(cls._hook)
            cls.installed = True

    @staticmethod
    def _under(root, path):
        return os.path.commonpath([root, path]) == root

    @classmethod
    def _hook(cls, event, args):
        if cls.armed is None or event != "open" or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        full = os.path.realpath(os.fsdecode(args[0]))
        if cls._under(cls.armed, full) or any(cls._under(r, full) for r in cls.code_roots):
            return
        cls.seen.append(full)


@pytest.fixture
def tree(tmp_path):
    """tmp/model (the model's folder: weights, a subfolder, a FIFO, symlinks out) and tmp/outside
    (a sentinel file the importer must never open)."""
    model = tmp_path / "model"
    outside = tmp_path / "outside"
    (model / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "sentinel.bin").write_bytes(SENTINEL * 4)
    os.symlink(outside / "sentinel.bin", model / "link.bin")
    os.symlink(outside, model / "linkdir")
    os.symlink(model / "sub" / "loop", model / "sub" / "loop")  # a symlink loop
    os.mkfifo(model / "fifo.bin")  # opening a FIFO would block: must be refused before open
    OpenWatch.install()
    real_outside = os.path.realpath(outside)
    assert not any(OpenWatch._under(r, real_outside) for r in OpenWatch.code_roots), "sentinel inside a code root"
    return model, outside


LOCATIONS = ["weights.bin", "./weights.bin", "sub/../weights.bin", "sub/w.bin", "../outside/sentinel.bin",
             "sub/../../outside/sentinel.bin", "link.bin", "linkdir/sentinel.bin", "linkdir/../model/weights.bin",
             "sub/loop", "fifo.bin", "sub", ".", "", "..", "/", "~/sentinel.bin", "..\\outside\\sentinel.bin",
             "C:\\outside\\sentinel.bin", "C:sentinel.bin", "file:///etc/hostname", "weights.bin\x00.txt",
             "%2e%2e/outside/sentinel.bin", "//outside/sentinel.bin", "\\\\host\\share\\w.bin", "missing.bin",
             "sub/" + "a" * 300 + ".bin", "weights.bin/"]


def _external_case(rng, model_dir, outside):
    """A seed model whose weights (and maybe a Constant's tensor) live in external files."""
    name = rng.choice(("tiny_resnet", "mlp", "shape_chain"))
    m = onnx.ModelProto()
    m.ParseFromString(_seed_bytes()[name])
    consts = [a.t for n in m.graph.node if n.op_type == "Constant" for a in n.attribute if a.name == "value"]
    tensors = [t for t in list(m.graph.initializer) + consts if t.data_type == TensorProto.FLOAT and len(t.raw_data) >= 16]
    blob = bytearray()
    for t in rng.sample(tensors, rng.randint(1, min(4, len(tensors)))):
        loc = rng.choice(LOCATIONS + ["weights.bin"] * 6)  # half of them legitimate
        if rng.random() < 0.05:
            loc = str(outside / "sentinel.bin")  # absolute path to the sentinel
        if loc.startswith("~"):
            loc = os.path.expanduser("~")[:0] + loc
        offset, length = len(blob), len(t.raw_data)
        blob += t.raw_data
        how = rng.randrange(10)
        if how == 0:
            offset = rng.choice((-1, -2**63, 2**62, 2**64, len(SENTINEL)))
        elif how == 1:
            length = rng.choice((0, -1, length + 4, 2**62, 2**64))
        elif how == 2:
            offset, length = rng.choice((("abc", length), ("1e3", length), (" 12", "0x10"), ("", ""), ("4.0", length)))
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        entries = [("location", loc), ("offset", str(offset)), ("length", str(length))]
        if how == 3:
            entries = [e for e in entries if e[0] != rng.choice(("location", "offset", "length"))]
        if how == 4:
            entries.append(("location", "../outside/sentinel.bin"))  # a second location entry
        if how == 5:
            entries.append(("checksum", "0" * 40))
        for key, value in entries:
            e = t.external_data.add()
            e.key, e.value = key, value
    (model_dir / "weights.bin").write_bytes(bytes(blob))
    (model_dir / "sub" / "w.bin").write_bytes(bytes(blob[: len(blob) // 2]))
    p = model_dir / "model.onnx"
    p.write_bytes(m.SerializeToString())
    return p, name


def test_fuzz_external_data_never_leaves_the_folder(tree):
    model_dir, outside = tree
    out = Outcomes("onnx external-data fuzz")
    leaks = []
    for k in range(cases(N_EXTERNAL)):
        rng = random.Random(f"onnx-external-{k}")
        p, name = _external_case(rng, model_dir, outside)
        holder = {}

        def case():
            holder["net"] = fpgaops.load_onnx(str(p))

        OpenWatch.seen = []
        OpenWatch.armed = os.path.realpath(model_dir)
        try:
            kind = out.run(f"onnx-external-{k}: {name}", case)
        finally:
            OpenWatch.armed = None
        if OpenWatch.seen:
            leaks.append(f"case {k}: opened {OpenWatch.seen}")
        if kind == "ok":
            g = holder["net"].graph
            if any(SENTINEL[:16] in np.ascontiguousarray(v).tobytes() for v in g.consts.values()):
                leaks.append(f"case {k}: sentinel bytes in an imported tensor")
    assert not leaks, "\n".join(leaks[:20])
    print(out.check(least_ok=5, least_refused=20))
