"""Accounts and the directory: people, passwords and sign-in, invitations, API tokens, and the
organisations and categories administrators manage."""
