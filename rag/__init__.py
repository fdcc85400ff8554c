"""Answers: retrieval, reranking, extractive and generative answerers, support checks."""
