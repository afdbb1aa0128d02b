"""The networked audio mixer matrix: ``python -m apps.mixer`` (``make demo`` runs it).

Sources (TCP senders of raw PCM, one at a time each; tones, noise, WAV files) publish onto
their own backplanes; named mixes subscribe to them all and, on a clock, mix one frame per
period by a matrix of on/off and gain; each mix goes to TCP listeners, a WAV file and the
sound card.  A line protocol over TCP (and a console) changes the matrix while it runs.

Modules: ``audio`` (format, records, mix kernel), ``jitter`` (per-source buffers),
``clocking`` (frame deadlines), ``sources``, ``bus`` (the clocked mix), ``outputs``,
``control`` (the protocol), ``mixer`` (the whole, and the commands), ``config`` (TOML),
``script`` (a scripted control client), ``report`` and ``cli``.
"""

from .audio import AudioFormat, Chunk, StreamEnd
from .bus import BufferConfig, MixBus
from .config import MixConfig, MixerConfig, SourceConfig, default_config, load_config
from .mixer import Mixer

__all__ = [
    "AudioFormat",
    "BufferConfig",
    "Chunk",
    "MixBus",
    "MixConfig",
    "Mixer",
    "MixerConfig",
    "SourceConfig",
    "StreamEnd",
    "default_config",
    "load_config",
]
