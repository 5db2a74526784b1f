## Binary-outcome references on data/design_binary.csv: svyglm logit, probit
## and gaussian (linear probability model); linearised (with and without fpc),
## bootstrap and JK1 replicate weights, a subpopulation, lonely-PSU variants,
## and average marginal effects with delta-method SEs computed explicitly.
## Run from tests/reference: Rscript binary_reference.R
source("_common.R")
suppressPackageStartupMessages(library(jsonlite))

d <- read.csv("data/design_binary.csv")
d$area <- factor(d$area, levels = c("a", "b", "c"))        # reference level "a"
reps <- fromJSON("data/design_binary_replicates.json")

f_full <- y ~ age + female + employed + children + distance + area
f_sub <- y ~ age + employed + children + distance + area     # female == 1 subpopulation
families <- list(logit = quasibinomial(link = "logit"),
                 probit = quasibinomial(link = "probit"),
                 linear = gaussian())

des_lin <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = d)
des_fpc <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, fpc = ~fpc, data = d)
des_bs <- svrepdesign(data = d, repweights = "^bs[0-9]+$", weights = ~w,
                      type = "bootstrap", combined.weights = TRUE,
                      scale = reps$bootstrap$scale, rscales = reps$bootstrap$rscales,
                      mse = reps$bootstrap$mse)
des_jk <- svrepdesign(data = d, repweights = "^jk1_[0-9]+$", weights = ~w,
                      type = "JK1", combined.weights = TRUE,
                      scale = reps$jk1$scale, rscales = reps$jk1$rscales,
                      mse = reps$jk1$mse)
stopifnot(ncol(des_bs$repweights) == 50, ncol(des_jk$repweights) == reps$jk1$replicates)

## ---- average marginal effects (delta method) ---------------------------------
## P(eta) and its first two derivatives for each model
link_fns <- list(
  logit = list(P = plogis, f = dlogis, fp = function(e) { p <- plogis(e); p * (1 - p) * (1 - 2 * p) }),
  probit = list(P = pnorm, f = dnorm, fp = function(e) -e * dnorm(e)),
  linear = list(P = identity, f = function(e) rep(1, length(e)), fp = function(e) rep(0, length(e)))
)

## X: model matrix of the estimation sample; wt: its sampling weights.
## Returns list(ame = named vector, grad = jacobian d ame / d beta).
ame_delta <- function(X, wt, beta, model) {
  lf <- link_fns[[model]]
  a <- wt / sum(wt)                                  # normalised weights
  eta <- drop(X %*% beta)
  terms <- setdiff(colnames(X), "(Intercept)")
  ame <- setNames(numeric(length(terms)), terms)
  G <- matrix(0, length(terms), length(beta), dimnames = list(terms, names(beta)))
  factor_cols <- c("areab", "areac")
  for (tm in terms) {
    if (tm %in% c("age", "distance")) {              # numeric: derivative
      ame[tm] <- sum(a * lf$f(eta)) * beta[tm]
      G[tm, ] <- colSums(a * lf$fp(eta) * beta[tm] * X)
      G[tm, tm] <- G[tm, tm] + sum(a * lf$f(eta))
    } else {                                          # 0/1 or factor level: discrete change
      X1 <- X; X0 <- X
      if (tm %in% factor_cols) {
        X1[, factor_cols] <- 0; X1[, tm] <- 1        # everyone at this level
        X0[, factor_cols] <- 0                       # everyone at reference "a"
      } else {
        X1[, tm] <- 1; X0[, tm] <- 0
      }
      e1 <- drop(X1 %*% beta); e0 <- drop(X0 %*% beta)
      ame[tm] <- sum(a * (lf$P(e1) - lf$P(e0)))
      G[tm, ] <- colSums(a * (lf$f(e1) * X1 - lf$f(e0) * X0))
    }
  }
  list(ame = ame, grad = G)
}

## central-difference check of the analytic gradient (h = 1e-6)
check_grad <- function(X, wt, beta, model, G) {
  num <- sapply(seq_along(beta), function(k) {
    h <- 1e-6; bp <- beta; bm <- beta
    bp[k] <- bp[k] + h; bm[k] <- bm[k] - h
    (ame_delta(X, wt, bp, model)$ame - ame_delta(X, wt, bm, model)$ame) / (2 * h)
  })
  stopifnot(max(abs(num - G)) < 1e-6)
}

## ---- fits -----------------------------------------------------------------
rows <- list(); vcs <- list()
add_fit <- function(fixture, model, formula, design, variance, sample_rows,
                    subpop = "", lonely_psu = "", ame = TRUE) {
  ## do.call so that svyglm's internal glm() call sees values, not local names
  fit <- do.call(svyglm, list(formula = formula, design = design,
                              family = families[[model]], control = GLM_CONTROL))
  stopifnot(fit$converged)
  V <- vcov(fit)
  extra <- list(variance = variance, subpop = subpop, lonely_psu = lonely_psu,
                n_obs = sum(sample_rows), sum_weights = sum(d$w[sample_rows]),
                df_design = degf(design))
  r <- do.call(svyglm_rows, c(list(fixture, model, fit), extra))
  rows[[length(rows) + 1]] <<- r
  vcs[[length(vcs) + 1]] <<- vcov_rows(fixture, model, V)
  if (ame) {
    X <- model.matrix(formula, data = d[sample_rows, ])
    wt <- d$w[sample_rows]
    stopifnot(identical(colnames(X), names(coef(fit))))
    am <- ame_delta(X, wt, coef(fit), model)
    check_grad(X, wt, coef(fit), model, am$grad)
    Va <- am$grad %*% V %*% t(am$grad)
    ra <- do.call(tidy_rows, c(list(fixture, model, am$ame, sqrt(diag(Va)),
                                    df = fit$df.residual, effect = "ame", dist = "t"),
                               extra))
    rows[[length(rows) + 1]] <<- ra
    vcs[[length(vcs) + 1]] <<- vcov_rows(fixture, model, Va, effect = "ame")
  }
  invisible(fit)
}

all_rows <- rep(TRUE, nrow(d))
for (m in names(families)) {
  add_fit("design_binary_lin", m, f_full, des_lin, "linearized", all_rows)
  add_fit("design_binary_lin_fpc", m, f_full, des_fpc, "linearized", all_rows)
}
add_fit("design_binary_bootstrap", "logit", f_full, des_bs, "replicate:bootstrap", all_rows)
add_fit("design_binary_jk1", "logit", f_full, des_jk, "replicate:jk1", all_rows)
add_fit("design_binary_bootstrap", "linear", f_full, des_bs, "replicate:bootstrap", all_rows)
add_fit("design_binary_jk1", "linear", f_full, des_jk, "replicate:jk1", all_rows)

## JKn replicates made by R from the stratified designs (one replicate per PSU); the
## Python side makes its own (replicates, reptype = "jkn") and must give the same SEs
add_fit("design_binary_jkn", "logit", f_full, as.svrepdesign(des_lin, type = "JKn"),
        "replicate:jkn", all_rows, ame = FALSE)
add_fit("design_binary_jkn_fpc", "logit", f_full, as.svrepdesign(des_fpc, type = "JKn"),
        "replicate:jkn", all_rows, ame = FALSE)

## subpopulation (domain) female == 1: full design kept for the variance
fem <- d$female == 1
add_fit("design_binary_subpop_female", "logit", f_sub, subset(des_lin, female == 1),
        "linearized", fem, subpop = "female == 1")
add_fit("design_binary_subpop_female", "probit", f_sub, subset(des_lin, female == 1),
        "linearized", fem, subpop = "female == 1")
add_fit("design_binary_subpop_female_bootstrap", "logit", f_sub, subset(des_bs, female == 1),
        "replicate:bootstrap", fem, subpop = "female == 1")

## lonely PSU: stratum 10 cut down to its first PSU (psu 1001) -> one lonely PSU
lonely_rows <- !(d$stratum == 10 & d$psu != 1001)
stopifnot(sum(d$psu[d$stratum == 10] == 1001) > 0)
for (rule in c("adjust", "certainty", "remove", "average")) {
  options(survey.lonely.psu = rule)
  des_lonely <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = d[lonely_rows, ])
  ## add_fit's sample bookkeeping indexes d; the lonely design is on d[lonely_rows, ]
  add_fit(paste0("design_binary_lonely_", rule), "logit", f_full, des_lonely,
          "linearized", lonely_rows, lonely_psu = rule, ame = FALSE)
}
options(survey.lonely.psu = "fail")

write_tidy(bind_rows_fill(rows), "binary_reference.csv")
write_tidy(do.call(rbind, vcs), "binary_reference_vcov.csv")
