"""Evaluation: question benchmark, BEIR retrieval benchmark, speed, load and soak runs."""
