"""Experts: profiles (expertise, availability, figures), routing new questions to the best-matching
available experts, passing a question on, response targets per category and the scheduled
reminders and escalations that keep them (docs/experts.md)."""
