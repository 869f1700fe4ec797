"""The paper-style HTML report.

The wording lives in the templates under report/ (paper.html.j2 and its partials), the published
numbers in report/published.yaml, each figure's caption in report/captions/. Here, context builds
the numbers and small facts the templates lay out (findings: which comparisons, which side of
chance; config_view: the config's tables; provenance: versions, git, benchmarks), and render
turns them into one self-contained HTML page.
"""
