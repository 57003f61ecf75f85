"""Curator pages and their domain code: import and export pages, the review queue, quality hints."""
