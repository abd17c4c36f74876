"""Memory bandwidth: bytes per cycle of each m_axi port of a CU (its sp= banks) and of the whole
board, and the per-layer roofline that the board's DDR / HBM bandwidth puts under every layer.

A port's bandwidth is the sum of its banks' bandwidth (platforms/<board>/platform.toml), capped by
the board's total and by the port width times the clock (512 bits on Alveo, 128 bits on the Zynq
PS HP ports), times Options.bandwidth_efficiency. See docs/estimator.md, "Memory bandwidth".
"""
from .params import ZYNQ_PORT_BITS


def load_platform(platform):
    from .. import platforms

    if isinstance(platform, str):
        return platforms.load(platform)
    return platform


_BOARD_CONFIGS = {}


def board_config(plat):
    """The board's kernel config (platforms/<board>/kernel.toml over the base config, which is
    $FPGAOPS_KERNEL_CONFIG when set), its kernel clock and linked kernels: fpgaops.platforms.BoardConfig."""
    import os

    from .. import config as cfgmod
    from .. import platforms

    base = os.environ.get(cfgmod.ENV_VAR) or None
    key = (str(plat.directory), base)
    if key not in _BOARD_CONFIGS:
        _BOARD_CONFIGS[key] = platforms.kernel_config(plat.board, base, plat)
    return _BOARD_CONFIGS[key]


class PortBandwidth:
    """Bytes per cycle of each m_axi port of one CU of ``kernel``, and of the whole board (``board``)."""

    def __init__(self, plat, kernel, clock_mhz, eff):
        hz = clock_mhz * 1e6
        self.board = plat.bandwidth_gbs * 1e9 * eff / hz
        self._plat, self._cu, self._hz, self._eff = plat, plat.compute_units(kernel)[0], hz, eff
        self._banks = {b.tag: b for b in plat.banks}
        from .connectivity import sharers

        self._sharers = sharers(plat)

    def port(self, arg, width_bits):
        """A bank streamed through by several CU sets at once gives each its share (connectivity.py)."""
        plat, bw = self._plat, 0.0
        for tag in plat.port_banks(self._cu, arg):
            b = self._banks.get(tag)
            gbs = b.bandwidth_gbs if b is not None and b.bandwidth_gbs else plat.bandwidth_gbs
            share = gbs * 1e9 * self._eff / self._hz
            if plat.kind == "zynq":  # the PS port's 128 bits per cycle are what its masters share
                share = min(share, ZYNQ_PORT_BITS / 8)
            bw += share / self._sharers.get(tag, 1)
        return min(bw, self.board, width_bits / 8)

    def concurrent(self, nbytes, width_bits):
        """Cycles to move ``nbytes`` ({argument: bytes}) through ports that stream at the same time
        (each argument read or written by a DATAFLOW process of its own): arguments on disjoint
        banks overlap, those sharing a bank take turns on it, so the slowest bank decides."""
        by_banks = {}
        for arg, b in nbytes.items():
            if b:
                key = tuple(sorted(self._plat.port_banks(self._cu, arg)))
                by_banks[key] = by_banks.get(key, 0.0) + b / self.port(arg, width_bits)
        return max(by_banks.values(), default=0.0)


def roofline(macs, nbytes, peak_macs_per_cycle, board_bytes_per_cycle):
    """The roofline floor of one layer in cycles: max(MACs / peak, bytes / board bandwidth), and which
    roof binds ("compute" or "memory"). No schedule can beat it; the engine models are at or above it."""
    compute = macs / peak_macs_per_cycle if peak_macs_per_cycle else 0.0
    memory = nbytes / board_bytes_per_cycle if board_bytes_per_cycle else 0.0
    return (max(compute, memory), "compute" if compute >= memory else "memory")
