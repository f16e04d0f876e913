"""Rasa Open Source as Rapport runs it: `python -m rasa_runtime run ...` (in .venv-rasa) is
`rasa run ...` with the speed-ups of rasa_runtime.speedups applied first."""
