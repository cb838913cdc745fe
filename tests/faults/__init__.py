"""Faults and hostile input: each case bounded in time (issue 11)."""
