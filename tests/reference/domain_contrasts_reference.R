## Shares in several domains with their joint covariance and successive differences:
## svyby(~y, ~d, design, svymean, covmat = TRUE) and svycontrast, t tests on degf(design).
## y = sch.wide == "Yes"; domains stype (E, M, H) on apistrat (strata, fpc) and
## apiclus1 (one-stage cluster: schools of a district share a PSU across domains).
## Run from tests/reference: Rscript domain_contrasts_reference.R
source("_common.R")

one <- function(name, des) {
  by <- svyby(~I(as.numeric(sch.wide == "Yes")), ~stype, des, svymean, covmat = TRUE)
  est <- coef(by); V <- vcov(by)
  lev <- names(est)
  shares <- data.frame(fixture = name, kind = "share", term = lev, estimate = fmt15(est),
                       std_error = fmt15(sqrt(diag(V))), statistic = NA, p_value = NA,
                       df = degf(des))
  pairs <- list(c("E", "M"), c("M", "H"))
  diffs <- do.call(rbind, lapply(pairs, function(p) {
    w <- setNames(rep(0, length(lev)), lev); w[p[1]] <- -1; w[p[2]] <- 1
    ct <- svycontrast(by, w)
    e <- as.numeric(coef(ct)); s <- as.numeric(SE(ct)); t <- e / s
    data.frame(fixture = name, kind = "difference", term = paste0(p[2], "-", p[1]),
               estimate = fmt15(e), std_error = fmt15(s), statistic = fmt15(t),
               p_value = fmt15(2 * pt(-abs(t), degf(des))), df = degf(des))
  }))
  rbind(shares, diffs)
}
strat <- read.csv("../data/survey/apistrat.csv")
clus1 <- read.csv("../data/survey/apiclus1.csv")
out <- rbind(
  one("apistrat", svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)),
  one("apiclus1", svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1))
)
write.csv(out, "domain_contrasts_reference.csv", row.names = FALSE, quote = TRUE, na = "NA")
