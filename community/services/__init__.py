"""Use cases: one async function per action, each checking permission and running in one
transaction. Views and API endpoints call these and nothing below them."""
