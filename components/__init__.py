"""The Axon component library: sources, sinks, transforms, routing, framing, networking."""

__all__: list[str] = []
