"""A board's v++ link config (platforms/<board>/connectivity.cfg) for N compute-unit sets.

A CU set is one CU of each kernel (the xrt backend runs one image per set at a time,
backends/xrt/__init__.py); the search (search.py) chooses N. The kernels that carry most of a
CNN's time (REPLICATED: the conv engines and pooling) get N CUs; the others keep one, shared by
every set (the network estimate bounds images/s by them, network.py). Set 0 is the board's
hand-laid connectivity (the ``<kernel>_1`` lines); the others are derived from it per board kind:

  * HBM boards (u50, u280): with several sets the channels are laid out afresh, set 0 too, in
    nk= and argument order: every streaming port of a CU gets its own pseudo channel (UG1393 "HBM
    Configuration and Use"); a family's float32 and int8 CUs share theirs port by port (a network
    runs in one precision), Winograd shares conv2d's (a layer runs on one of them), read-once
    tables (and dwconv's taps) stay on the tables' channel. When the channels run out, a later
    set's port shares the same port's channel of an earlier set (set s with set s mod S, S the
    sets that got channels of their own); the estimator divides a shared bank's bandwidth among
    the sets streaming through it (memory.py, sharers()).
  * DDR boards with a bank per SLR (u250): set s sits s*SLRs/N SLRs further round, its ports on
    the banks shifted by as much (DDR[i] is attached to SLR i, UG1120).
  * Zynq (zcu104): every set uses the same HP ports (one PS DDR behind them all).
Alveo sets go on different SLRs where the device has several (a set's DSPs do not fit one SLR
next to another set's).
"""
import re


REPLICATED = ("fpgaops_conv2d", "fpgaops_winograd", "fpgaops_dwconv", "fpgaops_pool")
TABLE_PORTS = {"table", "lut", "bias", "mult", "shift"}
FAMILY_TABLE_PORTS = {"fpgaops_dwconv": {"weight"}}
ALTERNATIVES = {"fpgaops_winograd": "fpgaops_conv2d"}
# A second port onto the same buffer (conv2d.hpp load_weights reads each weight slice's halves
# through weight and weight_hi at once, fetch_x each row burst's halves through x and x_hi). Laid
# out afresh, it shares its partner's HBM channel: a pseudo channel already streams as fast as a
# port reads (memory.py), and channels are scarce; the ZCU104's hand-laid file gives each a PS port
# of its own (HPC0, HPC1), where the ports are the limit.
PAIRED_PORTS = {"weight_hi": "weight", "x_hi": "x"}
HEADER_END = "[connectivity]"


def family(kernel):
    """fpgaops_conv2d_i8 -> fpgaops_conv2d (fpgaops_winograd_* -> fpgaops_conv2d: one op's alternatives)."""
    fam = kernel.rsplit("_", 1)[0]
    return ALTERNATIVES.get(fam, fam)


def replicated(kernel):
    return kernel.rsplit("_", 1)[0] in REPLICATED


def table_ports(kernel):
    """The read-once pointer arguments of ``kernel`` (tables, per-channel vectors, dwconv's taps)."""
    return TABLE_PORTS | FAMILY_TABLE_PORTS.get(kernel.rsplit("_", 1)[0], set())


_SPECS = []  # the parsed kernel table, cached


def kernel_specs():
    """The kernel table of tops.hpp (fpgaops.kernels), parsed once; {} when it cannot be read."""
    from .. import kernels as kmod

    if not _SPECS:
        try:
            _SPECS.append(kmod.load())
        except Exception:  # noqa: BLE001 - optional for the model: two word bundles per kernel then
            _SPECS.append({})
    return _SPECS[0]


def cu_counts(kernels, sets, linked):
    """kernel -> CU count for ``sets`` CU sets: REPLICATED linked kernels get ``sets``, the rest one."""
    return {k: (sets if k in linked and replicated(k) else 1) for k in kernels}


def _shift(tag, by, counts):
    m = re.fullmatch(r"(\w+)\[(\d+)\]", tag)
    if not m or m.group(1) not in counts:
        return tag
    return f"{m.group(1)}[{(int(m.group(2)) + by) % counts[m.group(1)]}]"


def sharers(plat, specs=None):
    """bank tag -> how many CU sets stream through it (a set: the CUs at one index of the nk= lists;
    ports of one set never stream at once, the runner runs one layer at a time per set; nor do the
    float32 and int8 kernels, a network runs in one precision). Read-once table ports do not count."""
    specs = specs or kernel_specs()
    conn, out = plat.connectivity, {}
    for k, cus in conn.nk.items():
        if k not in specs:
            continue
        tables = table_ports(k)
        for s, cu in enumerate(cus):
            for a in specs[k].pointer_args:
                if a.name not in tables:
                    for tag in plat.port_banks(cu, a.name):
                        out.setdefault(tag, {}).setdefault(k.rsplit("_", 1)[1], set()).add(s)
    return {tag: max(len(sets) for sets in by_dtype.values()) for tag, by_dtype in out.items()}


def layout(plat, specs, linked, sets):
    """(nk, sp, slr) for ``sets`` CU sets: nk {kernel: [cu]}, sp {(cu, arg): bank tag}, slr {cu: SLR}."""
    conn = plat.connectivity
    counts = {}
    for b in plat.banks:
        m = re.fullmatch(r"(\w+)\[\d+\]", b.tag)
        if m:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    n_of = cu_counts(list(conn.nk), sets, linked)
    nk, sp, slr = {}, {}, {}
    hbm = plat.memory_type.startswith("HBM")
    channel = {}  # HBM: (family, set, port) -> tag, laid out afresh (set 0 included) when sets > 1
    table_tags = {conn.sp[(conn.nk[k][0], a.name)] for k in conn.nk if k in specs for a in specs[k].pointer_args
                  if (conn.nk[k][0], a.name) in conn.sp
                  and a.name in table_ports(k)}
    free = [b.tag for b in plat.banks if b.tag.startswith("HBM[") and b.tag not in table_tags]
    short = 0  # the first set that found no free channel
    if hbm and sets > 1:  # set after set, so whole sets get channels of their own first
        for s in range(sets):
            for k in conn.nk:
                if k not in specs or s >= n_of[k]:
                    continue
                tables = table_ports(k)
                for a in specs[k].pointer_args:
                    key = (family(k), s, a.name)
                    if a.name in tables or key in channel or (conn.nk[k][0], a.name) not in conn.sp:
                        continue
                    partner = channel.get((family(k), s, PAIRED_PORTS.get(a.name)))
                    if partner is not None:  # its partner's channel (the partner comes first)
                        channel[key] = partner
                        continue
                    if free:
                        channel[key] = free.pop(0)
                    else:  # out of channels: share the same port's channel of an earlier set
                        short = short or max(s, 1)
                        channel[key] = channel.get((family(k), s % short, a.name), conn.sp[(conn.nk[k][0], a.name)])
    for k in conn.nk:
        base = conn.nk[k][0]
        nk[k] = [base] + [f"{k}_{s + 1}" for s in range(1, n_of[k])]
        for s, cu in enumerate(nk[k]):
            if base in conn.slr:
                slr[cu] = plat.slrs[(plat.slrs.index(conn.slr[base]) + s * len(plat.slrs) // sets) % len(plat.slrs)] \
                    if plat.kind == "alveo" else conn.slr[base]
            if k not in specs:
                continue
            tables = table_ports(k)
            by_bundle = {}
            for a in specs[k].pointer_args:
                tag = conn.sp.get((base, a.name))
                if tag is None or sets == 1 or s == 0 and not hbm:
                    if tag is not None:
                        sp[(cu, a.name)] = tag
                    continue
                if a.bundle in by_bundle:  # arguments sharing an m_axi bundle share a bank
                    sp[(cu, a.name)] = by_bundle[a.bundle]
                    continue
                if hbm and a.name not in tables:
                    new = channel[(family(k), s, a.name)]
                elif hbm:
                    new = tag
                else:
                    new = _shift(tag, s * counts.get(re.sub(r"\[.*", "", tag), 0) // sets, counts)
                by_bundle[a.bundle] = sp[(cu, a.name)] = new
    return nk, sp, slr


def text(plat, specs, linked, sets):
    """The connectivity.cfg text for ``sets`` CU sets: the board file's header comment kept, the
    [connectivity] lines regenerated (nk=, then sp= and slr= per CU). One set: the file as it is."""
    old = (plat.directory / "connectivity.cfg").read_text()
    if sets == 1 and all(len(c) == 1 for c in plat.connectivity.nk.values()):
        return old
    nk, sp, slr = layout(plat, specs, linked, sets)
    header = old.split(HEADER_END, 1)[0].rstrip("\n")
    header = re.sub(r"\n# CU sets: .*?(?=\n[^#]|\Z)", "", header, flags=re.S)
    how = ("the HBM channels are laid out afresh,\n# set 0 included (the text above describes the one-set layout), "
           "while they last, then later sets share" if plat.memory_type.startswith("HBM") else
           "set 0 is the layout above, the others\n# are derived from it")
    header += (f"\n# CU sets: {sets} (written by benchmarks/bench_estimate.py --write-configs with "
               f"fpgaops.estimator.connectivity): {how}\n# (see that module). Each set runs whole images "
               "(backends/xrt/__init__.py); kernels outside its REPLICATED list keep one CU.")
    lines = [header, HEADER_END]
    lines += [f"nk={k}:{len(cus)}:{'.'.join(cus)}" for k, cus in nk.items()]
    lines.append("")
    lines += [f"sp={cu}.{arg}:{tag}" for (cu, arg), tag in sp.items()]
    if slr:
        lines.append("")
        lines += [f"slr={cu}:{s}" for cu, s in slr.items()]
    return "\n".join(lines) + "\n"


def with_sets(plat, specs, linked, sets):
    """``plat`` with its connectivity for ``sets`` CU sets (a copy; the file is not touched)."""
    import copy

    from ..platforms import Connectivity

    nk, sp, slr = layout(plat, specs, linked, sets)
    q = copy.copy(plat)
    q.connectivity = Connectivity(nk=nk, sp=sp, slr=slr)
    return q
