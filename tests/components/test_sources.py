"""Sources and sinks: iterables, console, files."""

from __future__ import annotations

import io

from axon import Carousel, Graphline, Pipeline, ProducerFinished, Seq, Shutdown, run
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


# -- a source has no input to drain: ProducerFinished lets it finish what it was given ---------


def test_a_source_told_producer_finished_still_sends_everything(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(bytes(range(256)) * 40)
    for source, expected in [
        (IterableSource(range(1000), chunk=10), list(range(1000))),
        (FileReader(path, chunk_size=100), None),
    ]:
        out = run_component(source, control=[PF])
        if expected is None:
            assert b"".join(out["outbox"]) == path.read_bytes()
        else:
            assert out["outbox"] == expected
        assert out["signal"] == [PF]


def test_shutdown_still_stops_a_source_early():
    out = run_component(IterableSource(range(10**6), chunk=10), control=[Shutdown()])
    assert len(out["outbox"]) == 10 and out["signal"] == [Shutdown()]


def test_a_carousel_of_sources_gives_each_job_its_whole_output():
    # each job makes a source; the next job (or the end of the jobs) tells the running one
    # ProducerFinished, which must not cut it short
    out = Collector()
    run(Graphline(
        JOBS=IterableSource([1000, 3, 300, 1]),
        W=Carousel(lambda n: IterableSource(range(n), chunk=10)),
        OUT=out,
        linkages={("JOBS", "outbox"): ("W", "next"), ("JOBS", "signal"): ("W", "control"),
                  ("W", "outbox"): ("OUT", "inbox"), ("W", "signal"): ("OUT", "control")},
    ), timeout=30)
    assert out.items == [*range(1000), *range(3), *range(300), *range(1)]


def test_a_seq_of_sources_told_producer_finished_runs_each_to_its_end():
    out = Collector()
    seq = Seq(IterableSource("abc", chunk=1), IterableSource("de", chunk=1))
    seq.inboxes["control"].put(PF)  # passed to each in turn
    run(Pipeline(seq, out), timeout=10)
    assert out.items == list("abcde")
