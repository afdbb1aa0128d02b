"""Sources and sinks: iterables, console, files."""

from __future__ import annotations

import io

from axon import Pipeline, ProducerFinished, run
from components import (
    Collector,
    ConsoleReader,
    FileReader,
    FileWriter,
    IterableSource,
    Map,
    TextEncoder,
)
from components.testing import run_component

PF = ProducerFinished()


def test_iterable_source_sends_everything_then_producer_finished():
    out = run_component(IterableSource(range(1000), chunk=7))
    assert out["outbox"] == list(range(1000)) and out["signal"] == [PF]


def test_console_reader_reads_lines_until_end_of_file():
    got = Collector()
    run(Pipeline(ConsoleReader(io.StringIO("one\ntwo\r\nthree")), got), timeout=10)
    assert got.items == ["one", "two", "three"]


def test_file_reader_reads_chunks_and_lines(tmp_path):
    path = tmp_path / "data.txt"
    path.write_bytes(b"alpha\nbeta\n\xffgamma")
    chunks = run_component(FileReader(path, chunk_size=4))["outbox"]
    assert b"".join(chunks) == path.read_bytes() and max(map(len, chunks)) == 4
    assert run_component(FileReader(path, lines=True))["outbox"] == [
        b"alpha", b"beta", b"\xffgamma"]
    out = run_component(FileReader(path, lines=True, encoding="utf-8", on_error="send"))
    assert out["outbox"] == ["alpha", "beta"] and "does not decode" in out["error"][0].problem


def test_file_writer_truncates_or_appends(tmp_path):
    path = tmp_path / "out.log"
    path.write_bytes(b"old\n")
    run(Pipeline(IterableSource(["a\n"]), TextEncoder(), FileWriter(path, mode="append")))
    assert path.read_bytes() == b"old\na\n"
    run(Pipeline(IterableSource([b"new\n"]), FileWriter(path)))
    assert path.read_bytes() == b"new\n"


def test_file_round_trip_through_a_pipeline(tmp_path):
    src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_bytes(b"".join(b"line %d\n" % i for i in range(10000)))
    run(Pipeline(FileReader(src, lines=True), Map(lambda b: b.upper() + b"\n"), FileWriter(dst)),
        timeout=30)
    assert dst.read_bytes() == src.read_bytes().upper()
