"""benchmarks/RESULTS.md: each benchmark owns one section between its own begin/end markers
(``<!-- bench_X:begin -->`` ... ``<!-- bench_X:end -->``) and rewrites only that section."""
import importlib.metadata
import os
import platform
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(stem, body):
    """Replace (or append) the section of benchmark ``stem``; returns the file written."""
    begin, end = f"<!-- {stem}:begin -->", f"<!-- {stem}:end -->"
    section = f"{begin}\n{body}\n{end}"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if begin in text and end in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _m: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)
    return RESULTS


def cpu_model():
    """The CPU's model name and logical CPU count (the machine line of every section)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} logical CPUs"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs"


def version(pkg):
    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"
