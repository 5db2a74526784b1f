## The small synthetic sample of tests/test_binary.py (its `_data()`: 400 rows, 4 strata,
## 20 PSUs, logit DGP), written once by Python to data/binary_small.csv; svyglm logit,
## probit and gaussian (linear probability model) on the stratified cluster design.
## Run from tests/reference: Rscript binary_small_reference.R
source("_common.R")

d <- read.csv("data/binary_small.csv")
d$female <- as.logical(d$female)                           # "True"/"False" as Python wrote them
d$area <- factor(d$area, levels = c("a", "b", "c"))        # reference level "a"
stopifnot(nrow(d) == 400, !anyNA(d))

des <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = d)
## R stops probit Fisher scoring on the deviance change; at the shared GLM_CONTROL (1e-12)
## its estimates stop ~1e-6 short of the root on this sample, so a tighter rule here
TIGHT <- glm.control(epsilon = 1e-15, maxit = 500)
families <- list(logit = quasibinomial(link = "logit"),
                 probit = quasibinomial(link = "probit"),
                 linear = gaussian())
rows <- lapply(names(families), function(m) {
  fit <- svyglm(y ~ x + female + area, design = des, family = families[[m]],
                control = TIGHT)
  stopifnot(fit$converged)
  svyglm_rows("binary_small", m, fit, n_obs = nrow(d), df_design = degf(des))
})
write_tidy(do.call(rbind, rows), "binary_small_reference.csv")
