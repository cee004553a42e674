"""The package version (its own module so internals can name it without a circular import)."""

__version__ = "0.1.0"
