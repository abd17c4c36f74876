"""Fuzzing the xclbin reader (fpgaops.xclbin): container, sections, metadata and manifests.

Seeds: the metadata-only xclbins (and manifests) the project's own writer makes for every board.
Mutations (seeded, deterministic): byte-level (truncation, bit flips, overwrites, chunk splices),
header fields (length, section count), section headers (offsets and sizes beyond the file, 64-bit
overflow, overlapping and duplicated sections, unknown kinds, non-text names), section payloads
(counts, indices, XML and JSON metadata) and the manifest beside the file.
Each case reads the file through the whole public surface (parse, every section view, info(),
check_kernels, check_manifest, the CLI); the outcome must be "ok" or an FpgaopsError (fuzzlib).
"""
import json
import random
import struct
import zlib

import pytest

from fpgaops import cli, kernels, xclbin as X
from fpgaops.platforms import BOARDS

from fuzzlib import Outcomes, cases, mutate_bytes

# cases per mutation family (the whole file takes ~10 s of one core here; see docs/decisions.md)
N_BYTES, N_HEADER, N_PAYLOAD, N_MANIFEST = 400, 400, 400, 200
NSEC_AT = X.HEADER_OFFSET + 144


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """{board: (xclbin bytes, manifest text)} written by the project's own writer."""
    d = tmp_path_factory.mktemp("xclbin_seeds")
    out = {}
    for b in BOARDS:
        p = X.write_project_xclbin(b, d / f"{b}.xclbin")
        out[b] = (p.read_bytes(), X.manifest_path(p).read_text())
    return out


_TABLE = []


def _tops():
    """tops.hpp's kernel table, parsed once (check_kernels would parse it per call)."""
    if not _TABLE:
        _TABLE.append(kernels.load())
    return _TABLE[0]


def exercise(path):
    """Everything a user or the xrt backend does with an xclbin file; checks what it can."""
    x = X.Xclbin.read(path)
    x.ip_layout, x.mem_topology, x.connectivity, x.clocks, x.kernels, x.build_metadata, x.arg_banks()
    again = X.Xclbin.parse(x.to_bytes())  # accepted -> it round-trips
    assert [(s.kind, s.name, s.data) for s in again.sections] == [(s.kind, s.name, s.data) for s in x.sections]
    m = X.read_manifest(path)
    assert isinstance(x.info(m), str)
    X.check_kernels(x, _tops())
    X.check_manifest(x)


def cli_info(path, capsys):
    rc = cli.main(["xclbin-info", str(path)])
    capsys.readouterr()
    assert rc in (0, 2), rc


def _case(tmp_path, data, manifest):
    p = tmp_path / "case.xclbin"
    p.write_bytes(data)
    mp = X.manifest_path(p)
    if manifest is None:
        mp.unlink(missing_ok=True)
    else:
        mp.write_bytes(manifest if isinstance(manifest, bytes) else manifest.encode())
    return p


def _pick(seeds, rng):
    board = rng.choice(sorted(seeds))
    return board, seeds[board][0], seeds[board][1]


# --- header and section-table mutations -----------------------------------------------------------

def _put(data, off, fmt, value):
    b = bytearray(data)
    struct.pack_into(fmt, b, off, value)
    return bytes(b)


def mutate_header(data, rng, n):
    """``n``: the seed's section count (the field itself may already be mutated)."""
    heads = [struct.unpack_from("<I16s4xQQ", data, X.SECTIONS_OFFSET + i * 40) for i in range(n)]
    what = rng.randrange(8)
    i = rng.randrange(n)
    at = X.SECTIONS_OFFSET + i * 40
    if what == 0:
        v = rng.choice((0, 1, X.SECTIONS_OFFSET, X.AXLF_SIZE - 1, len(data) - 1, len(data) + 1, 2**63, 2**64 - 1))
        return _put(data, X.HEADER_OFFSET, "<Q", v), f"m_length={v}"
    if what == 1:
        v = rng.choice((0, 1, n - 1, n + 1, 0xFFFF, 0x10000, 0x10001, 2**32 - 1))
        return _put(data, NSEC_AT, "<I", v), f"m_numSections={v}"
    if what == 2:
        v = rng.choice((0, 8, X.SECTIONS_OFFSET, len(data), len(data) - 1, 2**63, 2**64 - 1,
                        2**64 - heads[i][3] + 1))
        return _put(data, at + 24, "<Q", v), f"section {i} offset={v}"
    if what == 3:
        v = rng.choice((0, 1, heads[i][3] + 1, heads[i][3] + 8, len(data), 2**63, 2**64 - 1))
        return _put(data, at + 32, "<Q", v), f"section {i} size={v}"
    if what == 4:  # overlapping: section i points into section j (same bytes, another kind)
        j = rng.randrange(n)
        off = heads[j][2] + rng.choice((0, 4, 8))
        size = max(0, min(heads[j][3], len(data) - off) - rng.choice((0, 4)))
        return _put(_put(data, at + 24, "<Q", off), at + 32, "<Q", size), f"section {i} overlaps section {j}"
    if what == 5:
        v = rng.choice((rng.randrange(40), 2**31, 2**32 - 1, heads[(i + 1) % n][0]))
        return _put(data, at, "<I", v), f"section {i} kind={v}"
    if what == 6:
        name = rng.choice((b"\xff\xfe" * 8, bytes(rng.randrange(256) for _ in range(16)), b"A" * 16))
        b = bytearray(data)
        b[at + 4: at + 20] = name
        return bytes(b), f"section {i} name={name!r}"
    b = bytearray(data)  # platform VBNV / debug_bin text fields
    off = X.HEADER_OFFSET + rng.choice((44, 124))
    b[off: off + 16] = b"\xc3\x28" * 8
    return bytes(b), f"header text field at {off} not UTF-8"


# --- section payload mutations (a well-formed container around bad contents) ---------------------

XML_CASES = [
    b"", b"<project", b"\xff\xfe<project/>", b"<project><kernel/></project>",
    b"<project><kernel name='k'><arg name='a' id='-1' offset='-8'/></kernel></project>",
    b"<project><kernel name='k'><arg id='99999999999999999999999' size='0x' offset='1e3'/></kernel></project>",
    b"<project><kernel name='k'><arg id='" + b"9" * 5000 + b"'/></kernel></project>",
    b"<project><kernel name='fpgaops_gemm_f32'><arg name='a' id='0'/><arg name='a' id='0'/></kernel></project>",
    b"<project><kernel name='fpgaops_gemm_f32' hwControlProtocol='\xc3\xa9'><instance/></kernel></project>",
    b"<?xml version='1.0'?><!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
    b"<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'><!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>"
    b"<!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'><!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'>"
    b"<!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'>]><project><kernel name='&g;'/></project>",
    b"<?xml version='1.0'?><!DOCTYPE r [<!ENTITY x SYSTEM 'file:///etc/hostname'>]><project><kernel name='&x;'/></project>",
    b"<project>" + b"<a>" * 20000 + b"</a>" * 20000 + b"</project>",
    b"<project>" + b"<kernel>" * 3000 + b"</kernel>" * 3000 + b"</project>",
]
JSON_CASES = [
    b"", b"{", b"[]", b"\"text\"", b"42", b"null", b"\xff\xfe{}", b"NaN", b"1e999999",
    b"9" * 5000, b"[" * 100000 + b"]" * 100000, b"{\"build_metadata\": []}",
    b"{\"build_metadata\": {\"xclbin\": \"x\"}}", b"{\"build_metadata\": {\"xclbin\": {\"generated_by\": 5}}}",
    b"{\"build_metadata\": {\"xclbin\": {\"generated_by\": {\"name\": [1], \"version\": {}}}}}",
]


def _table(count, entry_size, rng, count_fmt="<i", pad=4):
    n = rng.randint(0, 6)
    body = bytes(rng.randrange(256) for _ in range(n * entry_size))
    return struct.pack(count_fmt, count) + b"\0" * pad + body


def payload(kind, old, rng, nip, nmem):
    """A bad (or odd) payload for a section of ``kind``; ``old`` is the seed's payload."""
    c = rng.choice((-1, -2**31, 0, 1, 2, 7, 2**31 - 1))
    if kind == "IP_LAYOUT":
        if rng.random() < 0.5:
            return _table(c, 80, rng)
        b = bytearray(old)  # keep the count, spoil one entry's name / type / properties
        e = 8 + 80 * rng.randrange(max(1, (len(b) - 8) // 80))
        b[e + 16: e + 80] = bytes(rng.randrange(256) for _ in range(64))
        return bytes(b)
    if kind == "MEM_TOPOLOGY":
        return _table(c, 40, rng) if rng.random() < 0.5 else old[:8] + bytes(rng.randrange(256) for _ in range(len(old) - 8))
    if kind == "CONNECTIVITY":
        rows = [(rng.choice((-1, 0, 1, 2**31 - 1)), rng.choice((-1, 0, nip - 1, nip, 2**31 - 1)),
                 rng.choice((-1, 0, nmem - 1, nmem, 2**31 - 1))) for _ in range(rng.randint(0, 4))]
        count = rng.choice((len(rows), len(rows) + 1, c))
        return struct.pack("<i", count) + b"".join(struct.pack("<iii", *r) for r in rows)
    if kind == "CLOCK_FREQ_TOPOLOGY":
        return struct.pack("<h", rng.choice((-1, 0, 1, 2, 32767))) + bytes(rng.randrange(256) for _ in range(136))
    if kind == "EMBEDDED_METADATA":
        if rng.random() < 0.5:
            return rng.choice(XML_CASES)
        return mutate_bytes(old, rng.randrange(2**32))[0]
    if kind == "BUILD_METADATA":
        if rng.random() < 0.6:
            return rng.choice(JSON_CASES)
        return mutate_bytes(old, rng.randrange(2**32))[0]
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))


def mutate_payload(data, rng):
    x = X.Xclbin.parse(data)
    nip, nmem = len(x.ip_layout), len(x.mem_topology)
    what = rng.randrange(10)
    if what == 0 and x.sections:
        i = rng.randrange(len(x.sections))
        del x.sections[i]
        return x.to_bytes(), f"section {i} removed"
    if what == 1:
        s = rng.choice(x.sections)
        x.sections.insert(0, X.Section(s.kind, "", payload(s.kind_name, s.data, rng, nip, nmem)))
        return x.to_bytes(), f"duplicate {s.kind_name} first"
    if what == 2:
        x.sections.append(X.Section(rng.choice((99, 2**31, 0)), "junk", bytes(rng.randrange(256) for _ in range(32))))
        return x.to_bytes(), "extra unknown section"
    s = rng.choice(x.sections)
    s.data = payload(s.kind_name, s.data, rng, nip, nmem)
    return x.to_bytes(), f"{s.kind_name} payload {zlib.crc32(s.data):08x}"


# --- manifests ----------------------------------------------------------------------------------

def mutate_manifest(text, rng):
    m = json.loads(text)
    what = rng.randrange(9)
    if what == 0:
        return None, "no manifest"
    if what == 1:
        return mutate_bytes(text.encode(), rng.randrange(2**32))[0], "manifest bytes mutated"
    if what == 2:
        return rng.choice((b"[]", b"\"x\"", b"\xff\xfe", b"{" * 50000, b"[" * 100000 + b"]" * 100000,
                           b"{\"format\": " + b"9" * 5000 + b"}")), "manifest not an object"
    key = rng.choice(("format", "config", "xclbin_uuid", "tool", "board", "target", "kernels", "compute_units",
                      "platform", "xclbin_sha256"))
    if what == 3:
        m.pop(key, None)
        return json.dumps(m), f"manifest without {key}"
    bad = rng.choice((None, 1, 1.5, [], {}, "", "x" * 300, [1, "a"], {"digest": 5}, {"digest": "0" * 16}))
    if what == 4 and isinstance(m.get("config"), dict):
        m["config"][rng.choice(("digest", "values", "source"))] = bad
        return json.dumps(m), f"manifest config field = {bad!r}"
    m[key] = bad
    return json.dumps(m), f"manifest {key} = {bad!r}"


# --- the tests ----------------------------------------------------------------------------------

def test_seeds_are_accepted(seeds, tmp_path, capsys):
    """The unmutated seeds are read correctly (the baseline every mutation departs from)."""
    for b, (data, manifest) in seeds.items():
        p = _case(tmp_path, data, manifest)
        exercise(p)
        x = X.Xclbin.read(p)
        assert X.check_manifest(x)["board"] == b and x.kernels and x.ip_layout and x.connectivity
        cli_info(p, capsys)


@pytest.mark.parametrize("family,count", [("bytes", N_BYTES), ("header", N_HEADER), ("payload", N_PAYLOAD),
                                          ("manifest", N_MANIFEST)])
def test_fuzz_xclbin(seeds, tmp_path, capsys, family, count):
    out = Outcomes(f"xclbin {family} fuzz")
    for k in range(cases(count)):
        rng = random.Random(f"xclbin-{family}-{k}")
        board, data, manifest = _pick(seeds, rng)
        if family == "bytes":
            data, what = mutate_bytes(data, rng.randrange(2**32))
        elif family == "header":
            n = len(X.Xclbin.parse(data).sections)
            data, what = mutate_header(data, rng, n)
            if rng.random() < 0.3:
                data, w2 = mutate_header(data, rng, n)
                what += " + " + w2
        elif family == "payload":
            data, what = mutate_payload(data, rng)
        else:
            manifest, what = mutate_manifest(manifest, rng)
        recipe = f"xclbin-{family}-{k}: {board}: {what}"
        p = _case(tmp_path, data, manifest)
        out.run(recipe, lambda: exercise(p))
        out.run(recipe + " (cli)", lambda: cli_info(p, capsys))
    print(out.check(least_ok=0 if family != "manifest" else 1))


def test_non_regular_files_are_refused(tmp_path):
    """A FIFO would block a reader and /dev/zero never end: refused before any read."""
    import os

    from fpgaops.errors import ArgumentError
    from fuzzlib import watchdog

    os.mkfifo(tmp_path / "fifo.xclbin")
    (tmp_path / "dir.xclbin").mkdir()
    os.symlink("/dev/zero", tmp_path / "zero.xclbin")
    for name in ("fifo.xclbin", "dir.xclbin", "zero.xclbin"):
        with watchdog(), pytest.raises(ArgumentError, match="not a regular file"):
            X.Xclbin.read(tmp_path / name)
