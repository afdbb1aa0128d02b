"""Axon tutorials: runnable chapters and their checkers."""
