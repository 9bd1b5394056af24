"""AI Sovereignty Scorecard: cited YAML data in, transparent scores and a static site out."""

__version__ = "0.1.0"
