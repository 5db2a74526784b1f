## Declared missing and domains from sample rules, for surveytk's analysis loader and runner.
##
## A. tests/data/spss/declared_missing.sav (written by make_declared_missing.py) read with
##    haven::read_sav() and its default user_na = FALSE: SPSS user-missing codes and
##    ranges become NA. Then svyglm(y ~ x + group) (a linear model; group as a factor
##    named by its value labels, haven::as_factor) and svymean(~group, na.rm = TRUE).
## B. Sample rules as domains: svyglm on subset(design, rule) of R's api data, the full
##    design kept for the variance.
## Output: declared_missing_reference.csv (fixture, term, estimate, std_error, df).
## Run from tests/reference: Rscript declared_missing_reference.R
suppressPackageStartupMessages({
  library(survey)
  library(haven)
})

fmt15 <- function(x) ifelse(is.na(x), NA_character_, sprintf("%.15g", x))
rows <- list()
add <- function(fixture, est, se, df = NA_real_) {
  rows[[length(rows) + 1]] <<- data.frame(fixture = fixture, term = names(est),
                                          estimate = fmt15(unname(est)),
                                          std_error = fmt15(unname(se)), df = fmt15(df))
}

## ---- A. declared missing ------------------------------------------------------------
d <- read_sav("../data/spss/declared_missing.sav")          # user_na = FALSE
d <- data.frame(y = as.numeric(d$y), x = as.numeric(d$x),
                group = droplevels(as_factor(d$group, levels = "labels")),
                w = d$w, stratum = d$stratum, psu = d$psu)
des <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, nest = TRUE, data = d)
m <- svyglm(y ~ x + group, design = des)
cf <- coef(m)
names(cf) <- sub("^group", "group:", names(cf))
add("declared_lpm", cf, sqrt(diag(vcov(m))), m$df.residual)
s <- svymean(~group, des, na.rm = TRUE)
est <- coef(s)
names(est) <- sub("^group", "", names(est))
add("declared_tab", est, SE(s), degf(subset(des, !is.na(group))))

## ---- B. sample rules as domains ------------------------------------------------------
apiclus1 <- read.csv("../data/survey/apiclus1.csv")
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
m <- svyglm(api00 ~ ell + meals, design = subset(dclus1, enroll >= 400 & stype != "H"))
add("domain_clus1", coef(m), sqrt(diag(vcov(m))), m$df.residual)
apistrat <- read.csv("../data/survey/apistrat.csv")
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
m <- svyglm(api00 ~ ell + meals, design = subset(dstrat, api99 > 600))
add("domain_strat", coef(m), sqrt(diag(vcov(m))), m$df.residual)

out <- do.call(rbind, rows)
write.csv(out, "declared_missing_reference.csv", row.names = FALSE, na = "NA")
