"""Read and write xclbin (axlf) containers, and the fpgaops manifest beside each xclbin.

The container format is the one XRT's ``xclbin.h`` documents (installed with libxrt-dev as
``/usr/include/xrt/xclbin.h``; the struct sizes below are that header's static_asserts):

    struct axlf (496 bytes, one section header inline)
      0   char     m_magic[8]            "xclbin2\\0"
      8   int32    m_signature_length    -1: unsigned
      12  uint8    reserved[28]          0xFF
      40  uint8    m_keyBlock[256]       0xFF when unsigned
      296 uint64   m_uniqueId
      304 struct axlf_header (152 bytes)
            uint64 m_length, m_timeStamp, m_featureRomTimeStamp
            uint16 m_versionPatch; uint8 m_versionMajor, m_versionMinor
            uint16 m_mode, m_actionMask
            uint8  rom_uuid[16]; uint8 m_platformVBNV[64]; uint8 uuid[16]; char m_debug_bin[16]
            uint32 m_numSections  (+4 bytes padding)
      456 struct axlf_section_header[m_numSections] (40 bytes each)
            uint32 m_sectionKind; char m_sectionName[16]; uint64 m_sectionOffset, m_sectionSize
    then the section payloads, each 8-byte aligned.

Sections this module understands (the rest are carried through untouched):
  IP_LAYOUT        compute units: type, properties (interrupt, control protocol), base address, "kernel:cu"
  MEM_TOPOLOGY     memory banks: type, used, size (KiB), base address, tag ("HBM[0]", "DDR[1]", "HP0")
  CONNECTIVITY     (arg index, IP_LAYOUT index, MEM_TOPOLOGY index) triples
  EMBEDDED_METADATA XML: kernels, ports, args with control-register offsets, instances
  CLOCK_FREQ_TOPOLOGY clocks
  BUILD_METADATA   JSON: who built it from what

``write_project_xclbin`` writes a metadata-only xclbin (no bitstream) for the project's own kernel
tops on a board, laid out from tops.hpp (fpgaops.kernels) and platforms/<board> (fpgaops.platforms)
as v++ would link them. XRT's ``noop`` emulation mode loads such files, which is how the host path
(device, xclbin load, kernel lookup, buffers, arguments, runs) is tested without a card.

Every malformed input raises ArgumentError naming what is wrong; nothing here trusts a size
read from the file before checking it against the file's length.

Standard library only: CMake runs ``python xclbin.py manifest ...`` after ``v++ -l``.
"""
import dataclasses
import datetime
import hashlib
import json
import struct
import sys
import uuid as uuidlib
import xml.etree.ElementTree as ET
from pathlib import Path

try:
    from . import config as _config
    from . import kernels as _kernels
    from . import platforms as _platforms
    from .errors import ArgumentError, DeviceError
    from .xclbin_checks import (MANIFEST_FORMAT, check_kernels, check_manifest, count_table, cstr, dig, fixed,
                                manifest_path, parse_json, parse_xml, read_manifest, xml_int)
except ImportError:  # run as a script by CMake
    import config as _config  # type: ignore[no-redef]
    import kernels as _kernels  # type: ignore[no-redef]
    import platforms as _platforms  # type: ignore[no-redef]
    from errors import ArgumentError, DeviceError  # type: ignore[no-redef]
    from xclbin_checks import (MANIFEST_FORMAT, check_kernels, check_manifest, count_table, cstr,  # type: ignore[no-redef]
                               dig, fixed, manifest_path, parse_json, parse_xml, read_manifest, xml_int)

MAGIC = b"xclbin2\0"
AXLF_SIZE = 496
HEADER_OFFSET = 304
SECTIONS_OFFSET = 456
SECTION_HEADER_SIZE = 40
MAX_SECTIONS = 0x10000  # XCLBIN_MAX_NUM_SECTION

# enum axlf_section_kind
SECTION_KINDS = {
    "BITSTREAM": 0, "CLEARING_BITSTREAM": 1, "EMBEDDED_METADATA": 2, "FIRMWARE": 3, "DEBUG_DATA": 4,
    "SCHED_FIRMWARE": 5, "MEM_TOPOLOGY": 6, "CONNECTIVITY": 7, "IP_LAYOUT": 8, "DEBUG_IP_LAYOUT": 9,
    "DESIGN_CHECK_POINT": 10, "CLOCK_FREQ_TOPOLOGY": 11, "MCS": 12, "BMC": 13, "BUILD_METADATA": 14,
    "KEYVALUE_METADATA": 15, "USER_METADATA": 16, "DNA_CERTIFICATE": 17, "PDI": 18,
    "BITSTREAM_PARTIAL_PDI": 19, "PARTITION_METADATA": 20, "EMULATION_DATA": 21, "SYSTEM_METADATA": 22,
    "SOFT_KERNEL": 23, "ASK_FLASH": 24, "AIE_METADATA": 25, "ASK_GROUP_TOPOLOGY": 26,
    "ASK_GROUP_CONNECTIVITY": 27, "SMARTNIC": 28, "AIE_RESOURCES": 29, "OVERLAY": 30, "VENDER_METADATA": 31,
}
SECTION_NAMES = {v: k for k, v in SECTION_KINDS.items()}
# enum XCLBIN_MODE, by v++ target
MODES = {"hw": 0, "hw_emu": 4, "sw_emu": 5}
MODE_NAMES = {0: "flat", 1: "pr", 2: "tandem_stage2", 3: "tandem_stage2_with_pr", 4: "hw_emu", 5: "sw_emu", 6: "hw_emu_pr"}
# enum MEM_TYPE
MEM_TYPE_NAMES = {0: "DDR3", 1: "DDR4", 2: "DRAM", 3: "STREAMING", 4: "PREALLOCATED_GLOB", 5: "ARE", 6: "HBM",
                  7: "BRAM", 8: "URAM", 9: "STREAMING_CONNECTION", 10: "HOST", 11: "PS_KERNEL"}
# enum IP_TYPE
IP_TYPE_NAMES = {0: "MB", 1: "KERNEL", 2: "DNASC", 3: "DDR4_CONTROLLER", 4: "MEM_DDR4", 5: "MEM_HBM",
                 6: "MEM_HBM_ECC", 7: "PS_KERNEL"}
IP_KERNEL = 1
# enum IP_CONTROL, in bits 8..15 of ip_data.properties
CONTROL_NAMES = {0: "ap_ctrl_hs", 1: "ap_ctrl_chain", 2: "ap_ctrl_none", 3: "ap_ctrl_me", 4: "accel_adapter",
                 5: "fast_adapter"}
CONTROL_CODES = {v: k for k, v in CONTROL_NAMES.items()}

# Where the project-written xclbins put their CUs: the Alveo XDMA shells map the user region's
# AXI4-Lite space from 0x1800000, 64 KiB per CU; Zynq base platforms from 0xA0000000.
CU_BASE = {"alveo": 0x1800000, "zynq": 0xA0000000}
CU_STRIDE = 0x10000

_HEADER = struct.Struct("<QQQHBBHH16s64s16s16sI4x")
_SECTION = struct.Struct("<I16s4xQQ")  # 4 bytes of padding align the offsets
_IP = struct.Struct("<IIQ64s")
_MEM = struct.Struct("<BB6xQQ16s")
_CONN = struct.Struct("<iii")
_CLOCK = struct.Struct("<HB5x128s")
assert _HEADER.size == 152 and _SECTION.size == SECTION_HEADER_SIZE and _IP.size == 80 and _MEM.size == 40
assert _CONN.size == 12 and _CLOCK.size == 136


@dataclasses.dataclass
class Section:
    kind: int
    name: str
    data: bytes

    @property
    def kind_name(self):
        return SECTION_NAMES.get(self.kind, f"UNKNOWN({self.kind})")


@dataclasses.dataclass(frozen=True)
class IpData:
    type: int
    properties: int
    base_address: int
    name: str

    @property
    def kernel(self):
        return self.name.split(":", 1)[0]

    @property
    def cu(self):
        return self.name.split(":", 1)[1] if ":" in self.name else self.name

    @property
    def control(self):
        return CONTROL_NAMES.get((self.properties >> 8) & 0xFF, "unknown")


@dataclasses.dataclass(frozen=True)
class MemData:
    type: int
    used: bool
    size_kib: int
    base_address: int
    tag: str

    @property
    def type_name(self):
        return MEM_TYPE_NAMES.get(self.type, f"UNKNOWN({self.type})")


@dataclasses.dataclass(frozen=True)
class Connection:
    arg_index: int
    ip_index: int
    mem_index: int


@dataclasses.dataclass(frozen=True)
class ArgInfo:
    name: str
    index: int
    address_qualifier: int
    port: str
    size: int
    offset: int
    host_size: int
    type: str

    @property
    def is_pointer(self):
        return self.address_qualifier == 1


@dataclasses.dataclass(frozen=True)
class KernelInfo:
    name: str
    control: str
    args: tuple
    instances: tuple


class Xclbin:
    """An axlf container: header fields plus a list of Sections (parsed views on demand)."""

    def __init__(self, sections=(), platform_vbnv="", uuid=None, mode=0, timestamp=0, version=(2, 13, 0),
                 unique_id=0, feature_rom_timestamp=0, action_mask=0, rom_uuid=b"\0" * 16, debug_bin=""):
        self.sections = list(sections)
        self.platform_vbnv, self.mode, self.timestamp = platform_vbnv, mode, timestamp
        self.version, self.unique_id = version, unique_id
        self.feature_rom_timestamp, self.action_mask, self.rom_uuid = feature_rom_timestamp, action_mask, rom_uuid
        self.debug_bin = debug_bin
        self.uuid = uuid or uuidlib.UUID(int=0)
        self.source = "<memory>"

    # --- reading ----------------------------------------------------------------------------
    @classmethod
    def read(cls, path):
        p = Path(path)
        try:
            # a FIFO would block and /dev/zero never end: only a regular file is read (whole)
            if p.exists() and not p.is_file():
                raise ArgumentError("xclbin", f"cannot read {p}: not a regular file")
            data = p.read_bytes()
        except OSError as e:
            raise ArgumentError("xclbin", f"cannot read {p}: {e.strerror or e}") from None
        x = cls.parse(data, str(p))
        x.source = str(p)
        return x

    @classmethod
    def parse(cls, data, source="<bytes>"):
        data = bytes(data)
        where = f"{source}:"
        if len(data) < SECTIONS_OFFSET:
            raise ArgumentError("xclbin", f"{where} truncated: {len(data)} bytes, an axlf header needs {AXLF_SIZE}")
        if data[:8] != MAGIC:
            raise ArgumentError("xclbin", f"{where} wrong magic {data[:8]!r}; expected {MAGIC!r} (not an xclbin2 file)")
        (length, ts, rom_ts, vpatch, vmajor, vminor, mode, action, rom_uuid, vbnv, xuuid, debug_bin,
         nsec) = _HEADER.unpack_from(data, HEADER_OFFSET)
        if nsec > MAX_SECTIONS:
            raise ArgumentError("xclbin", f"{where} {nsec} sections declared; at most {MAX_SECTIONS} are allowed")
        table_end = SECTIONS_OFFSET + nsec * SECTION_HEADER_SIZE
        if length < max(table_end, AXLF_SIZE if nsec else SECTIONS_OFFSET):
            raise ArgumentError("xclbin", f"{where} header length {length} is smaller than its own section table ({table_end} bytes)")
        if length > len(data):
            raise ArgumentError("xclbin", f"{where} truncated: the header says {length} bytes, the file has {len(data)}")
        sections = []
        for i in range(nsec):
            kind, name, off, size = _SECTION.unpack_from(data, SECTIONS_OFFSET + i * SECTION_HEADER_SIZE)
            sname = cstr(name, f"section {i} name")
            if off < table_end or off + size > length:
                raise ArgumentError("xclbin", f"{where} section {i} ({SECTION_NAMES.get(kind, kind)} '{sname}') spans "
                                    f"[{off}, {off + size}), outside the payload area [{table_end}, {length})")
            sections.append(Section(kind, sname, data[off: off + size]))
        x = cls(sections, cstr(vbnv, "platform VBNV"), uuidlib.UUID(bytes=xuuid), mode, ts, (vmajor, vminor, vpatch),
                struct.unpack_from("<Q", data, 296)[0], rom_ts, action, rom_uuid, cstr(debug_bin, "debug bin"))
        x.source = source
        return x

    def section(self, kind):
        """The first section of ``kind`` (a name like "IP_LAYOUT" or a number), or None."""
        k = SECTION_KINDS[kind] if isinstance(kind, str) else kind
        return next((s for s in self.sections if s.kind == k), None)

    @property
    def ip_layout(self):
        s = self.section("IP_LAYOUT")
        if s is None:
            return []
        return [IpData(t, p, b, cstr(n, "IP_LAYOUT name")) for t, p, b, n in count_table(s.data, _IP, "<i", 8, "IP_LAYOUT")]

    @property
    def mem_topology(self):
        s = self.section("MEM_TOPOLOGY")
        if s is None:
            return []
        return [MemData(t, bool(u), sz, b, cstr(tag, "MEM_TOPOLOGY tag"))
                for t, u, sz, b, tag in count_table(s.data, _MEM, "<i", 8, "MEM_TOPOLOGY")]

    @property
    def connectivity(self):
        s = self.section("CONNECTIVITY")
        if s is None:
            return []
        conns = [Connection(*c) for c in count_table(s.data, _CONN, "<i", 4, "CONNECTIVITY")]
        nip, nmem = len(self.ip_layout), len(self.mem_topology)
        for i, c in enumerate(conns):
            if not (0 <= c.ip_index < nip and 0 <= c.mem_index < nmem and c.arg_index >= 0):
                raise ArgumentError("xclbin", f"{self.source}: CONNECTIVITY entry {i} ({c}) points outside IP_LAYOUT "
                                    f"({nip} entries) or MEM_TOPOLOGY ({nmem} entries)")
        return conns

    @property
    def clocks(self):
        s = self.section("CLOCK_FREQ_TOPOLOGY")
        if s is None:
            return []
        return [(f, t, cstr(n, "clock name")) for f, t, n in count_table(s.data, _CLOCK, "<h", 2, "CLOCK_FREQ_TOPOLOGY")]

    def _xml(self):
        s = self.section("EMBEDDED_METADATA")
        if s is None:
            return None
        return parse_xml(s.data.rstrip(b"\0"), f"{self.source}: EMBEDDED_METADATA")

    @property
    def kernels(self):
        """KernelInfo per kernel in EMBEDDED_METADATA (args sorted by index)."""
        root = self._xml()
        if root is None:
            return []
        out = []
        for k in root.iter("kernel"):
            name = k.get("name")
            if not name:
                raise ArgumentError("xclbin", f"{self.source}: EMBEDDED_METADATA has a kernel without a name")
            args = []
            for a in k.iter("arg"):
                where = f"kernel {name} arg {a.get('name')!r}"
                args.append(ArgInfo(a.get("name", ""), xml_int(a, "id", where), xml_int(a, "addressQualifier", where),
                                    a.get("port", ""), xml_int(a, "size", where), xml_int(a, "offset", where),
                                    xml_int(a, "hostSize", where), a.get("type", "")))
            args.sort(key=lambda a: a.index)
            instances = tuple(i.get("name", "") for i in k.iter("instance"))
            out.append(KernelInfo(name, k.get("hwControlProtocol", ""), tuple(args), instances))
        return out

    @property
    def build_metadata(self):
        s = self.section("BUILD_METADATA")
        if s is None:
            return None
        meta = parse_json(s.data.rstrip(b"\0"), "xclbin", f"{self.source}: BUILD_METADATA")
        if not isinstance(meta, dict):
            raise ArgumentError("xclbin", f"{self.source}: BUILD_METADATA is JSON {type(meta).__name__}, expected an object")
        return meta

    def arg_banks(self):
        """{(cu, arg_index): [mem_index, ...]} from CONNECTIVITY."""
        ips, out = self.ip_layout, {}
        for c in self.connectivity:
            out.setdefault((ips[c.ip_index].cu, c.arg_index), []).append(c.mem_index)
        return out

    # --- writing ----------------------------------------------------------------------------
    def to_bytes(self):
        n = len(self.sections)
        pos = max(AXLF_SIZE, SECTIONS_OFFSET + n * SECTION_HEADER_SIZE)
        pos = (pos + 7) & ~7
        headers, payload = [], bytearray()
        for s in self.sections:
            headers.append(_SECTION.pack(s.kind, fixed(s.name, 16, "section name"), pos + len(payload), len(s.data)))
            payload += s.data
            payload += b"\0" * (-len(payload) % 8)  # every section 8-byte aligned
        table = b"".join(headers)
        head_end = SECTIONS_OFFSET + len(table)
        start = (max(AXLF_SIZE, head_end) + 7) & ~7
        length = start + len(payload)
        major, minor, patch = self.version
        header = _HEADER.pack(length, self.timestamp, self.feature_rom_timestamp, patch, major, minor, self.mode,
                              self.action_mask, self.rom_uuid, fixed(self.platform_vbnv, 64, "platform"),
                              self.uuid.bytes, fixed(self.debug_bin, 16, "debug_bin"), n)
        out = bytearray(MAGIC + struct.pack("<i", -1) + b"\xff" * 28 + b"\xff" * 256 + struct.pack("<Q", self.unique_id))
        out += header + table
        out += b"\0" * (start - len(out))
        out += payload
        assert len(out) == length
        return bytes(out)

    def write(self, path):
        Path(path).write_bytes(self.to_bytes())

    # --- report -----------------------------------------------------------------------------
    def info(self, manifest=None):
        """The human-readable report of ``fpgaops xclbin-info``."""
        lines = [f"xclbin      {self.source}",
                 f"uuid        {self.uuid}",
                 f"platform    {self.platform_vbnv or '-'}",
                 f"mode        {MODE_NAMES.get(self.mode, self.mode)}",
                 f"version     {'.'.join(map(str, self.version))}",
                 f"sections    {', '.join(s.kind_name for s in self.sections) or '-'}"]
        if self.timestamp:
            ts = datetime.datetime.fromtimestamp(self.timestamp, datetime.timezone.utc).isoformat(timespec="seconds")
            lines.append(f"created     {ts}")
        for freq, _t, name in self.clocks:
            lines.append(f"clock       {name}: {freq} MHz")
        mems = self.mem_topology
        lines.append("\nmemory banks")
        for i, m in enumerate(mems):
            size = f"{m.size_kib // 1024} MiB" if m.size_kib >= 1024 else f"{m.size_kib} KiB"
            lines.append(f"  [{i:2}] {m.tag:<10} {m.type_name:<6} {size:>10}  base 0x{m.base_address:x}"
                         f"{'' if m.used else '  (unused)'}")
        banks = self.arg_banks()
        ips = self.ip_layout
        kernels = self.kernels
        lines.append("\nkernels")
        for k in kernels:
            cus = [ip for ip in ips if ip.kernel == k.name]
            lines.append(f"  {k.name}  ({k.control or 'unknown control'}, {len(cus)} compute unit{'s' if len(cus) != 1 else ''})")
            for ip in cus:
                lines.append(f"    cu {ip.cu}  base 0x{ip.base_address:x}  {ip.control}")
            lines.append(f"    {'#':>3}  {'arg':<10} {'kind':<7} {'offset':>7} {'size':>5}  port / banks")
            for a in k.args:
                where = a.port
                if a.is_pointer and cus:
                    tags = [mems[i].tag for i in banks.get((cus[0].cu, a.index), []) if i < len(mems)]
                    where += f" -> {', '.join(tags) or '(unconnected)'}"
                lines.append(f"    {a.index:>3}  {a.name:<10} {'pointer' if a.is_pointer else 'scalar':<7} "
                             f"0x{a.offset:04x} {a.size:>5}  {where}")
        if not kernels:
            lines.append("  (no EMBEDDED_METADATA)")
        meta = self.build_metadata
        if meta:
            gen = dig(meta, "build_metadata", "xclbin", "generated_by")
            if gen:
                lines.append(f"\nbuilt by    {gen.get('name', '?')} {gen.get('version', '')}".rstrip())
        lines.append("")
        if manifest is None:
            lines.append(f"config      digest unknown: no manifest {manifest_path(self.source).name} beside the xclbin")
        else:
            lines.append(f"config      digest {manifest['config']['digest']} (manifest: board {manifest.get('board')}, "
                         f"target {manifest.get('target')}, tool {dig(manifest, 'tool').get('name')} "
                         f"{dig(manifest, 'tool').get('version', '')})".rstrip())
        return "\n".join(lines)


# --- manifests ------------------------------------------------------------------------------------

def make_manifest(xclbin, xclbin_path, board, target, tool, cfg=None):
    cfg = cfg or _config.current()
    data = Path(xclbin_path).read_bytes()
    return {
        "format": MANIFEST_FORMAT,
        "xclbin": Path(xclbin_path).name,
        "xclbin_uuid": str(xclbin.uuid),
        "xclbin_sha256": hashlib.sha256(data).hexdigest(),
        "board": board,
        "platform": xclbin.platform_vbnv,
        "target": target,
        "kernels": [k.name for k in xclbin.kernels],
        "compute_units": {ip.cu: ip.kernel for ip in xclbin.ip_layout if ip.type == IP_KERNEL},
        "config": {"digest": cfg.digest, "values": cfg.values, "source": Path(cfg.source).name},
        "tool": tool,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def write_manifest(xclbin_path, board, target, tool, cfg=None, out=None):
    x = Xclbin.read(xclbin_path)
    m = make_manifest(x, xclbin_path, board, target, tool, cfg)
    out = Path(out) if out else manifest_path(xclbin_path)
    out.write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")
    return m


# --- the project's own xclbins -------------------------------------------------------------------

def _embedded_metadata(project, platform, specs, cus, cfg):
    word_bits = cfg.axi.word_bits
    root = ET.Element("project", name=project)
    plat = ET.SubElement(root, "platform", vendor="xilinx", boardid=platform.board, name=platform.platform,
                         featureRomTime="0")
    ET.SubElement(plat, "version", major="1", minor="0")
    ET.SubElement(plat, "description").text = platform.description
    ET.SubElement(plat, "board", name=platform.board, vendor="xilinx.com", fpga=platform.part)
    dev = ET.SubElement(plat, "device", name="fpga0", fpgaDevice=platform.part, addrWidth="0")
    core = ET.SubElement(dev, "core", name="OCL_REGION_0", target="bitstream", type="clc_region",
                         clockFreq=f"{platform.kernel_clock_mhz}MHz", numComputeUnits=str(len(cus)))
    clocks = ET.SubElement(core, "kernelClocks")
    ET.SubElement(clocks, "clock", port="KERNEL_CLK", frequency=f"{platform.kernel_clock_mhz}MHz")
    for spec in specs:
        k = ET.SubElement(core, "kernel", name=spec.name, language="c",
                          vlnv=f"xilinx.com:hls:{spec.name}:1.0", attributes="", preferredWorkGroupSizeMultiple="0",
                          workGroupSize="1", debug="false", hwControlProtocol=spec.control)
        for bundle, names in spec.bundles.items():
            # the port is as wide as its widest argument: packed AXI words, or elements
            width = max(word_bits if "word_t" in spec.arg(n).ctype else 8 * _elem_bytes(spec.arg(n).ctype)
                        for n in names)
            ET.SubElement(k, "port", name=f"m_axi_{bundle}", mode="master", range="0xFFFFFFFFFFFFFFFF",
                          dataWidth=str(width), portType="addressable", base="0x0")
        ET.SubElement(k, "port", name=_kernels.CONTROL_PORT, mode="slave", range=f"0x{spec.address_range:X}",
                      dataWidth="32", portType="addressable", base="0x0")
        for a in spec.args:
            ET.SubElement(k, "arg", name=a.name, addressQualifier=str(a.address_qualifier), id=str(a.index),
                          port=a.port, size=f"0x{a.size:X}", offset=f"0x{a.offset:X}", hostOffset="0x0",
                          hostSize=f"0x{a.size:X}", type=a.ctype)
        for cu, base in cus:
            if cu[0] == spec.name:
                inst = ET.SubElement(k, "instance", name=cu[1])
                ET.SubElement(inst, "addrRemap", base=f"0x{base:X}", range=f"0x{CU_STRIDE:X}", port=_kernels.CONTROL_PORT)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _elem_bytes(ctype):
    base = _kernels._base_type(ctype)
    return _kernels.SCALAR_BYTES.get(base, 4)


def project_xclbin(board, target="hw", cfg=None, table=None, platform=None):
    """A metadata-only Xclbin for the project's kernel tops on ``board``, laid out as v++ links them.

    IP_LAYOUT: one IP_KERNEL per compute unit of connectivity.cfg's nk= lines, 64 KiB apart;
    MEM_TOPOLOGY: the board's banks from platform.toml, used = connected (as v++ marks them);
    CONNECTIVITY: each pointer argument to the banks of its sp= line (else the default bank);
    EMBEDDED_METADATA: kernels and args from tops.hpp with v++'s register layout;
    BUILD_METADATA: what wrote it. No bitstream: hardware cannot run it, XRT's noop mode loads it.
    """
    if target not in MODES:
        raise ArgumentError("target", f"expected one of {sorted(MODES)}, got {target!r}")
    cfg = cfg or _config.current()
    platform = platform or _platforms.load(board)
    table = table if table is not None else _kernels.load()
    specs = list(table.values())
    base = CU_BASE[platform.kind]
    cus = []  # ((kernel, cu), base address)
    for spec in specs:
        for cu in platform.compute_units(spec.name):
            cus.append(((spec.name, cu), base + len(cus) * CU_STRIDE))
    ips, conns, used = [], [], set()
    spec_by_name = {s.name: s for s in specs}
    for i, ((kname, cu), addr) in enumerate(cus):
        ctrl = CONTROL_CODES[spec_by_name[kname].control]
        props = 0x1 | ((i << 1) & 0xFE) | (ctrl << 8)  # interrupt enabled, interrupt id i, control protocol
        ips.append(_IP.pack(IP_KERNEL, props, addr, fixed(f"{kname}:{cu}", 64, "compute unit name")))
        for a in spec_by_name[kname].pointer_args:
            for tag in platform.port_banks(cu, a.name):
                m = platform.bank_index(tag)
                used.add(m)
                conns.append(_CONN.pack(a.index, i, m))
    mems, addr = [], 0
    for i, b in enumerate(platform.banks):
        mems.append(_MEM.pack(_platforms.MEM_KINDS[b.kind], 1 if i in used else 0, b.size_kib, addr,
                              fixed(b.tag, 16, "bank tag")))
        addr += b.size_kib * 1024
    project = f"fpgaops_{platform.board}_{target}"
    meta = {"build_metadata": {
        "dsa": {"vendor": "xilinx", "board_id": platform.board, "name": platform.platform,
                "description": platform.description},
        "xclbin": {"generated_by": {"name": "fpgaops.xclbin", "version": _package_version(),
                                    "note": "metadata only (no bitstream): for XRT noop-mode host tests"},
                   "user_regions": [{"name": "OCL_REGION_0", "type": "clc_region",
                                     "kernels": [s.name for s in specs]}]}}}
    sections = [
        Section(SECTION_KINDS["MEM_TOPOLOGY"], "", struct.pack("<i4x", len(mems)) + b"".join(mems)),
        Section(SECTION_KINDS["IP_LAYOUT"], "", struct.pack("<i4x", len(ips)) + b"".join(ips)),
        Section(SECTION_KINDS["CONNECTIVITY"], "", struct.pack("<i", len(conns)) + b"".join(conns)),
        Section(SECTION_KINDS["CLOCK_FREQ_TOPOLOGY"], "",
                struct.pack("<h", 1) + _CLOCK.pack(platform.kernel_clock_mhz, 2, fixed("KERNEL_CLK", 128, "clock"))),
        Section(SECTION_KINDS["EMBEDDED_METADATA"], "", _embedded_metadata(project, platform, specs, cus, cfg)),
        Section(SECTION_KINDS["BUILD_METADATA"], "", json.dumps(meta, indent=2).encode() + b"\n"),
    ]
    # Deterministic identity: the same inputs give the same uuid (XRT keys loaded xclbins by it).
    digest = hashlib.sha256(b"".join(s.data for s in sections) + platform.platform.encode() + target.encode())
    x = Xclbin(sections, platform.platform, uuidlib.UUID(bytes=digest.digest()[:16], version=4), MODES[target],
               timestamp=0, unique_id=int.from_bytes(digest.digest()[16:24], "little"))
    return x


def write_project_xclbin(board, out, target="hw", cfg=None):
    """Write the project xclbin for ``board`` to ``out`` and its manifest beside it; returns the path."""
    cfg = cfg or _config.current()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    x = project_xclbin(board, target, cfg)
    x.write(out)
    write_manifest(out, board, target, {"name": "fpgaops.xclbin", "version": _package_version(),
                                        "bitstream": False}, cfg)
    return out


def _package_version():
    try:
        from . import __version__
        return __version__
    except ImportError:
        return "0.1.0"


def _main(argv):
    import argparse

    ap = argparse.ArgumentParser(description="xclbin tools: info, manifests, project xclbins for host tests.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("info", help="print kernels, compute units, args, banks and the config digest")
    p.add_argument("xclbin")
    p = sub.add_parser("manifest", help="write the manifest beside an xclbin (run by the CMake xclbin targets)")
    p.add_argument("--xclbin", required=True)
    p.add_argument("--board", required=True)
    p.add_argument("--target", required=True, choices=sorted(MODES))
    p.add_argument("--tool", default="v++")
    p.add_argument("--tool-version-file", help="file holding the tool's `--version` output")
    p.add_argument("--config", help="kernel config TOML (default: the installed one)")
    p = sub.add_parser("write", help="write the metadata-only project xclbin (+ manifest) for a board")
    p.add_argument("--board", required=True)
    p.add_argument("--target", default="hw", choices=sorted(MODES))
    p.add_argument("--config", help="kernel config TOML (default: the installed one)")
    p.add_argument("out")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "info":
            x = Xclbin.read(args.xclbin)
            print(x.info(read_manifest(args.xclbin)))
        elif args.cmd == "manifest":
            cfg = _config.load(args.config) if args.config else _config.current()
            version = ""
            if args.tool_version_file:
                version = " ".join(Path(args.tool_version_file).read_text().split())[:200]
            write_manifest(args.xclbin, args.board, args.target, {"name": args.tool, "version": version}, cfg)
        else:
            cfg = _config.load(args.config) if args.config else _config.current()
            write_project_xclbin(args.board, args.out, args.target, cfg)
    except (ArgumentError, DeviceError, _config.ConfigError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
