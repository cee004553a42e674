"""Scenario tests: every durable feature end to end on the embedded server with real workers."""
