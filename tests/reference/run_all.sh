#!/usr/bin/env bash
# Re-run every R reference script (R >= 4.2 with survey, MASS, nnet, plm,
# haven, lmtest, jsonlite). Usage: tests/reference/run_all.sh [testfiles_dir]
# The outputs are deterministic: a re-run must leave `git diff` empty.
set -euo pipefail
cd "$(dirname "$0")"
shared="${1:-../data}"
for script in api_reference.R design_data.R binary_reference.R ordinal_reference.R \
              multinomial_reference.R panel_reference.R tabulate_reference.R \
              estimate_reference.R declared_missing_reference.R glm_reference.R \
              model_tests_reference.R haven_reading.R design_survey_reference.R \
              fit_criteria_reference.R domain_contrasts_reference.R \
              python_api_reference.R binary_small_reference.R \
              t_distribution_reference.R; do
    echo "== $script"
    Rscript "$script" "$shared"
done
