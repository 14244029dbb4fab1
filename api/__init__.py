"""Serving side of casegraph: the answer engine, the FastAPI app and the CLI."""
