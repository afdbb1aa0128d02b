"""The audio service: sounds made from numbers, played through pygame.mixer; SDL's disk
driver writes what was mixed to a file, so the tests hear what was played."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

from axon import Component, ComponentError, Graphline, Shutdown, run
from components import BadInput
from components.ui import (
    AUDIO_SERVICE,
    AddSound,
    Audio,
    Close,
    Play,
    Played,
    audio_service,
    sweep,
    tone,
)


@contextmanager
def audio_driver(name: str, **env: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("SDL_AUDIODRIVER", *env)}
    os.environ["SDL_AUDIODRIVER"] = name
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class Script(Component):
    """Sends ``requests`` to the audio service, waits ``seconds``, then ends it."""

    Inboxes = {"inbox": "Played records", "control": "unused"}
    Outboxes = {"outbox": "requests", "signal": "unused", "stop": "Shutdown for the service"}

    def __init__(self, requests: list[Any], seconds: float) -> None:
        super().__init__()
        self.requests, self.seconds = requests, seconds
        self.heard: list[Any] = []

    def main(self) -> Generator[Any, Any, None]:
        for r in self.requests:
            self.send(r)
        yield asyncio.sleep(self.seconds)
        self.heard = self.recv_all()
        self.send(Shutdown(), "stop")


def play(requests: list[Any], seconds: float, **audio: Any) -> tuple[Script, Audio, list[Any]]:
    script = Script(requests, seconds)
    service = Audio(**audio)
    errors: list[Any] = []

    class Errors(Component):
        Inboxes = {"inbox": "BadInput", "control": "the end"}

        def main(self) -> Generator[Any, Any, None]:
            while not self.finished():
                errors.extend(self.recv_all())
                self.pause()
                yield
            errors.extend(self.recv_all())

    run(Graphline({("script", "outbox"): ("audio", "inbox"),
                   ("audio", "outbox"): ("script", "inbox"),
                   ("script", "stop"): ("audio", "control"),
                   ("audio", "error"): ("errors", "inbox"),
                   ("audio", "signal"): ("errors", "control")},
                  script=script, audio=service, errors=Errors()), timeout=20)
    return script, service, errors


def test_sounds_from_numbers():
    t = tone(440.0, 0.5, volume=0.5)
    assert t.shape == (22050, 2) and t.dtype == np.int16
    assert 16000 <= np.abs(t).max() <= 16384
    spectrum = np.abs(np.fft.rfft(t[:, 0].astype(float)))
    assert abs(np.argmax(spectrum) * 44100 / 22050 - 440.0) < 3
    s = sweep(200.0, 2000.0, 0.2)
    assert s.shape == (8820, 2) and np.abs(s[:100]).max() < np.abs(s[2000:3000]).max()


def test_a_played_sound_is_what_the_mixer_wrote(tmp_path):
    out = tmp_path / "mixed.raw"
    with audio_driver("disk", SDL_DISKAUDIOFILE=str(out)):
        script, service, errors = play(
            [AddSound("a", tone(440.0, 0.3, volume=0.4)), Play("a")], 0.6)
    assert script.heard == [Played("a", pytest.approx(0.3, abs=0.01))]
    assert service.played == 1 and errors == []
    samples = np.frombuffer(out.read_bytes(), dtype=np.int16)
    assert len(samples) > 44100 * 2 * 0.3  # written in real time: at least the tone's length
    peak = int(np.abs(samples).max())
    assert 0.35 * 32767 <= peak <= 0.41 * 32767  # the tone, at its own amplitude


def test_volume_scales_what_is_played(tmp_path):
    out = tmp_path / "quiet.raw"
    with audio_driver("disk", SDL_DISKAUDIOFILE=str(out)):
        play([AddSound("a", tone(440.0, 0.2, volume=0.8)), Play("a", volume=0.25)], 0.4)
    peak = int(np.abs(np.frombuffer(out.read_bytes(), dtype=np.int16)).max())
    assert 0.15 * 32767 <= peak <= 0.25 * 32767


def test_bad_requests_are_bad_input_and_the_service_goes_on():
    script, service, errors = play(
        [Play("nothing"), AddSound("f", np.zeros(10, dtype=np.float32)), "play it",
         AddSound("ok", tone(300.0, 0.05)), Play("ok")], 0.2, on_error="send")
    assert [e.problem.split(":")[0] for e in errors] == [
        "no sound named 'nothing' (sounds", "sound 'f'", "not an audio request"]
    assert all(isinstance(e, BadInput) for e in errors)
    assert [p.name for p in script.heard] == ["ok"]


def test_bad_requests_raise_by_default_naming_the_service():
    with pytest.raises(ComponentError, match=r"Audio.*no sound named 'x'"):
        play([Play("x")], 0.1)


def test_without_a_device_it_can_be_muted_instead_of_failing():
    with audio_driver("no-such-driver"):
        script, service, _ = play([AddSound("a", tone(300.0, 0.1)), Play("a")], 0.1,
                                  required=False)
        assert service.muted and [p.name for p in script.heard] == ["a"]
        with pytest.raises(ComponentError, match="Audio"):
            play([], 0.1)


def test_a_service_started_on_demand_ends_with_its_last_client():
    class Client(Component):
        Outboxes = {"outbox": "unused", "signal": "unused", "to_audio": "to the service"}

        def main(self) -> Generator[Any, Any, None]:
            self.service = audio_service(self)
            self.send(AddSound("a", tone(500.0, 0.05)), "to_audio")
            self.send(Play("a"), "to_audio")
            yield asyncio.sleep(0.1)
            self.send(Close(), "to_audio")

    a, b = Client(), Client()
    sched = run(a, b, timeout=10)  # ends: nobody stops the service by hand
    assert a.service is b.service and a.service.done and a.service.played == 2
    assert AUDIO_SERVICE not in sched.services
