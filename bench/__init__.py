"""Benchmarks: scripts run by hand, never part of the test suite.

A package so that ``bench.settings`` can mount a Django admin site for
bench/compare.py only; the portal itself has no django.contrib.admin.
"""
