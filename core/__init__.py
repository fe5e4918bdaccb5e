"""Shared kernel beneath every app: domain errors, problem details, request parsing, key ring.

It imports no app of ours; every app may import it.
"""
