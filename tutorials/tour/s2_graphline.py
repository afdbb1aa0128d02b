"""Tour step 2: a Graphline with a nested Pipeline (tutorials/composing_systems.md)."""

from components import Collector, IterableSource, Map, Router

from axon import Graphline, Pipeline, run

short, long = Collector(name="Short"), Collector(name="Long")

system = Graphline(
    SOURCE=IterableSource([" ox", "giraffe ", "emu", " hippopotamus"]),
    CLEAN=Pipeline(Map(str.strip), Map(str.upper)),
    SPLIT=Router({"short": lambda w: len(w) <= 3, "long": lambda w: len(w) > 3}),
    SHORT=short,
    LONG=long,
    linkages={
        ("SOURCE", "outbox"): ("CLEAN", "inbox"),
        ("SOURCE", "signal"): ("CLEAN", "control"),
        ("CLEAN", "outbox"): ("SPLIT", "inbox"),
        ("CLEAN", "signal"): ("SPLIT", "control"),
        ("SPLIT", "short"): ("SHORT", "inbox"),
        ("SPLIT", "long"): ("LONG", "inbox"),
        ("SPLIT", "signal"): [("SHORT", "control"), ("LONG", "control")],  # fan-out
    },
)

if __name__ == "__main__":
    run(system, timeout=10)
    print("short:", short.items)
    print("long: ", long.items)
