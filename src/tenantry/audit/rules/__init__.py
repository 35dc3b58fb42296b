"""The audit's rules, one function each, grouped by what they judge; see catalogue.py."""
