"""synthspec: declarative, grammar-constrained synthetic data."""

__version__ = "0.1.0"
