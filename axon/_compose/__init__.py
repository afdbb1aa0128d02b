"""Compositions: components that snap other components together."""
