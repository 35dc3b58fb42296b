"""Carrying out a plan: executor, guard rails, journal, distributed workers."""
