"""The knowledge base: answers promoted into curated articles, their versions, products, ratings
and review flags."""
