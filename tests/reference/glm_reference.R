## Count and positive-valued GLMs (issue 15, item 5): Poisson / quasi-Poisson with
## offsets, gamma (log and inverse links), negative binomial, on apistrat, apiclus1,
## apiclus2 (R's data(api), written to data/apiclus2.csv) and a synthetic stratified
## cluster sample with a known negative-binomial data-generating process
## (data/glm_synthetic.csv). Run from tests/reference: Rscript glm_reference.R
## Negative binomial: theta is the weighted ML estimate (MASS::glm.nb with the
## sampling weights, polished to 1e-12), the coefficients' design-based covariance
## that of svyglm(family = negative.binomial(theta)), i.e. theta held fixed.
source("_common.R")
suppressPackageStartupMessages(library(MASS))

data(api)
write.csv(apiclus2, "data/apiclus2.csv", row.names = FALSE, na = "")
apistrat <- read.csv("../data/survey/apistrat.csv")
apiclus1 <- read.csv("../data/survey/apiclus1.csv")

## synthetic: 6 strata x 8 PSUs x 25 people, exposure, NB2 outcome (theta = 2)
set.seed(20261202)
H <- 6; P <- 8; m <- 25
syn <- expand.grid(i = seq_len(m), psu = seq_len(P), stratum = seq_len(H))
syn$psu <- syn$stratum * 100 + syn$psu
u <- rnorm(H * P, sd = 0.3)[match(syn$psu, unique(syn$psu))]
syn$age <- round(runif(nrow(syn), 18, 80))
syn$female <- rbinom(nrow(syn), 1, 0.5)
syn$region <- factor(sample(c("north", "south", "west"), nrow(syn), replace = TRUE))
syn$months <- round(runif(nrow(syn), 1, 36))
syn$weight <- round(runif(nrow(syn), 0.5, 3) * (1 + syn$stratum / 3), 4)
mu <- syn$months * exp(-2 + 0.01 * syn$age - 0.3 * syn$female +
                       c(north = 0, south = 0.4, west = -0.2)[as.character(syn$region)] + u)
syn$visits <- rnbinom(nrow(syn), size = 2, mu = mu)
syn$spend <- rgamma(nrow(syn), shape = 2, rate = 2 / (50 * exp(0.005 * syn$age + 0.2 * syn$female + u)))
syn$spend <- round(syn$spend, 6)
syn$i <- NULL
write.csv(syn, "data/glm_synthetic.csv", row.names = FALSE)
syn <- read.csv("data/glm_synthetic.csv")

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus2 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus2)
dsyn <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = syn, nest = TRUE)

## weighted glm.nb, then alternate glm.fit | theta and theta.ml | mu to 1e-12
nb_theta <- function(formula, data, w) {
  data$.w <- w
  fit <- glm.nb(formula, data = data, weights = .w, control = GLM_CONTROL)
  th <- fit$theta
  for (it in 1:200) {
    g <- glm(formula, data = data, weights = .w, family = negative.binomial(th),
             control = glm.control(epsilon = 1e-14, maxit = 200), start = coef(fit))
    th_new <- theta.ml(g$y, fitted(g), sum(data$.w), data$.w, limit = 200, eps = 1e-13)
    if (abs(th_new - th) < 1e-12 * max(1, th)) { th <- th_new; break }
    th <- th_new; fit <- g
  }
  as.numeric(th)
}

rows <- list(); vc <- list()
add <- function(fixture, model, fit, des, link, theta = NA_real_) {
  stopifnot(fit$converged)
  rows[[length(rows) + 1]] <<- svyglm_rows(
    fixture, model, fit, variance = "linearized", link = link, theta = theta,
    n_obs = length(fit$y), df_design = degf(des))
  vc[[length(vc) + 1]] <<- vcov_rows(fixture, model, vcov(fit))
}
CTL <- glm.control(epsilon = 1e-14, maxit = 200)
sg <- function(f, des, fam) suppressWarnings(svyglm(f, design = des, family = fam, control = CTL))

## apistrat
f_pois <- api.stu ~ meals + ell + stype + offset(log(enroll))
add("apistrat", "poisson", sg(f_pois, dstrat, poisson()), dstrat, "log")
add("apistrat", "quasipoisson", sg(f_pois, dstrat, quasipoisson()), dstrat, "log")
add("apistrat", "gamma", sg(enroll ~ meals + ell + stype, dstrat, Gamma(link = "log")), dstrat, "log")
add("apistrat", "gamma_inverse", sg(api00 ~ meals + ell, dstrat, Gamma()), dstrat, "inverse")
th <- nb_theta(enroll ~ meals + ell + stype, apistrat, apistrat$pw)
add("apistrat", "negbin", sg(enroll ~ meals + ell + stype, dstrat, negative.binomial(th)),
    dstrat, "log", th)
## apiclus1
add("apiclus1", "poisson", sg(api.stu ~ meals + ell + offset(log(enroll)), dclus1, quasipoisson()),
    dclus1, "log")
add("apiclus1", "gamma", sg(api00 ~ meals + ell + mobility, dclus1, Gamma(link = "log")), dclus1, "log")
th <- nb_theta(enroll ~ meals + ell, apiclus1, apiclus1$pw)
add("apiclus1", "negbin", sg(enroll ~ meals + ell, dclus1, negative.binomial(th)), dclus1, "log", th)
## apiclus2 (enroll has missing values: those rows are left out, design kept)
add("apiclus2", "poisson", sg(api.stu ~ meals + offset(log(enroll)), dclus2, quasipoisson()),
    dclus2, "log")
keep2 <- !is.na(apiclus2$enroll)
th <- nb_theta(enroll ~ meals + ell, apiclus2[keep2, ], apiclus2$pw[keep2])
add("apiclus2", "negbin", sg(enroll ~ meals + ell, dclus2, negative.binomial(th)), dclus2, "log", th)
## synthetic
f_syn <- visits ~ age + female + region + offset(log(months))
add("synthetic", "poisson", sg(f_syn, dsyn, quasipoisson()), dsyn, "log")
th <- nb_theta(f_syn, syn, syn$weight)
add("synthetic", "negbin", sg(f_syn, dsyn, negative.binomial(th)), dsyn, "log", th)
add("synthetic", "gamma", sg(spend ~ age + female, dsyn, Gamma(link = "log")), dsyn, "log")

## replicate weights: JK1 from the apiclus1 PSUs (no fpc), every replicate refitted;
## the negative binomial keeps the full-sample theta (negative.binomial(theta) family)
djk <- as.svrepdesign(svydesign(id = ~dnum, weights = ~pw, data = apiclus1), type = "JK1")
add_rep <- function(model, fit, theta = NA_real_) {
  rows[[length(rows) + 1]] <<- svyglm_rows(
    "apiclus1_jk1", model, fit, variance = "replicate:jk1", link = "log", theta = theta,
    n_obs = length(fit$y), df_design = degf(djk))
  vc[[length(vc) + 1]] <<- vcov_rows("apiclus1_jk1", model, vcov(fit))
}
## (svyglm on a replicate design evaluates `family` in the caller: no wrapper here)
add_rep("poisson", svyglm(enroll ~ meals + ell, design = djk, family = quasipoisson(),
                          control = CTL))
th <- nb_theta(enroll ~ meals + ell, apiclus1, apiclus1$pw)
nb_family <- negative.binomial(th)
add_rep("negbin", suppressWarnings(svyglm(enroll ~ meals + ell, design = djk,
                                          family = nb_family, control = CTL)), th)

write_tidy(bind_rows_fill(rows), "glm_reference.csv")
write_tidy(do.call(rbind, vc), "glm_reference_vcov.csv")
