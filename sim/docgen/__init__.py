"""Docs that cannot drift: the numbers and tables the docs quote, written by code.

``python -m sim.docgen`` (``make docs``) computes every generated block (experiment sizes
from the experiment files, measured timings and the results of the shipped discovery
sweep) and writes it between ``<!-- generated:NAME -->`` and ``<!-- /generated -->`` in
README.md and docs/*.md. ``sim.docgen.commands`` checks that every ``trustsim`` command
the docs quote parses and names files that exist; tests/test_docgen.py runs both checks.
"""
