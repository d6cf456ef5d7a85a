"""synthspec-toxicity-lexicon: a weighted-lexicon toxicity validator for synthspec."""

__version__ = "0.1.3"
