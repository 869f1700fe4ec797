# Summaries: each variant over its seeds, paired comparisons between variants, one table.


rule summarize_variant:
    input:
        unpack(variant_run_files),
    output:
        summary="results/{variant}/summary.json",
        rouge="results/{variant}/rouge.json",
    log:
        "results/logs/summarize_variant/{variant}.log",
    conda:
        ANALYSIS_ENV
    params:
        block=lambda w: VARIANT_CONFIG[w.variant],
        runs=lambda w: runs(w.variant),
    script:
        "../scripts/summarize_variant.py"


rule compare_variants:
    input:
        summaries=expand("results/{variant}/summary.json", variant=VARIANTS),
    output:
        comparisons=report(
            "results/comparisons.json",
            caption="../../report/captions/comparisons.rst",
            category="Results",
        ),
    log:
        "results/logs/compare_variants.log",
    conda:
        ANALYSIS_ENV
    params:
        variants=VARIANTS,
        pairs=comparison_pairs(VARIANTS, SWEEPS),
    script:
        "../scripts/compare_variants.py"


rule collect_scores:
    input:
        summaries=expand("results/{variant}/summary.json", variant=VARIANTS),
    output:
        table=report(
            "results/scores.tsv",
            caption="../../report/captions/scores.rst",
            category="Results",
        ),
    log:
        "results/logs/collect_scores.log",
    conda:
        ANALYSIS_ENV
    script:
        "../scripts/collect_scores.py"
