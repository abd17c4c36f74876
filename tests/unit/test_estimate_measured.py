"""The analytic estimator against the C-simulation cycle counters (issue 12, item 5): a fixed set of
ResNet-18, ResNet-50 and MobileNetV2 layer shapes (spatial sizes scaled down where csim is slow)
runs through the csim tops on random int8 data; the model's schedule for the same layer on the same
engine must be within 10 % of the counted cycles. So a kernel change that moves the counts moves
the estimate, or this test fails. Both figures are modeled hardware cycles (docs/estimator.md)."""
import pytest

from fpgaops import estimator as E
from fpgaops.estimator.measure import conv_layer as conv

pytest.importorskip("fpgaops._csim", reason="the C-simulation module is not built (scripts/dev-build.sh)")

def pool(name, c, h, k, s, p):
    oh = (h + 2 * p - k) // s + 1
    return E.Layer(name, "pool", dict(x=(1, c, h, h), y=(1, c, oh, oh), kernel=(k, k), stride=(s, s), padding=(p, p),
                                      dilation=(1, 1)))


FC = E.Layer("fc1000", "gemm", dict(batch=1, m=1, k=512, n=1000, trans_a=False, trans_b=False))
LAYERS = [
    # ResNet-18 (224x224 input; stem and first stages at half resolution)
    conv("resnet18.conv1 (112->56)", 3, 112, 64, 7, 2),
    conv("resnet18.layer1.conv (56->28)", 64, 28, 64, 3),
    conv("resnet18.layer2.0.conv1", 64, 28, 128, 3, 2),
    conv("resnet18.layer2.0.downsample", 64, 28, 128, 1, 2),
    conv("resnet18.layer3.1.conv2", 256, 14, 256, 3),
    conv("resnet18.layer4.1.conv2", 512, 7, 512, 3),
    FC,
    # ResNet-50 bottleneck
    conv("resnet50.layer1.0.conv1 (56->28)", 64, 28, 64, 1),
    conv("resnet50.layer2.0.conv3", 128, 28, 512, 1),
    conv("resnet50.layer3.0.conv1", 512, 14, 256, 1),
    conv("resnet50.layer4.0.conv2", 512, 14, 512, 3, 2),
    # MobileNetV2 (inverted residuals: expand 1x1, depthwise 3x3, project 1x1)
    conv("mobilenetv2.features.0 (112->56)", 3, 112, 32, 3, 2),
    conv("mobilenetv2.features.2.expand (56->28)", 16, 28, 96, 1),
    conv("mobilenetv2.features.2.dw (56->28)", 96, 28, 96, 3, 2, groups=96),
    conv("mobilenetv2.features.4.dw", 144, 28, 144, 3, 1, groups=144),
    conv("mobilenetv2.features.14.dw", 576, 14, 576, 3, 2, groups=576),
    conv("mobilenetv2.features.1.dw (112->28)", 32, 28, 32, 3, 1, groups=32),
    conv("mobilenetv2.features.11.dw", 384, 14, 384, 3, 1, groups=384),
    conv("mobilenetv2.features.17.dw", 960, 7, 960, 3, 1, groups=960),
    conv("mobilenetv2.features.17.project", 960, 7, 320, 1),
    # an odd number of output channels: odd weight slices (load_weights' LOAD_W_ODD), a short row block
    conv("odd Kg (5 channels)", 24, 12, 5, 3),
    # pools: ResNet's stem maxpool on the channel-blocked path, an average-pool shape, a 7x7 stride-1
    # window that keeps 7 output rows open (the planar path)
    pool("resnet18.maxpool", 64, 112, 3, 2, 1),
    pool("densenet.transition.pool (2x2/2)", 128, 28, 2, 2, 0),
    pool("pool 7x7/1 (planar path)", 8, 20, 7, 1, 3),
]


@pytest.fixture(scope="module")
def rows():
    return E.measure(LAYERS)


def test_every_layer_was_measured_on_its_engine(rows):
    assert [r.name for r in rows] == [L.name for L in LAYERS]
    engines = {r.kernel for r in rows}
    assert {"conv2d", "dwconv", "gemm", "pool"} <= engines, engines
    for r in rows:
        assert r.measured > 0 and r.processes and r.label == "modeled"


@pytest.mark.parametrize("i", range(len(LAYERS)), ids=[L.name for L in LAYERS])
def test_analytic_within_10_percent_of_the_csim_counters(rows, i):
    r = rows[i]
    assert abs(r.analytic - r.measured) <= 0.10 * r.measured, \
        f"{r.name} on {r.kernel}: analytic {r.analytic:.0f} vs measured {r.measured:.0f} cycles ({r.processes})"


def test_dwconv_processes_match_the_counters_exactly(rows):
    # dwconv.hpp's region, process by process: the model (cycles.py dwconv_schedule) counts the same
    # loop entries and iterations as the C-simulation counters, so it is exact, not just within 10 %
    from fpgaops import config

    p = E.GemmParams.from_config(config.current())
    dw = [(r, L) for r, L in zip(rows, LAYERS) if r.kernel == "dwconv"]
    assert len(dw) == 6
    for r, L in dw:
        sc = E.dwconv_schedule(p, "int8", L.attrs)
        assert r.processes == {f"image/{k}": sc[k] for k in ("fetch", "split", "compute", "store")}, r.name


def test_dwconv_batch_odd_channels_and_multiplier_measured():
    # n = 2, channels not a multiple of SIMD (padded by the host), a channel multiplier of 2 (expanded)
    layers = [conv("odd", 40, 9, 40, 3, 2, groups=40, n=2), conv("mult2", 24, 10, 48, 3, 1, groups=24)]
    for r in E.measure(layers):
        assert r.kernel == "dwconv" and r.analytic == r.measured, (r.name, r.analytic, r.processes)


def test_cli_estimate_measure(capsys):
    from fpgaops import cli

    assert cli.main(["estimate", "mobilenet_v2", "--platform", "zcu104", "--measure"]) == 0
    out = capsys.readouterr().out
    assert "measured (C-simulation cycle counters) vs analytic cycles" in out
    assert "features.1.conv.0.0" in out and "dwconv" in out


def test_dwconv_float32_schedule_matches_the_counters():
    # float32: the same loops, the deeper float pipeline (D = 14) and 16 lanes per word
    import numpy as np

    import fpgaops as fo
    from fpgaops import _csim, config

    p = E.GemmParams.from_config(config.current())
    for c, h, stride in ((48, 14, 1), (24, 15, 2)):
        L = conv("f32", c, h, c, 3, stride, groups=c)
        rng = np.random.default_rng(1)
        x = rng.standard_normal((1, c, h, h)).astype(np.float32)
        w = rng.standard_normal((c, 1, 3, 3)).astype(np.float32)
        _csim.cycles_reset()
        with fo.device("csim"):
            fo.conv2d(x, w, stride=stride, padding=1, groups=c, algo="dwconv")
        got = {r["process"]: r["cycles"] for r in _csim.cycles() if r["kernel"] == "fpgaops_dwconv_f32"}
        sc = E.dwconv_schedule(p, "float32", L.attrs)
        assert got == {k: sc[k] for k in ("fetch", "split", "compute", "store")}, (c, h, stride)


def _model_load(layer):
    """The model's conv2d processes "weights" (load_weights), "load" (window generator +
    line-buffer fills), "fetch" and "fetch_hi" (x's words for the fills, each row's two halves),
    ideal memory."""
    from fpgaops import config as cfgmod
    from fpgaops.estimator import cycles as C
    from fpgaops.estimator.params import GemmParams

    p = GemmParams.from_config(cfgmod.current())
    a = C.fold_attrs(p, layer.attrs)
    gm = C.conv2d_geometry(p, a, "int8")
    nk = C.mac_tile(p, "int8", gm["crs"], b_vmajor=True)["nk"]
    weights, emit, fills, _, _, fetch, fetch_hi = C.conv2d_load_tile(p, "int8", a, gm, nk,
                                                                     C.conv2d_weight_reads(p, "int8", a, gm, nk)[1])
    return tuple(gm["n_tiles"] * v for v in (weights, emit + fills, fetch, fetch_hi))


@pytest.mark.parametrize("i", range(len(LAYERS)), ids=[L.name for L in LAYERS])
def test_conv2d_loader_within_10_percent_of_the_csim_load_counters(rows, i):
    # The slowest process is usually the MAC array; the loaders (the weights, the window generator's
    # channels per cycle) and the x fetch are checked on their own so a change of their rates moves
    # the model or fails here.
    r = rows[i]
    if r.kernel != "conv2d":
        pytest.skip(f"{r.name} runs on {r.kernel}, not conv2d")
    for name, analytic in zip(("weights", "load", "fetch", "fetch_hi"), _model_load(LAYERS[i])):
        measured = r.processes[f"tiles/{name}"]
        assert abs(analytic - measured) <= 0.10 * measured, \
            f"{r.name}: analytic {name} {analytic:.0f} vs csim {measured}"


def test_pool_processes_match_the_counters_exactly(rows):
    # pool.hpp's regions, process by process: the model (cycles.py pool_schedule; the channel-blocked
    # region for the windows it takes, the planar one otherwise) counts what the csim counters count
    from fpgaops import config
    from fpgaops.estimator.cycles import pool_schedule

    p = E.GemmParams.from_config(config.current())
    pools = [(r, L) for r, L in zip(rows, LAYERS) if r.kernel == "pool"]
    assert len(pools) == 3
    regions = set()
    for r, L in pools:
        sc = pool_schedule(p, "int8", L.attrs)
        region = "blocked" if L.attrs["kernel"] != (7, 7) else "stream"
        regions.add(region)
        assert r.processes == {f"{region}/{k}": v for k, v in sc.items()}, (r.name, r.processes, sc)
    assert regions == {"blocked", "stream"}
