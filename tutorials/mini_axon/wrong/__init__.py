"""Answers that are wrong on purpose, so the tests can show the checker catching them."""
