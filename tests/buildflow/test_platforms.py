"""platforms/<board>: platform.toml facts and connectivity.cfg, checked against tops.hpp."""
import re
import shutil
from pathlib import Path

import pytest

from fpgaops import config, kernels, platforms
from fpgaops.errors import ArgumentError, ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_every_board_is_there():
    assert platforms.available() == sorted(platforms.BOARDS)
    assert (ROOT / "platforms" / "README.md").is_file()


@pytest.mark.parametrize("board", platforms.BOARDS)
def test_board_loads_and_cites_its_sources(board):
    p = platforms.load(board)
    assert p.board == board and p.platform.startswith("xilinx_") and p.part.startswith("xc")
    assert p.kernel_clock_mhz > 0 and p.bandwidth_gbs > 0 and p.total_gib > 0
    assert all(p.budget[k] < p.resources[k] for k in platforms.RESOURCES)
    text = (ROOT / "platforms" / board / "platform.toml").read_text()
    assert re.search(r"\[(DS96[235]|UG1267|DS891)\]", text), "facts must cite AMD data sheets / user guides"
    assert "UG1120" in text or board == "zcu104"


@pytest.mark.parametrize("board", platforms.BOARDS)
def test_connectivity_covers_every_kernel(board):
    """Every kernel of tops.hpp has nk= and an sp= per pointer argument, banks exist, bundles agree."""
    problems = platforms.check(platforms.load(board), kernels.load())
    assert problems == [], "\n".join(problems)


# Ports read once per call or per output channel (activation tables, conv's per-channel bias and
# requantization vectors): they may share a pseudo channel with each other.
TABLE_PORTS = {"table", "lut", "bias", "mult", "shift"}
# ... and per kernel family: the depthwise filter taps (R*S values read once per output plane).
FAMILY_TABLE_PORTS = {"fpgaops_dwconv": {"weight"}}
# A second port onto its partner's buffer (conv2d's weight_hi, x_hi): on HBM it shares the partner's channel.
PAIRED_PORTS = {"weight_hi": "weight", "x_hi": "x"}


# Families that are alternative algorithms of one op (a layer runs on exactly one of them): they
# may share channels port by port like the two precisions of one family.
ALTERNATIVES = {"fpgaops_winograd": "fpgaops_conv2d"}


def _family(kernel):
    """fpgaops_conv2d_f32 -> fpgaops_conv2d: the float32 and int8 CUs of one family."""
    fam = kernel.rsplit("_", 1)[0]
    return ALTERNATIVES.get(fam, fam)


@pytest.mark.parametrize("board", ["u50", "u280"])
def test_hbm_pseudo_channels_spread_over_ports(board):
    """Each streaming port has a pseudo channel of its own; only read-once tables share one, and the
    float32 / int8 CUs of one family (never streaming at the same time: a network runs in one
    precision) may share the same port's channel."""
    p = platforms.load(board)
    users = {}
    for k, spec in kernels.load().items():
        for cu in p.compute_units(k):
            tags = [(a.name, tag) for a in spec.pointer_args for tag in p.port_banks(cu, a.name)]
            assert all(t.startswith("HBM[") for _n, t in tags)
            tables = TABLE_PORTS | FAMILY_TABLE_PORTS.get(k.rsplit("_", 1)[0], set())
            streaming = [t for n, t in tags if n not in tables and n not in PAIRED_PORTS]
            assert len(set(streaming)) == len(streaming), f"{cu}: two of its ports share a pseudo channel"
            for n, partner in PAIRED_PORTS.items():
                if any(m == n for m, _t in tags):
                    assert p.port_banks(cu, n) == p.port_banks(cu, partner), f"{cu}.{n}: not on {partner}'s channel"
            for n, t in tags:
                users.setdefault(t, set()).add((_family(k), "table" if n in tables else PAIRED_PORTS.get(n, n)))
    for tag, names in users.items():
        ports = {n for _f, n in names}
        assert len(names) == 1 or ports <= TABLE_PORTS or len(ports) == 1 and len({f for f, _n in names}) == 1, \
            f"{board}: {tag} shared by {sorted(names)}"


def test_u250_spreads_ddr_banks():
    p = platforms.load("u250")
    for k, spec in kernels.load().items():
        for cu in p.compute_units(k):
            banks = {p.port_banks(cu, a.name)[0] for a in spec.pointer_args}
            assert len(banks) >= 2 and all(b.startswith("DDR[") for b in banks)
            slr = p.connectivity.slr[cu]
            assert any(b.slr == slr for b in p.banks if b.tag in banks), f"{cu} has no bank in its own SLR"


def test_zcu104_is_single_slr_and_packaged():
    p = platforms.load("zcu104")
    assert p.kind == "zynq" and p.slrs == ["SLR0"] and not p.connectivity.slr


def test_connectivity_parser():
    c = platforms.parse_connectivity("""
# comment
[connectivity]
nk=k:2:k_a.k_b
sp=k_a.x:HBM[0:3]   # range
sp=k_b.x:DDR[1]
slr=k_a:SLR1
[vivado]
prop=run.impl_1.strategy=Performance_Explore
""")
    assert c.nk == {"k": ["k_a", "k_b"]} and c.slr == {"k_a": "SLR1"}
    assert platforms.expand_banks(c.sp[("k_a", "x")]) == ["HBM[0]", "HBM[1]", "HBM[2]", "HBM[3]"]
    assert platforms.parse_connectivity("[connectivity]\nnk=k:2").nk == {"k": ["k_1", "k_2"]}
    for bad, msg in [("nk=k:x", "nk: expected"), ("nk=k:2:a", "2 compute units but 1"), ("sp=k.x", "sp: expected"),
                     ("sp=k.x:HBM[3:1]", "runs backwards"), ("slr=k:SLRX", "slr: expected"), ("foo=1", "unsupported"),
                     ("nonsense", "expected key=value")]:
        with pytest.raises(ArgumentError, match=msg):
            platforms.parse_connectivity("[connectivity]\n" + bad, "t.cfg")


def test_check_reports_each_problem(tmp_path):
    p = platforms.load("u50")
    table = kernels.load()
    p.connectivity = platforms.parse_connectivity("""[connectivity]
nk=fpgaops_gemm_f32:1:f1
nk=fpgaops_other:1:o1
sp=f1.a:HBM[40]
sp=f1.batch:HBM[0]
sp=ghost.a:HBM[0]
slr=f1:SLR7
""")
    problems = "\n".join(platforms.check(p, table))
    assert "kernel fpgaops_gemm_i8 has no nk= line" in problems
    assert "f1.a: bank HBM[40] does not exist" in problems
    assert "f1.b: no sp= line" in problems
    assert "sp=f1.batch: fpgaops_gemm_f32 has no pointer argument 'batch'" in problems
    assert "compute unit ghost, which no nk= line creates" in problems
    assert "f1: SLR7 is not an SLR of u50" in problems
    assert "nk= names kernel fpgaops_other" in problems


def test_bundle_sharing_must_share_a_bank():
    p = platforms.load("u50")
    spec = kernels.parse_tops('extern "C" {\n// ---- gemm (fpgaops_gemm.cpp)\nvoid fpgaops_gemm_f32(int* a, int* b);\n}')[0]
    shared = kernels.KernelSpec(spec.name, spec.family, spec.source,
                                tuple(kernels.ArgSpec(a.index, a.name, a.ctype, True, 8, a.offset, "m_axi_gmem", "gmem")
                                      for a in spec.args))
    p.connectivity = platforms.parse_connectivity("[connectivity]\nnk=fpgaops_gemm_f32:1:c\nsp=c.a:HBM[0]\nsp=c.b:HBM[1]")
    assert any("share m_axi bundle gmem" in x for x in platforms.check(p, {spec.name: shared}))


def test_load_errors(tmp_path):
    with pytest.raises(ArgumentError, match="unknown board 'u55c'"):
        platforms.load("u55c")
    d = tmp_path / "b"
    d.mkdir()
    (d / "platform.toml").write_text("[board]\nkind = 'asic'\n")
    with pytest.raises(ArgumentError, match="board.kind must be one of"):
        platforms.load("b", d)
    src = (ROOT / "platforms" / "u50" / "platform.toml").read_text()
    (d / "platform.toml").write_text(src.replace('default_bank = "HBM[0]"', 'default_bank = "HBM[99]"'))
    (d / "connectivity.cfg").write_text("[connectivity]\n")
    with pytest.raises(ArgumentError, match="no memory bank 'HBM\\[99\\]'"):
        platforms.load("b", d)
    (d / "platform.toml").write_text(src.replace("dsps = 5952", 'dsps = "many"'))
    with pytest.raises(ArgumentError, match="resources.dsps"):
        platforms.load("b", d)


# ---- the board kernel configs: platforms/<board>/kernel.toml --------------------------------------------------
@pytest.mark.parametrize("board", platforms.BOARDS)
def test_board_kernel_config_is_valid_and_fits(board):
    from fpgaops import estimator

    bc = platforms.kernel_config(board)
    assert bc.source.name == "kernel.toml" and bc.kernels and 50 <= bc.clock_mhz <= 1000
    assert all(k in platforms.load(board).connectivity.nk for k in bc.kernels)
    res = estimator.resources(board)  # the board's config and linked kernels by default
    assert res.fits, f"{board}: {res.totals} over {res.budget}"


def test_board_config_round_trips_through_toml(tmp_path):
    bc = platforms.kernel_config("zcu104")
    path = tmp_path / "zcu104.toml"
    path.write_text(platforms.config_toml(bc.config))
    again = config.load(path)
    assert again.values == bc.config.values and again.digest == bc.digest
    assert bc.digest != config.current().digest  # the overlay changes something on this board


def _board_dir(tmp_path, overlay):
    d = tmp_path / "u50"
    shutil.copytree(platforms.platforms_dir() / "u50", d)
    (d / "kernel.toml").write_text(overlay)
    return platforms.load("u50", d)


@pytest.mark.parametrize("overlay, key", [
    ("[gemm]\nno_such_key = 1\n", "gemm.no_such_key"),
    ("[nosuch]\nx = 1\n", "nosuch"),
    ("[gemm]\ntile_m = 3\n", "gemm.tile_m"),                    # fails the base config's own rules
    ("[build]\nclock_mhz = 5\n", "build.clock_mhz"),
    ("[build]\nkernels = []\n", "build.kernels"),
    ("[build]\nkernels = [\"fpgaops_nope_i8\"]\n", "build.kernels"),
    ("[build]\ncus = 2\n", "build.cus"),
    # an int8-only build has no float32 MAC-array top to link
    ("[build]\nkernels = [\"fpgaops_conv2d_i8\", \"fpgaops_conv2d_f32\"]\n[gemm]\nfloat32 = 0\n", "build.kernels"),
])
def test_bad_overlay_names_the_key(tmp_path, overlay, key):
    plat = _board_dir(tmp_path, overlay)
    with pytest.raises(ConfigError) as e:
        platforms.kernel_config("u50", platform=plat)
    assert e.value.key == key


def test_link_config_keeps_only_the_linked_kernels():
    p = platforms.load("u50")
    text = platforms.link_config(p, ["fpgaops_conv2d_i8", "fpgaops_pool_i8"])
    conn = platforms.parse_connectivity(text)
    assert list(conn.nk) == ["fpgaops_conv2d_i8", "fpgaops_pool_i8"]
    assert conn.sp and all(cu.startswith(("fpgaops_conv2d_i8_", "fpgaops_pool_i8_")) for cu, _ in conn.sp)
    assert all(p.connectivity.sp[k] == v for k, v in conn.sp.items())


def test_board_without_kernel_toml_uses_the_base_config(tmp_path):
    d = tmp_path / "u50"
    shutil.copytree(platforms.platforms_dir() / "u50", d)
    (d / "kernel.toml").unlink()
    plat = platforms.load("u50", d)
    bc = platforms.kernel_config("u50", platform=plat)
    assert bc.digest == config.current().digest and bc.kernels == list(plat.connectivity.nk)
    assert bc.clock_mhz == plat.kernel_clock_mhz
