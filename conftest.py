"""Test-run configuration shared by the whole suite (loaded before Django settings)."""

import os

# The suite runs with the development key ring and lookup key; production settings refuse them.
os.environ.setdefault("DEBUG", "1")
