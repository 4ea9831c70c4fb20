"""Feast 0.9's import path of the job classes (no Spark here: jobs run on the C engine)."""
