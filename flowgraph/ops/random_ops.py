"""Random ops: normal, uniform, truncated normal, shuffle, multinomial; seeded by graph and op seeds."""

__all__ = []
