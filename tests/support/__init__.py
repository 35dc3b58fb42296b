"""Helpers that tests share and that are not product code: a fresh PostgreSQL database, the chaos
run (a faulty emulator and SIGKILLed applies) and subprocesses of the real CLI. Tests import
nothing from bench/; bench may import from here."""
