"""The paper-style HTML report.

run_setup (Section 1, from the config), results and comparisons (Section 3, from the summaries
and comparisons.json), published (the experiment re-run, its flaws), provenance (versions, git,
benchmarks) and formatting feed context.build_context; render.render_report turns that context
into HTML and render.write_report writes it.
"""
