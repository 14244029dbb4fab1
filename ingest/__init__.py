"""Build side of casegraph: markdown to chunks, embeddings, BM25 and the concept graph."""
