# Base vs SFT vs ORPO (and more arms): train, generate, score, summarize and report.
# Each stage has its own file under workflow/rules/; config/README.md explains every setting.

from snakemake.utils import min_version

min_version("9.0")


# The offline demo is the default. A config given with --configfile replaces it instead of being
# merged into it, so that a preset never inherits the demo's variants or data settings;
# --config key=value alone still edits the demo.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/checks.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/generate.smk"
include: "workflow/rules/score.smk"
include: "workflow/rules/summarize.smk"
include: "workflow/rules/plot.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        rules.report.output.html,
