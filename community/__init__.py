"""Partner Community: Q&A and knowledge sharing for a manufacturer's channel partners."""

__version__ = "0.1.0"
