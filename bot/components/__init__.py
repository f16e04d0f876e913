"""Custom Rasa NLU components (run inside the Rasa process: Python 3.10, Rasa 3.6)."""
