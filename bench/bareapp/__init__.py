"""The ceiling for bench/http_read.py: a bare Django + DRF token-authenticated one-row read.

Not part of the installed project (no app of it imports this, config/ does not list it): its
own settings, its own database on the same PostgreSQL server, served by its own gunicorn.
"""
