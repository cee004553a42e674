"""botoflowx: durable workflows for Python on the Amazon SWF API."""

__version__ = "0.1.0"
