"""Ingestion: loaders, chunking, embedders, the Chroma store, the pipeline and Settings."""
