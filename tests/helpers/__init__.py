"""Shared helpers for the test suite: a subprocess SWF server and boto3 SWF shortcuts."""
