"""Tour step 5: a playlist, a Chooser feeding a pull-mode Carousel
(tutorials/composing_systems.md)."""

from components import ConsoleEcho, ForwardIteratingChooser, IterableSource

from axon import Carousel, Graphline, run


def track(name: str) -> IterableSource:
    """The child made for one track: its bars."""
    return IterableSource([f"{name}, bar {bar}" for bar in (1, 2)])


system = Graphline(
    LIST=ForwardIteratingChooser(["intro", "song", "outro"]),  # one track per "next"
    PLAY=Carousel(track, request="next"),  # asks for a track each time one finishes
    SHOW=ConsoleEcho(tag="playing: "),
    linkages={
        ("LIST", "outbox"): ("PLAY", "next"),
        ("PLAY", "requests"): ("LIST", "inbox"),
        ("LIST", "signal"): ("PLAY", "control"),  # no more tracks: the carousel ends
        ("PLAY", "outbox"): ("SHOW", "inbox"),
        ("PLAY", "signal"): ("SHOW", "control"),
    },
)

if __name__ == "__main__":
    run(system, timeout=10)
    print("tracks played:", system.child("PLAY").made)
