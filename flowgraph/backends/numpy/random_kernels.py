"""Numpy kernels of the random ops: each gets the op's per-session numpy Generator first."""
