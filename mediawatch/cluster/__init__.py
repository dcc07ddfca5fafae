"""Cluster stage: articles into stories (all the coverage of one news event)."""
