"""The forum: asking, answering and reading threads, the moderators' thread actions (close, lock,
pin, move, merge, duplicates) and importing a Stack Exchange dump."""
