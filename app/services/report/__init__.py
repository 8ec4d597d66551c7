"""The daily report: data, figures, breakdowns, charts, summary, build, email and signed links."""
