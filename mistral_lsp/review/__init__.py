"""Review: findings, definition units and their hashes, skip rules, the cache, the prompt.

Rule: pure logic (the cache reads and writes its own file, nothing else); no pygls, no
network. Used by the Review action, review on save and the `review` CLI alike.
"""
