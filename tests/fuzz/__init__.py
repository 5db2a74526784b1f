"""Hypothesis strategies and the outcome oracle for fuzzing readers and loaders."""
