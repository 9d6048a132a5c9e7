"""Support as both sides see it: the asker's rating of the support they got and the answering
expert's own rating of how well they helped (``ratings``)."""
