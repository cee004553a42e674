"""The ``botoflowx`` command's implementation: one module per command group."""
