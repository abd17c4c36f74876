"""The fuzz harness itself: it must see what it claims to see (a hang, a stray exception, an open
outside the model's folder), or the fuzzers' silence would prove nothing."""
import os

import pytest

from fpgaops.errors import ArgumentError
from fuzzlib import Outcomes, mutate_bytes


def test_outcome_classes():
    out = Outcomes("harness")
    assert out.run("ok", lambda: None) == "ok"
    assert out.run("refused", lambda: (_ for _ in ()).throw(ArgumentError("x", "bad"))) == "ArgumentError"
    assert out.check() == "ArgumentError: 1, ok: 1"
    assert out.run("crash", lambda: {}["missing"]) == "CRASH KeyError"
    with pytest.raises(AssertionError, match=r"(?s)1 finding\(s\).*KeyError at .*test_fuzz_harness.py.*\[crash\]"):
        out.check()


def test_watchdog_turns_a_hang_into_a_finding():
    out = Outcomes("harness", seconds=0.2)

    def spin():
        while True:
            try:
                pass
            except Exception:  # a hang behind a broad except is still caught: Hang is a BaseException
                pass

    assert out.run("spin", spin) == "HANG"
    with pytest.raises(AssertionError, match="hang"):
        out.check(least_ok=0, least_refused=0)


def test_byte_mutations_are_deterministic():
    data = bytes(range(256)) * 4
    assert mutate_bytes(data, 7) == mutate_bytes(data, 7)
    assert len({mutate_bytes(data, s)[0] for s in range(50)}) > 40


def test_open_watch_sees_an_open_outside_the_folder(tmp_path):
    from test_fuzz_onnx import OpenWatch

    inside, outside = tmp_path / "in", tmp_path / "out"
    inside.mkdir()
    outside.mkdir()
    (outside / "s.bin").write_bytes(b"s")
    (inside / "w.bin").write_bytes(b"w")
    os.symlink(outside / "s.bin", inside / "link.bin")
    OpenWatch.install()
    OpenWatch.seen, OpenWatch.armed = [], os.path.realpath(inside)
    try:
        (inside / "w.bin").read_bytes()
        assert OpenWatch.seen == []
        (inside / "link.bin").read_bytes()     # through a symlink
        os.close(os.open(outside / "s.bin", os.O_RDONLY))
    finally:
        OpenWatch.armed = None
    assert len(OpenWatch.seen) == 2
