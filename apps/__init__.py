"""Runnable Axon applications and demos."""
