"""Tour step 3: a Backplane, published to by two sources (tutorials/composing_systems.md)."""

from components import Collector, IterableSource, Map, Merge

from axon import Backplane, Graphline, Pipeline, PublishTo, SubscribeTo, run

loud, counted = Collector(name="Loud"), Collector(name="Counted")

system = Graphline(
    NEWS=Backplane("news"),
    # two sources merged into one publisher, which ends the backplane when both are done
    SPORT=IterableSource(["goal!", "match ends 2-1"]),
    WEATHER=IterableSource(["rain later"]),
    MERGE=Merge(["sport", "weather"]),  # ends after both producers' ProducerFinished
    PUBLISH=PublishTo("news", end_backplane=True),
    # two subscribers, each the head of its own pipeline
    LOUD=Pipeline(SubscribeTo("news"), Map(str.upper), loud),
    COUNT=Pipeline(SubscribeTo("news"), Map(len), counted),
    linkages={
        ("SPORT", "outbox"): ("MERGE", "sport"),
        ("SPORT", "signal"): ("MERGE", "control"),
        ("WEATHER", "outbox"): ("MERGE", "weather"),
        ("WEATHER", "signal"): ("MERGE", "control"),
        ("MERGE", "outbox"): ("PUBLISH", "inbox"),
        ("MERGE", "signal"): ("PUBLISH", "control"),
    },
)

if __name__ == "__main__":
    run(system, timeout=10)
    print("loud:   ", sorted(loud.items))
    print("lengths:", sorted(counted.items))
