"""The ledger in git: the one process boundary (git.py), refs, the index, tags, notes, sync."""
