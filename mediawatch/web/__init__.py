"""The read-only web inspector (`mediawatch ui`): stories, duplicate groups, diffs."""
