"""Control flow: cond and case as data-flow selections, and assertions."""

__all__ = []
