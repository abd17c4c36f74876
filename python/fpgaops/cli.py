"""The ``fpgaops`` command line.

    fpgaops devices            what can run here, with versions
    fpgaops demo               1024x1024 matmul on every device vs NumPy, then ResNet-18 on a photo
                               (top-5, per-layer profile, ONNX Runtime check); --net none skips it
    fpgaops xclbin-info FILE   kernels, compute units, args, banks and config digest of an xclbin
    fpgaops run MODEL          an ONNX file or zoo network (resnet18, ...) on a device [--profile]
    fpgaops compare MODEL      the same against ONNX Runtime: max error, top-5 agreement
    fpgaops estimate MODEL     modeled cycles, latency, images/s and DSP/BRAM use on a board (--platform)
    fpgaops deploy check TOML  validate a deploy.toml and write a model repository (--out)
    fpgaops serve REPO|TOML    the models over KServe v2 HTTP (fpgaops.serve)

Each subcommand is a function ``cmd_<name>(args)`` plus an entry in ``COMMANDS``.
"""
import argparse
import sys
import time

import numpy as np

from .textout import Progress, table  # noqa: F401  (re-exported: fpgaops.cli.table)


def cmd_devices(args):
    import fpgaops

    rows = [(d.name, "yes" if d.available else "no", d.version, d.detail) for d in fpgaops.devices()]
    print(table(rows, ["device", "available", "version", "detail"]))
    print(f"\ndefault device: {fpgaops.current_device().name}")
    return 0


def cmd_demo(args):
    """The README's demo: the devices, one matmul on every available device checked against NumPy,
    then a zoo network (ResNet-18 by default) on a sample photo on the default device with its
    per-layer profile and the comparison with ONNX Runtime (fpgaops.cli_nets)."""
    rc = _demo_matmul(args)
    if args.net != "none":
        from .cli_nets import cmd_demo_net

        print()
        rc = cmd_demo_net(args) or rc
    return rc


def _demo_matmul(args):
    import fpgaops
    from fpgaops.reference import gemm as ref

    n = args.size
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    t0 = time.perf_counter()
    want = a @ b
    t_numpy = time.perf_counter() - t0
    bound = ref.tolerance(a, b)
    cmd_devices(args)
    print(f"\n{n}x{n} @ {n}x{n} float32 matmul ({2 * n ** 3 / 1e9:.2f} GFLOP), checked against NumPy "
          "within the rigorous float32 error bound of fpgaops.reference.gemm.tolerance\n")
    devs = [d.name for d in fpgaops.devices() if d.available and d.name in args.devices]
    rows, ok = [("numpy", f"{t_numpy * 1e3:.1f}", f"{2 * n ** 3 / t_numpy / 1e9:.1f}", "-", "oracle")], True
    bar = Progress(len(devs), "demo")
    for name in devs:
        with fpgaops.device(name):
            fpgaops.matmul(a[:8, :8], b[:8, :8])  # warm-up: builds/caches the kernel program
            t0 = time.perf_counter()
            got = fpgaops.matmul(a, b)
            dt = time.perf_counter() - t0
        err = float(np.max(np.abs(got.astype(np.float64) - want)))
        good = bool(np.all(np.abs(got.astype(np.float64) - ref.gemm(a, b).astype(np.float64)) <= bound))
        ok &= good
        rows.append((name, f"{dt * 1e3:.1f}", f"{2 * n ** 3 / dt / 1e9:.1f}", f"{err:.2e}", "ok" if good else "MISMATCH"))
        bar.step(name)
    print(table(rows, ["device", "ms (incl. copies)", "GFLOP/s", "max |err|", "check"]))
    return 0 if ok else 1


def cmd_xclbin_info(args):
    """Kernels, compute units, args (with control-register offsets), memory banks, config digest."""
    from . import xclbin

    x = xclbin.Xclbin.read(args.file)
    print(x.info(xclbin.read_manifest(args.file)))
    return 0


COMMANDS = {
    "devices": (cmd_devices, "list the devices fpgaops can use here", lambda p: None),
    "demo": (cmd_demo, "matmul on every device vs NumPy, then ResNet-18 on a photo vs ONNX Runtime",
             lambda p: (p.add_argument("--size", type=int, default=1024),
                        p.add_argument("--devices", nargs="+", default=["reference", "csim", "opencl", "xrt"]),
                        p.add_argument("--net", default="resnet18", help="zoo network run on a sample photo after "
                                       "the matmul (profile + ONNX Runtime check); 'none' to skip"),
                        p.add_argument("--device", default=None, help="device for --net (default: fastest)"))),
    "xclbin-info": (cmd_xclbin_info, "show an xclbin's kernels, compute units, args, memory banks and config digest",
                    lambda p: p.add_argument("file", help="the .xclbin (its manifest is read from beside it)")),
    "run": (lambda a: _nets().cmd_run(a), "run an ONNX model or zoo network (resnet18, ...) on a device",
            lambda p: _nets()._common(p)),
    "compare": (lambda a: _nets().cmd_compare(a), "run a network and compare it with ONNX Runtime (max error, top-5)",
                lambda p: _nets()._common(p, compare=True)),
    "quantize": (lambda a: _quant().cmd_quantize(a),
                 "int8 post-training quantization of a network; --report: per-layer SQNR, accuracy, PNG plot",
                 lambda p: _quant().add_arguments(p)),
    "qdq": (lambda a: _quant().cmd_qdq(a),
            "run a pre-quantized ONNX model (QDQ/QOperator) on the int8 kernels, layer by layer against ONNX Runtime",
            lambda p: _quant().add_qdq_arguments(p)),
    "estimate": (lambda a: _estimator().cmd_estimate(a),
                 "modeled per-layer cycles, latency, images/s and DSP/BRAM/URAM use of a network on a board",
                 lambda p: _estimator().add_arguments(p)),
    "deploy": (lambda a: _serve().cmd_deploy(a), "check a deploy.toml and write a model repository (deploy check)",
               lambda p: _serve().add_deploy_arguments(p)),
    "serve": (lambda a: _serve().cmd_serve(a), "serve a model repository or deploy.toml over KServe v2 HTTP",
              lambda p: _serve().add_serve_arguments(p)),
}


def _serve():
    from .serve import cli

    return cli


def _estimator():
    from . import cli_estimate

    return cli_estimate


def _quant():
    from . import cli_quant

    return cli_quant


def _nets():
    from . import cli_nets

    return cli_nets


def main(argv=None):
    parser = argparse.ArgumentParser(prog="fpgaops", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_fn, help_, add) in COMMANDS.items():
        add(sub.add_parser(name, help=help_))
    args = parser.parse_args(argv)
    from .errors import FpgaopsError

    try:
        return COMMANDS[args.command][0](args)
    except FpgaopsError as e:
        print(f"fpgaops {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
