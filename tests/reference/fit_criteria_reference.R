## Design-based deviance and AIC of a survey logit (R survey's AIC.svyglm,
## Lumley & Scott 2015): deviance with weights normalised to mean 1, effective
## number of parameters eff.p = sum of the eigenvalues of V0^-1 V over the
## non-intercept coefficients (V0 the model-based, V the design-based covariance),
## AIC = deviance + 2 eff.p.  Three fits: apistrat (stratified, fpc), apiclus1
## (one-stage cluster) and data/design_binary.csv (strata + PSUs, categorical term).
## Run from tests/reference: Rscript fit_criteria_reference.R
source("_common.R")

api_strat <- read.csv("../data/survey/apistrat.csv")
api_clus1 <- read.csv("../data/survey/apiclus1.csv")
d <- read.csv("data/design_binary.csv")
d$area <- factor(d$area, levels = c("a", "b", "c"))
api_strat$hi <- as.integer(api_strat$api00 > 650)
api_clus1$hi <- as.integer(api_clus1$api00 > 650)

fits <- list(
  apistrat = svyglm(hi ~ ell + meals + mobility,
                    design = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc,
                                       data = api_strat),
                    family = quasibinomial()),
  apiclus1 = svyglm(hi ~ ell + meals + mobility,
                    design = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = api_clus1),
                    family = quasibinomial()),
  design_binary = svyglm(y ~ age + female + employed + children + distance + area,
                         design = svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = d),
                         family = quasibinomial())
)
rows <- do.call(rbind, lapply(names(fits), function(name) {
  a <- AIC(fits[[name]])
  data.frame(fixture = name, deviance = fmt15(deviance(fits[[name]])),
             eff_p = fmt15(a[["eff.p"]]), aic = fmt15(a[["AIC"]]),
             deltabar = fmt15(a[["deltabar"]]), n = nrow(model.frame(fits[[name]])))
}))
write.csv(rows, "fit_criteria_reference.csv", row.names = FALSE, quote = TRUE)
