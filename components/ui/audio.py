"""The audio service: sound effects over ``pygame.mixer``, and sounds made from numbers.

An :class:`Audio` component owns the mixer.  Like the display it is found through the
scheduler's service registry (``"pygame-audio"``); :func:`audio_service` starts one if
none runs.  Clients send it records:

- ``AddSound(name, samples)``: keep a sound (int16 samples, shape ``(n,)`` or
  ``(n, channels)``; see :func:`tone` and :func:`sweep`);
- ``Play(name, volume)``: start it on a free channel; ``Played(name, seconds)`` goes
  out on ``outbox``;
- ``Open()`` / ``Close()``: a client's session.  A service started by
  :func:`audio_service` ends when its last session closes; ``ProducerFinished`` or
  ``Shutdown`` on ``control`` end it too.  It closes the mixer as it ends.

Tests use ``SDL_AUDIODRIVER=dummy``, or ``disk`` with ``SDL_DISKAUDIOFILE``, which writes
what was actually mixed to a file.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pygame

from axon import Component, EndSignal, ProducerFinished

from ..errors import BadInput, BadInputError, OnError

__all__ = [
    "AUDIO_SERVICE",
    "AddSound",
    "Audio",
    "Close",
    "Open",
    "Play",
    "Played",
    "audio_service",
    "sweep",
    "tone",
]

AUDIO_SERVICE = "pygame-audio"
RATE = 44_100


@dataclass(frozen=True, slots=True)
class AddSound:
    """Keep ``samples`` (int16) under ``name``."""

    name: str
    samples: Any  # numpy int16 array, (n,) or (n, channels)


@dataclass(frozen=True, slots=True)
class Play:
    """Play the sound ``name`` at ``volume`` (0..1)."""

    name: str
    volume: float = 1.0


@dataclass(frozen=True, slots=True)
class Played:
    """A sound started (``seconds`` long)."""

    name: str
    seconds: float


@dataclass(frozen=True, slots=True)
class Open:
    """A client starts using the service."""


@dataclass(frozen=True, slots=True)
class Close:
    """A client is done with the service."""


class Audio(Component):
    """Plays sound effects: ``AddSound`` then ``Play`` by name (see the module docstring).

    With ``required=False`` a machine without an audio device gets a muted service (it
    answers ``Played`` all the same) instead of an error.

    >>> import os
    >>> _ = os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # no sound card needed
    >>> from axon.testing import run_component
    >>> run_component(Audio(), inbox=[AddSound("beep", tone(440, 0.1)), Play("beep")],
    ...               control=[ProducerFinished()])["outbox"]
    [Played(name='beep', seconds=0.1...)]

    In a game, an outbox of the game is linked to the service::

        Graphline({("game", "sounds"): ("audio", "inbox")}, audio=Audio(), game=Game())
    """

    Inboxes = {
        "inbox": "AddSound, Play, Open and Close records",
        "control": "ProducerFinished or Shutdown: close the mixer and end",
    }
    Outboxes = {
        "outbox": "Played records, one per sound started",
        "signal": "the end, once the mixer is closed",
        "error": "BadInput records (unknown sounds, bad samples) when on_error='send'",
    }

    def __init__(self, *, frequency: int = RATE, channels: int = 2, buffer: int = 512,
                 voices: int = 16, linger: bool = True, required: bool = True,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(name=name)
        self.frequency = frequency
        self.channels = channels
        self.buffer = buffer
        self.voices = voices
        self.linger = linger
        self.required = required
        self.muted: str | None = None  # why there is no sound (required=False, no device)
        self.on_error = OnError(on_error)
        self.sounds: dict[str, Any] = {}  # name -> pygame Sound (samples when muted)
        self.sessions = 0
        self.played = 0
        self._opened = False

    def on_activate(self, scheduler: Any) -> None:
        services = scheduler.services
        old = services.get(AUDIO_SERVICE)
        if isinstance(old, Audio) and old.done:
            services.unregister(AUDIO_SERVICE, old)
        services.register(AUDIO_SERVICE, self)

    def main(self) -> Generator[Any, Any, None]:
        end: EndSignal | None = None
        try:
            pygame.mixer.init(self.frequency, -16, self.channels, self.buffer)
            pygame.mixer.set_num_channels(self.voices)
        except pygame.error as exc:
            if self.required:
                raise
            self.muted = f"no audio device ({exc})"
        try:
            while True:
                for req in self.recv_all("inbox"):
                    self._handle(req)
                end = self.take_control(end)
                if end is not None:
                    break
                if self._opened and self.sessions <= 0 and not self.linger:
                    break
                self.pause()
                yield
        finally:
            if self.muted is None:
                pygame.mixer.quit()
            sched = self.scheduler
            if sched is not None and sched.services.get(AUDIO_SERVICE) is self:
                sched.services.unregister(AUDIO_SERVICE, self)
        self.send(end if end is not None else ProducerFinished("no clients left"), "signal")

    def _handle(self, req: Any) -> None:
        if isinstance(req, Play):
            sound = self.sounds.get(req.name)
            if sound is None:
                known = ", ".join(sorted(self.sounds)) or "none"
                self._bad(f"no sound named {req.name!r} (sounds: {known})", req)
                return
            if self.muted is None:
                # the volume first, then play: SDL's audio thread mixes as soon as a sound
                # plays, so a volume set after it could let the first buffer out at full
                # volume (it did on a loaded machine: a 0.25 sound peaked at 0.8)
                channel = pygame.mixer.find_channel()  # (None if all are busy, as play() does)
                if channel is not None:
                    channel.set_volume(max(0.0, min(1.0, req.volume)))
                    channel.play(sound)
                seconds = sound.get_length()
            else:
                seconds = len(sound) / self.frequency
            self.played += 1
            self.send(Played(req.name, seconds))
        elif isinstance(req, AddSound):
            try:
                self.sounds[req.name] = self._make(req.samples)
            except (ValueError, TypeError, pygame.error) as exc:
                self._bad(f"sound {req.name!r}: {exc}", req)
        elif isinstance(req, Open):
            self.sessions += 1
            self._opened = True
        elif isinstance(req, Close):
            self.sessions -= 1
        else:
            self._bad(f"not an audio request: {type(req).__name__}", req)

    def _make(self, samples: Any) -> Any:
        arr = np.asarray(samples)
        if arr.dtype != np.int16:
            raise TypeError(f"samples must be int16, not {arr.dtype}")
        if arr.ndim == 1:
            arr = np.repeat(arr[:, None], self.channels, axis=1)
        if arr.ndim != 2 or arr.shape[1] != self.channels:
            raise ValueError(f"samples must be (n,) or (n, {self.channels}), not {arr.shape}")
        if self.muted is not None:
            return arr
        return pygame.sndarray.make_sound(np.ascontiguousarray(arr))

    def _bad(self, problem: str, data: Any) -> None:
        record = BadInput(self.path, problem, data)
        if self.on_error is OnError.RAISE:
            raise BadInputError(record)
        self.send(record, "error")


def audio_service(component: Component, box: str = "to_audio") -> Audio:
    """Link ``component``'s outbox ``box`` to the audio service and open a session.

    A service is started if none runs; that one ends when its last session closes, so
    send ``Close()`` on ``box`` when done.
    """
    sched = component.scheduler
    if sched is None:
        raise RuntimeError(f"{component.path}: audio_service() needs a running component")
    found = sched.services.get(AUDIO_SERVICE)
    if not isinstance(found, Audio) or found.done:
        found = Audio(linger=False)
        sched.activate(found)
    component.link((component, box), (found, "inbox"))
    component.send(Open(), box)
    return found


# -- sounds from numbers ------------------------------------------------------------------------


def _envelope(n: int, rate: int, attack: float, release: float) -> Any:
    env = np.ones(n)
    a = min(n, max(1, int(attack * rate)))
    r = min(n, max(1, int(release * rate)))
    env[:a] = np.linspace(0.0, 1.0, a)
    env[n - r:] *= np.linspace(1.0, 0.0, r)
    return env


def tone(frequency: float, seconds: float, *, volume: float = 0.5, rate: int = RATE,
         channels: int = 2, attack: float = 0.005, release: float = 0.03) -> Any:
    """A sine tone as int16 samples of shape ``(n, channels)``, with a short fade in/out."""
    n = max(1, int(seconds * rate))
    t = np.arange(n) / rate
    wave = np.sin(2 * np.pi * frequency * t) * _envelope(n, rate, attack, release)
    mono = np.round(wave * volume * 32767).astype(np.int16)
    return np.repeat(mono[:, None], channels, axis=1)


def sweep(start: float, stop: float, seconds: float, *, volume: float = 0.5,
          rate: int = RATE, channels: int = 2, attack: float = 0.002,
          release: float = 0.05) -> Any:
    """A sine gliding from ``start`` Hz to ``stop`` Hz, as int16 ``(n, channels)``."""
    n = max(1, int(seconds * rate))
    freq = np.linspace(start, stop, n)
    phase = 2 * np.pi * np.cumsum(freq) / rate
    wave = np.sin(phase) * _envelope(n, rate, attack, release)
    mono = np.round(wave * volume * 32767).astype(np.int16)
    return np.repeat(mono[:, None], channels, axis=1)
