"""Axon benchmarks: side-by-side measurements reported as ratios to a raw generator chain."""
