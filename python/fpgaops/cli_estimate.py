"""``fpgaops estimate MODEL``: the estimator's command line (registered in cli.COMMANDS)."""
from pathlib import Path

from . import estimator as E


def add_arguments(p):
    """Arguments of ``fpgaops estimate``."""
    p.add_argument("model", help="a zoo network (resnet18, resnet50, mobilenet_v2, ...) or an ONNX file")
    p.add_argument("--platform", default="zcu104", help="board under platforms/ (zcu104, u50, u250, u280)")
    p.add_argument("--config", default=None,
                   help="kernel config TOML (default: the board's, platforms/<board>/kernel.toml over kernels/config)")
    p.add_argument("--batch", type=int, default=1, help="images per kernel call (default 1)")
    p.add_argument("--dtype", choices=E.DTYPES, default="int8")
    p.add_argument("--clock-mhz", type=float, default=None, help="kernel clock (default: the board config's)")
    p.add_argument("--cus", type=int, default=None, help="CU sets: CUs of each conv / pool kernel, each set running whole images "
                                                        "(default: the board's nk=)")
    p.add_argument("--kernels", choices=E.KERNEL_SETS, default="board",
                   help="budget the kernels of platforms/<board>/kernel.toml (board, the default), every kernel of "
                        "connectivity.cfg (linked), only those of --dtype (dtype: a dedicated xclbin), or those "
                        "without fpgaops_gemm, FC layers then run as 1x1 convs (conv)")
    p.add_argument("--algos", default=None,
                   help="comma-separated conv engines among im2col,winograd,dwconv (winograd / dwconv without "
                        "their headers are planned engines; default: the engines that exist)")
    p.add_argument("--compare", action="store_true",
                   help="also print AMD's published Vitis AI DPU images/s for this network and board")
    p.add_argument("--json", action="store_true", help="print the estimate as JSON")
    p.add_argument("--measure", action="store_true",
                   help="also run the network's conv / GEMM layers through the C-simulation tops (random int8 "
                        "data, cycle counters on) and print the counted cycles beside the analytic ones")


def cmd_estimate(args):
    import json

    kw = {}
    if args.clock_mhz is not None:
        kw["clock_mhz"] = args.clock_mhz
    if args.cus is not None:
        kw["cus"] = args.cus
    if args.algos:
        kw["algos"] = tuple(a.strip() for a in args.algos.split(",") if a.strip())
    e = E.estimate(args.model, args.platform, dtype=args.dtype, batch=args.batch, config=args.config,
                   kernels=args.kernels, **kw)
    if args.json:
        print(json.dumps(e.to_dict(), indent=1, default=str))
        return 0
    print(e)
    if args.measure:
        from .estimator.measure import table

        print()
        print(table(E.measure(E.resolve_net(args.model, args.batch)[1], e.platform)))
    if args.compare:
        dpu = E.DPU_FIGURES.get((e.platform, Path(str(args.model)).stem))
        if dpu is None:
            print("no published DPU figure for this network and board in fpgaops.estimator.DPU_FIGURES")
        else:
            print(f"AMD Vitis AI DPU (published, measured by AMD): {dpu} images/s; "
                  f"modeled fpgaops / DPU = {e.images_per_s / dpu:.3f}")
    return 0
