"""Runnable scripts of the guided tour; CI runs each and checks its output."""
