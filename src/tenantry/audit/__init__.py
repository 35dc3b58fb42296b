"""The isolation audit: effective access and every way one tenant can reach another."""
