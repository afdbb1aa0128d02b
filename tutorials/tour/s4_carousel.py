"""Tour step 4: a Carousel, one new child per job (tutorials/composing_systems.md)."""

from components import Collector, IterableSource

from axon import Carousel, Graphline, run


def countdown(start: int) -> IterableSource:
    """The child made for one job: counts down from ``start``."""
    return IterableSource([f"{start}:{n}" for n in range(start, 0, -1)])


results = Collector()

system = Graphline(
    JOBS=IterableSource([3, 1, 2]),
    WORKER=Carousel(countdown),
    OUT=results,
    linkages={
        ("JOBS", "outbox"): ("WORKER", "next"),  # each job makes a new child
        ("JOBS", "signal"): ("WORKER", "control"),  # no more jobs: finish the last child
        ("WORKER", "outbox"): ("OUT", "inbox"),
        ("WORKER", "signal"): ("OUT", "control"),
    },
)

if __name__ == "__main__":
    run(system, timeout=10)
    print(results.items)
    print("children made:", system.child("WORKER").made)
