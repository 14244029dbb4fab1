"""Read side of casegraph: index artifacts, hybrid search and graph queries."""
