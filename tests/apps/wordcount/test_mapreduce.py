"""MapReduce equals collections.Counter exactly: in processes, as NATS services, with a map
worker killed mid-run (its shard is redone), and with copies of a shard's output."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.wordcount.corpus import files_of, reference, shards_of
from apps.wordcount.mapreduce import (
    Gather,
    MapOutput,
    Reducer,
    Shuffle,
    count_words,
    partition,
)
from apps.wordcount.services import start_map_services, stop_map_services
from axon import Graphline, run
from components import IterableSource
from components.nats import NatsServer
from tests.axon.process_parts import gone

from .corpus_parts import make_corpus


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[list[Path], Counter[str]]:
    files = files_of([make_corpus(tmp_path)])
    return files, reference(files)


@pytest.fixture(scope="module")
def nats_url() -> Iterator[str]:
    server = NatsServer().start()
    try:
        yield server.url
    finally:
        server.close()


@pytest.mark.parametrize("reduce_in", ["here", "processes"])
def test_processes_give_exactly_what_counter_gives(corpus: tuple[list[Path], Counter[str]],
                                                    reduce_in: str) -> None:
    files, expected = corpus
    result = count_words(files, mappers=2, reducers=3, reduce_in=reduce_in, shard_bytes=800)
    assert result.counts == expected
    assert result.shards >= 5 and result.words == sum(expected.values())
    assert sum(result.per_mapper) == result.shards and len(result.per_mapper) == 2
    # each word was reduced by the reducer its hash names, and by no other
    by_reducer = Counter(partition(w, 3) for w in expected)
    assert result.reducer_sizes == [by_reducer[r] for r in range(3)]
    assert (result.redone, result.restarts, result.duplicates) == (0, 0, 0)


def test_a_map_worker_killed_mid_run_has_its_shard_redone(
        corpus: tuple[list[Path], Counter[str]]) -> None:
    files, expected = corpus
    result = count_words(files, mappers=2, reducers=2, shard_bytes=300, kill_mapper_after=2)
    assert result.killed is not None and gone(result.killed)
    assert result.restarts == 1 and result.redone >= 1
    assert result.counts == expected  # still exact: nothing lost, nothing counted twice


def test_nats_map_services_give_exactly_what_counter_gives(
        corpus: tuple[list[Path], Counter[str]], nats_url: str) -> None:
    files, expected = corpus
    result = count_words(files, mappers=2, reducers=2, via="nats", nats=nats_url,
                         shard_bytes=500, timeout=60)
    assert result.counts == expected
    assert sum(result.per_mapper) == result.shards and result.redone == 0


def test_a_nats_map_service_that_dies_holding_a_shard_has_it_redone(
        corpus: tuple[list[Path], Counter[str]], nats_url: str) -> None:
    files, expected = corpus
    services = start_map_services(nats_url, 2, crash_after={0: 0})  # dies on its 1st shard
    try:
        result = count_words(files, mappers=2, reducers=2, via="nats", nats=nats_url,
                             workers=0, shard_bytes=200, map_timeout=1.0, timeout=60)
        assert services[0].wait(5) < 0  # killed itself
    finally:
        stop_map_services(services)
    assert result.redone >= 1
    assert result.counts == expected
    assert len(result.per_mapper) == 1  # every shard's output came from the survivor


def test_a_shards_second_output_is_dropped() -> None:
    outs = [MapOutput(0, ({"a": 1}, {"b": 2}), 3, 1), MapOutput(1, ({"a": 5}, {}), 5, 2),
            MapOutput(0, ({"a": 1}, {"b": 2}), 3, 3)]  # shard 0 again (redone)
    shuffle, gather = Shuffle(2), Gather(2)
    run(Graphline({("src", "outbox"): ("shuffle", "inbox"),
                   ("src", "signal"): ("shuffle", "control"),
                   ("shuffle", "r0"): ("red0", "inbox"), ("shuffle", "r1"): ("red1", "inbox"),
                   ("shuffle", "signal"): [("red0", "control"), ("red1", "control")],
                   ("red0", "outbox"): ("gather", "inbox"), ("red1", "outbox"): ("gather", "inbox"),
                   ("red0", "signal"): ("gather", "control"),
                   ("red1", "signal"): ("gather", "control")},
                  src=IterableSource(outs), shuffle=shuffle, red0=Reducer(0), red1=Reducer(1),
                  gather=gather), timeout=10)
    assert gather.counts == Counter({"a": 6, "b": 2}) and gather.sizes == {0: 1, 1: 1}
    assert shuffle.duplicates == 1


def test_shards_of_files_and_given_shards_agree(corpus: tuple[list[Path], Counter[str]]) -> None:
    files, expected = corpus
    result = count_words(shards_of(files, 2000), mappers=1, reducers=1)
    assert result.counts == expected
