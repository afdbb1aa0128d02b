"""Tools: drawings, the introspector and the ``axon`` command."""
