"""The workflow programming model: definitions, decorators, futures, options and the engine."""
