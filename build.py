#!/usr/bin/env python3
"""Build the AI Sovereignty Scorecard: python build.py [build|check] [--help]."""

import sys
from pathlib import Path

from scorecard.cli import main

if __name__ == "__main__":
    sys.exit(main(project=Path(__file__).resolve().parent, leave=True))
