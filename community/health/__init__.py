"""The channel-health dashboard: how partner support is going over a period, figure by figure,
with the ratings of both sides set side by side (docs/dashboard.md defines every figure)."""
