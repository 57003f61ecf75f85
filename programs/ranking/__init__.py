"""Ranking programs for a clinician: the pure scoring arithmetic, the SQL that orders by it, compare."""
