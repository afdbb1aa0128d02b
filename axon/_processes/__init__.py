"""Components in other processes: wire codecs, the crossing, child processes, worker pools."""
