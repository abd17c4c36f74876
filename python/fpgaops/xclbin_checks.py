"""Checked readers for the untrusted parts of an xclbin and of the manifest beside it.

An xclbin file, its XML/JSON metadata sections and its manifest come from outside: every value is
checked before use and every malformed input raises ArgumentError (the file) or DeviceError (a
well-formed file that does not belong to this installation), naming what is wrong. No other
exception escapes: not struct.error, UnicodeDecodeError, RecursionError (deeply nested JSON), the
ValueError of an over-long integer literal, nor AttributeError on JSON of an unexpected shape.

Standard library only, importable as a plain module: CMake runs ``python xclbin.py`` as a script.
"""
import json
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

try:
    from . import config as _config
    from . import kernels as _kernels
    from .errors import ArgumentError, DeviceError
except ImportError:  # run as a script by CMake
    import config as _config  # type: ignore[no-redef]
    import kernels as _kernels  # type: ignore[no-redef]
    from errors import ArgumentError, DeviceError  # type: ignore[no-redef]

MANIFEST_FORMAT = "fpgaops-xclbin-manifest/1"
MAX_MANIFEST_BYTES = 1 << 24  # a manifest is a few KiB; refuse to read a huge file whole


# --- fixed binary fields -------------------------------------------------------------------------

def cstr(raw, what):
    """A NUL-terminated fixed-size field as str (errors name the field)."""
    s = raw.split(b"\0", 1)[0]
    try:
        return s.decode("utf-8")
    except UnicodeDecodeError:
        raise ArgumentError("xclbin", f"{what}: not valid text ({s[:32]!r})") from None


def fixed(text, size, what):
    raw = text.encode("utf-8")
    if len(raw) >= size:
        raise ArgumentError(what, f"{text!r} is {len(raw)} bytes; the xclbin field holds at most {size - 1}")
    return raw.ljust(size, b"\0")


def count_table(data, entry, count_fmt, first, what):
    """Parse a count-prefixed array section: count at 0, entries from ``first``."""
    cs = struct.Struct(count_fmt)
    if len(data) < cs.size:
        raise ArgumentError("xclbin", f"{what} section is {len(data)} bytes, too short for its count")
    count = cs.unpack_from(data, 0)[0]
    if count < 0:
        raise ArgumentError("xclbin", f"{what} count is negative ({count})")
    need = first + count * entry.size
    if need > len(data):
        raise ArgumentError("xclbin", f"{what} declares {count} entries ({need} bytes) but the section holds {len(data)}")
    return [entry.unpack_from(data, first + i * entry.size) for i in range(count)]


# --- text metadata -------------------------------------------------------------------------------

def parse_json(raw, name, what, problem="is not valid JSON"):
    """JSON text (bytes) -> value; ArgumentError(name, "<what> <problem>") on anything else."""
    try:
        return json.loads(raw.decode("utf-8"))
    # ValueError covers JSONDecodeError and integer literals beyond Python's digit limit;
    # RecursionError is what the decoder raises on deeply nested arrays/objects
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ArgumentError(name, f"{what} {problem} ({type(e).__name__}: {str(e)[:120]})") from None


def parse_xml(raw, what):
    """XML text (bytes) -> Element. DTDs are refused: v++ writes none, and entity declarations are
    how an XML file expands to gigabytes (or reaches for other files)."""
    head = raw[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in raw.lower():
        raise ArgumentError("xclbin", f"{what}: XML with a DTD / entity declarations is not accepted")
    try:
        return ET.fromstring(raw)
    except (ET.ParseError, RecursionError) as e:
        raise ArgumentError("xclbin", f"{what} is not valid XML ({e})") from None


def xml_int(elem, key, where):
    text = elem.get(key, "")
    try:
        return int(text, 0) if text else 0
    except ValueError:
        raise ArgumentError("xclbin", f"EMBEDDED_METADATA: {where} attribute {key}={text[:40]!r} is not a number") from None


def dig(value, *keys):
    """value[k1][k2]... when it and every level on the way is a JSON object, else {} (for reports
    on metadata of an unexpected shape)."""
    for k in keys:
        value = value.get(k, {}) if isinstance(value, dict) else {}
    return value if isinstance(value, dict) else {}


# --- manifests ------------------------------------------------------------------------------------

def manifest_path(xclbin_path):
    """``foo.xclbin`` -> ``foo.manifest.json`` (same folder)."""
    p = Path(xclbin_path)
    return p.with_name(p.stem + ".manifest.json")


# fields the host reads, with their JSON types (the writer, make_manifest, writes all of them)
_MANIFEST_TEXT = ("xclbin_uuid", "board", "target", "platform", "xclbin")


def read_manifest(xclbin_path):
    """The manifest beside ``xclbin_path``, or None when there is none; ArgumentError when malformed."""
    p = manifest_path(xclbin_path)
    if not p.is_file():
        return None
    try:
        if p.stat().st_size > MAX_MANIFEST_BYTES:
            raise ArgumentError("manifest", f"{p} is {p.stat().st_size} bytes; a manifest is at most {MAX_MANIFEST_BYTES}")
        raw = p.read_bytes()
    except OSError as e:
        raise ArgumentError("manifest", f"{p} is not a readable JSON manifest ({e})") from None
    m = parse_json(raw, "manifest", str(p), "is not a readable JSON manifest")
    if not isinstance(m, dict) or m.get("format") != MANIFEST_FORMAT:
        raise ArgumentError("manifest", f"{p}: format is {m.get('format') if isinstance(m, dict) else None!r}, "
                            f"expected {MANIFEST_FORMAT!r}")
    cfg = m.get("config")
    if not isinstance(cfg, dict) or not isinstance(cfg.get("digest"), str):
        raise ArgumentError("manifest", f"{p}: no config digest")
    for k in _MANIFEST_TEXT:
        if k in m and not isinstance(m[k], str):
            raise ArgumentError("manifest", f"{p}: {k} is {m[k]!r}, expected a string")
    tool = m.get("tool", {})
    if not isinstance(tool, dict) or not all(isinstance(tool.get(k, ""), str) for k in ("name", "version")):
        raise ArgumentError("manifest", f"{p}: tool is {tool!r}, expected an object with string name and version")
    return m


def check_manifest(xclbin, cfg=None):
    """Refuse an xclbin whose manifest does not match it or the installed kernel config.

    Returns the manifest. DeviceError says which check failed and how to fix it."""
    cfg = cfg or _config.current()
    path = xclbin.source
    m = read_manifest(path)
    if m is None:
        raise DeviceError(f"xclbin {path} has no manifest ({manifest_path(path).name}) beside it, so the kernel "
                          "config it was built with is unknown; build xclbins with the project's CMake targets, "
                          "which write the manifest")
    if m.get("xclbin_uuid") != str(xclbin.uuid):
        raise DeviceError(f"manifest {manifest_path(path)} describes xclbin {m.get('xclbin_uuid')}, but {path} is "
                          f"{xclbin.uuid}: the manifest belongs to another build")
    if m["config"]["digest"] != cfg.digest:
        raise DeviceError(f"xclbin {path} was built for kernel config {m['config']['digest']}, but the installed "
                          f"config ({cfg.source}) is {cfg.digest}: rebuild the xclbin from this config, or run with "
                          f"FPGAOPS_KERNEL_CONFIG pointing at the config it was built with")
    return m


def check_kernels(xclbin, table=None):
    """Refuse an xclbin whose kernel argument lists differ from this installation's tops.hpp."""
    table = table if table is not None else _kernels.load()
    for k in xclbin.kernels:
        spec = table.get(k.name)
        if spec is None:
            continue  # not one of ours: ignored, never launched
        got = [(a.name, a.is_pointer, a.offset) for a in k.args]
        want = [(a.name, a.is_pointer, a.offset) for a in spec.args]
        if got != want:
            raise DeviceError(f"xclbin {xclbin.source}: kernel {k.name} has arguments {got}, but tops.hpp declares "
                              f"{want}: the xclbin was built from different kernel sources")
