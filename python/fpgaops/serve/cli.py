"""``fpgaops deploy check`` and ``fpgaops serve`` (wired into fpgaops.cli)."""
import os
import sys
import tempfile


def add_deploy_arguments(p):
    sub = p.add_subparsers(dest="deploy_command", required=True)
    c = sub.add_parser("check", help="validate a deploy.toml, load/check/estimate/quantize every model, "
                                     "write the repository")
    c.add_argument("deploy", help="the deploy.toml")
    c.add_argument("--platform", default=None, help="board for the resource check (default: [server] platform)")
    c.add_argument("--out", default=None, help="repository folder to write (default: check only)")


def cmd_deploy(args):
    from .repository import build

    out = args.out
    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="fpgaops-deploy-")
        out = tmp.name
    try:
        dep = build(args.deploy, out, platform=args.platform, progress=lambda s: print(s, file=sys.stderr))
    finally:
        if tmp is not None:
            tmp.cleanup()
    print(f"ok: {len(dep.models)} model(s) {', '.join(m.name for m in dep.models)}"
          + (f"; repository {os.path.abspath(args.out)}" if args.out else " (no --out: nothing written)"))
    return 0


def add_serve_arguments(p):
    p.add_argument("source", help="a repository folder (from deploy check --out) or a deploy.toml")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--platform", default=None, help="with a deploy.toml: board for the resource check")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="run on Ray Serve (a running cluster's ADDRESS, or a local instance)")
    p.add_argument("--ray-resource", default=None, metavar="NAME",
                   help="custom Ray resource each replica needs one of (one replica per card), e.g. fpga_u50")


def prepare_repo(source, platform=None):
    """A repository path: ``source`` itself, or a deploy.toml built into a temporary folder."""
    if os.path.isdir(source):
        return source, None
    from .repository import build

    tmp = tempfile.TemporaryDirectory(prefix="fpgaops-repo-")
    build(source, tmp.name, platform=platform, progress=lambda s: print(s, file=sys.stderr))
    return tmp.name, tmp


def cmd_serve(args):
    from . import logs

    logs.setup(args.log_level)
    repo, tmp = prepare_repo(args.source, args.platform)
    try:
        if args.ray:
            from .ray_serve import run as run_ray

            return run_ray(repo, args.ray, host=args.host, port=args.port, resource=args.ray_resource)
        import uvicorn

        from .app import make_app
        from .server import ModelServer

        app = make_app(ModelServer(repo))
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
        return 0
    finally:
        if tmp is not None:
            tmp.cleanup()
