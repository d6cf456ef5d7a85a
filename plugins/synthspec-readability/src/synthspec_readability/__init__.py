"""synthspec-readability: a reading-level validator for synthspec."""

__version__ = "0.2.0"
