"""The model repository: ``fpgaops deploy check`` writes it, the server loads it.

    REPO/deploy.json                    the validated deployment (platform, model order)
    REPO/<model>/<version>/model.onnx   the float32 graph (zoo weights applied)
    REPO/<model>/<version>/int8.onnx    an ONNX Runtime int8 model (precision int8 from int8_model)
    REPO/<model>/<version>/calibration.npy   the calibration inputs (precision int8 from a folder):
                                        quantization is deterministic, so it is redone at load
    REPO/<model>/<version>/manifest.json     written last: the spec, sha256 of every file, of the
                                        source weights, the kernel config digest, fpgaops version

A version folder without manifest.json is incomplete and ignored (a writer in progress). Loading
checks every digest, the kernel config digest and the fpgaops version, and refuses with the reason.
"""
import hashlib
import json
import os
import shutil
import tempfile

import numpy as np

from .config import DeployError, ModelSpec, load as load_deploy

MANIFEST = "manifest.json"
FORMAT = 1
REQUIRED = ("name", "version", "spec", "files", "input_names", "outputs", "fpgaops_version", "kernel_config_digest")


class RepositoryError(DeployError):
    """A repository folder is missing, incomplete or does not match its manifest."""


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _env_digests():
    import fpgaops

    return {"fpgaops_version": fpgaops.__version__, "kernel_config_digest": fpgaops.config.current().digest}


def _available_devices():
    import fpgaops

    return {d.name for d in fpgaops.devices() if d.available}


def _load_calibration(folder, spec):
    """The .npy files of ``folder`` (sorted by name), each one batch (N, ...) or one sample, stacked."""
    files = sorted(f for f in os.listdir(folder) if f.endswith(".npy"))
    if len(spec.inputs) != 1:
        raise DeployError(folder, "a calibration folder serves single-input models only; use int8_model")
    want = spec.inputs[0][1][1:]
    arrs = []
    for f in files:
        try:
            a = np.load(os.path.join(folder, f), allow_pickle=False)
        except Exception as e:
            raise DeployError(os.path.join(folder, f), f"not a readable .npy file: {e}") from None
        if tuple(a.shape) == tuple(want):
            a = a[None]
        if a.ndim != len(want) + 1 or tuple(a.shape[1:]) != tuple(want):
            raise DeployError(os.path.join(folder, f), f"shape {a.shape} does not match the input shape "
                              f"(N, {', '.join(map(str, want))})")
        if a.dtype.kind not in "fiu" or not np.all(np.isfinite(a)):
            raise DeployError(os.path.join(folder, f), "expected finite numbers")
        arrs.append(a.astype(np.float32))
    return np.concatenate(arrs)


def calibration_batches(calib, batch=8):
    return [calib[i:i + batch] for i in range(0, len(calib), batch)]


def build_network(folder, spec):
    """The runnable network of a version folder: a Network or a QuantizedNetwork."""
    import fpgaops

    if spec.precision == "int8" and spec.int8_model is not None:
        return fpgaops.load_qdq(os.path.join(folder, "int8.onnx"))
    net = fpgaops.load_onnx(os.path.join(folder, "model.onnx"))
    if spec.precision == "int8":
        calib = np.load(os.path.join(folder, "calibration.npy"), allow_pickle=False)
        return net.quantize(calibration_batches(calib))
    return net


def concrete_shapes(spec, batch=1):
    return [tuple(batch if d == -1 else d for d in s) for _, s in spec.inputs]


def _float_net(net):
    return getattr(net, "float_network", net)


def check_model(net, spec, where):
    """Input names/ranks agree with the spec; the graph lowers at these shapes with no missing op."""
    fnet = _float_net(net)
    names = fnet.input_names
    if len(names) != len(spec.inputs):
        raise DeployError(where, f"the model has {len(names)} input(s) {names}, the spec gives {len(spec.inputs)}",
                          key="input_shape")
    for (want, shape), name in zip(spec.inputs, names):
        if want is not None and want != name:
            raise DeployError(where, f"the model's inputs are {names}, not {want!r}", key="inputs")
        decl = fnet.input_shapes.get(name)
        if decl is not None and len(decl) != len(shape):
            raise DeployError(where, f"input {name!r} has rank {len(decl)} in the model, {len(shape)} in the spec",
                              key="input_shape")
        if decl is not None:
            for d, s in zip(decl[1:], shape[1:]):
                if d is not None and d != s:
                    raise DeployError(where, f"input {name!r} is {decl} in the model, the spec says {list(shape)}",
                                      key="input_shape")
    try:
        g = net.optimized(*concrete_shapes(spec))
    except Exception as e:  # unsupported nodes, shape errors: say which model
        raise DeployError(where, f"{type(e).__name__}: {e}") from None
    miss = fnet.missing_ops()
    if miss:
        raise DeployError(where, f"this fpgaops lacks ops the model needs: {miss}")
    return g


def estimate_model(net, spec, platform):
    """fpgaops.estimate at batch 1 on ``platform``: refuses a model whose kernels do not fit."""
    import fpgaops

    g = net.optimized(*concrete_shapes(spec))
    try:
        est = fpgaops.estimate(g, platform=platform, dtype=spec.precision)
    except fpgaops.FpgaopsError as e:
        raise DeployError(spec.name, f"does not fit platform {platform!r}: {e}", key="platform") from None
    res = getattr(est, "resources", None)
    if res is not None and hasattr(res, "fits") and not res.fits:
        raise DeployError(spec.name, f"does not fit platform {platform!r}: over budget in {res.over()}")
    weight_bytes = sum(np.asarray(c).size for c in g.consts.values()) * (1 if spec.precision == "int8" else 4)
    return {"platform": platform, "latency_ms_modeled": est.latency_s * 1e3,
            "images_per_s_modeled": est.images_per_s, "weight_bytes": int(weight_bytes)}


def check_fit_together(estimates, specs, platform):
    """The models (times their instances) share one board's memory: their weights must fit in it."""
    from .. import platforms

    try:
        plat = platforms.load(platform)
    except Exception as e:
        raise DeployError("platform", f"unknown platform {platform!r}: {e}") from None
    total = sum(estimates[s.name]["weight_bytes"] * s.instances for s in specs)
    cap = plat.total_gib * 2**30
    if total > cap:
        raise DeployError("deploy", f"the models' weights ({total / 2**20:.1f} MiB with instances) exceed "
                          f"{platform}'s {plat.total_gib:g} GiB of {plat.memory_type}")
    return total


def _write_version(out, spec, progress=print):
    import onnx

    from .. import models

    folder = os.path.join(out, spec.name, str(spec.version))
    tmp = tempfile.mkdtemp(prefix=f".{spec.name}-", dir=os.path.join(out, spec.name))
    try:
        if spec.source in models.NAMES:
            proto = models.build_onnx(spec.source, weights=spec.weights)
            onnx.save(proto, os.path.join(tmp, "model.onnx"))
        else:
            try:
                proto = onnx.load(spec.source, load_external_data=False)
            except Exception as e:
                raise DeployError(spec.source, f"not a readable ONNX model: {e}") from None
            if any(t.data_location == onnx.TensorProto.EXTERNAL for t in proto.graph.initializer):
                raise DeployError(spec.source, "models with external data are not supported: save the weights "
                                  "inside the .onnx file")
            shutil.copyfile(spec.source, os.path.join(tmp, "model.onnx"))
        if spec.int8_model is not None:
            shutil.copyfile(spec.int8_model, os.path.join(tmp, "int8.onnx"))
        if spec.calibration is not None:
            np.save(os.path.join(tmp, "calibration.npy"), _load_calibration(spec.calibration, spec))
        try:
            net = build_network(tmp, spec)
        except Exception as e:  # unsupported nodes, malformed models, quantization failures: name the model
            raise DeployError(spec.name, f"cannot load {os.path.basename(spec.source)}: {type(e).__name__}: {e}") \
                from None
        g = check_model(net, spec, spec.name)
        files = {f: sha256_file(os.path.join(tmp, f)) for f in sorted(os.listdir(tmp))}
        outputs = [[o, [-1] + [int(d) for d in g.shapes[o][1:]]] for o in g.outputs]
        outputs = {"inputs": list(_float_net(net).input_names), "outputs": outputs}
        return tmp, folder, net, files, outputs
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def build(deploy_path, out, platform=None, progress=print):
    """Validate a deploy.toml, load/check/estimate/quantize every model, write the repository."""
    dep = load_deploy(deploy_path)
    platform = platform or dep.platform
    os.makedirs(out, exist_ok=True)
    staged, estimates = [], {}
    try:
        for spec in dep.models:
            os.makedirs(os.path.join(out, spec.name), exist_ok=True)
            progress(f"{spec.name}: loading {os.path.basename(spec.source)} ({spec.precision})")
            if spec.device != "auto" and spec.device not in _available_devices():
                progress(f"{spec.name}: note: device {spec.device!r} is not available on this machine; the server "
                         "will refuse to load it here")
            tmp, folder, net, files, outputs = _write_version(out, spec)
            staged.append((spec, tmp, folder, files, outputs))
            if platform:
                estimates[spec.name] = estimate_model(net, spec, platform)
                e = estimates[spec.name]
                progress(f"{spec.name}: fits {platform}: {e['latency_ms_modeled']:.2f} ms/image modeled, "
                         f"{e['weight_bytes'] / 2**20:.1f} MiB weights")
        if platform:
            total = check_fit_together(estimates, dep.models, platform)
            progress(f"all models fit {platform}: {total / 2**20:.1f} MiB of weights with instances")
        for spec, tmp, folder, files, outputs in staged:
            man = dict(_env_digests(), format=FORMAT, name=spec.name, version=spec.version, spec=spec.to_dict(),
                       files=files, input_names=outputs["inputs"], outputs=outputs["outputs"], weights_sha256=sha256_file(spec.weights) if spec.weights else None,
                       source_sha256=sha256_file(spec.source) if spec.source.endswith(".onnx") else None,
                       estimate=estimates.get(spec.name))
            with open(os.path.join(tmp, MANIFEST), "w") as f:
                json.dump(man, f, indent=1, sort_keys=True)
            if os.path.exists(folder):
                shutil.rmtree(folder)
            os.replace(tmp, folder)  # atomic: a watcher never sees a half-written version
            progress(f"{spec.name}: wrote {folder}")
    finally:
        for _, tmp, *_ in staged:
            shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(out, "deploy.json"), "w") as f:
        json.dump({"format": FORMAT, "platform": platform, "source": dep.path,
                   "models": [s.name for s in dep.models]}, f, indent=1)
    return dep


def versions(repo, name):
    """Complete versions (with a manifest) of model ``name``, ascending."""
    d = os.path.join(repo, name)
    if not os.path.isdir(d):
        return []
    return sorted(int(v) for v in os.listdir(d) if v.isdigit() and os.path.isfile(os.path.join(d, v, MANIFEST)))


def model_names(repo):
    p = os.path.join(repo, "deploy.json")
    if not os.path.isfile(p):
        raise RepositoryError(repo, "not a model repository (no deploy.json): run `fpgaops deploy check "
                              "deploy.toml --out REPO` first")
    with open(p) as f:
        return json.load(f)["models"]


def read_manifest(repo, name, version):
    """The verified manifest of one version: raises RepositoryError saying what does not match."""
    folder = os.path.join(repo, name, str(version))
    where = os.path.join(folder, MANIFEST)
    try:
        with open(where) as f:
            man = json.load(f)
    except (OSError, ValueError) as e:
        raise RepositoryError(where, f"unreadable manifest: {e}") from None
    if not isinstance(man, dict) or man.get("format") != FORMAT:
        raise RepositoryError(where, f"manifest format {man.get('format') if isinstance(man, dict) else None!r}, "
                              f"this fpgaops reads {FORMAT}")
    missing = [k for k in REQUIRED if k not in man]
    if missing:
        raise RepositoryError(where, f"the manifest lacks {missing}: rebuild with `fpgaops deploy check`")
    env = _env_digests()
    for k, v in env.items():
        if man.get(k) != v:
            raise RepositoryError(where, f"{k} is {man.get(k)!r} in the manifest but {v!r} here: rebuild with "
                                  "`fpgaops deploy check`", key=k)
    present = sorted(f for f in os.listdir(folder) if f != MANIFEST)
    if present != sorted(man["files"]):
        raise RepositoryError(where, f"files {present} differ from the manifest's {sorted(man['files'])}")
    for f, digest in man["files"].items():
        got = sha256_file(os.path.join(folder, f))
        if got != digest:
            raise RepositoryError(where, f"{f} has sha256 {got[:16]}..., the manifest says {digest[:16]}... "
                                  "(modified after deploy check)", key=f)
    man["spec"] = ModelSpec.from_dict(man["spec"])
    man["folder"] = folder
    return man
