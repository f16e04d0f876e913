"""Rapport's custom actions, one module per feature; rasa-sdk registers every submodule."""
