"""Migration revisions, oldest first (``0001`` is kaohe 0.1.0's schema)."""
