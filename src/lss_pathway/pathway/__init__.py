"""The LSS treatment pathway: which step(s) to recommend next, with reasons."""
