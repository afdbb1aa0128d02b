"""Tour step 1: a Pipeline (tutorials/composing_systems.md)."""

from components import Collector, IterableSource, Map

from axon import Pipeline, run

sink = Collector()
system = Pipeline(IterableSource(["ada", "grace", "barbara"]), Map(str.title), sink)

if __name__ == "__main__":
    run(system, timeout=10)
    print(sink.items)
