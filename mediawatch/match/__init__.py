"""Match stage: exact copies, near-copies and rewrites of one article (duplicate groups)."""
