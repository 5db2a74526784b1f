## Descriptive estimators and tests for `surveytk estimate`, from R survey (4.1):
## svymean / svytotal / svyratio (deff = TRUE), svyquantile (defaults: qrule "math",
## Woodruff interval.type "mean"), svyciprop (mean = wald, logit, beta), svyby domains
## (computed as R's svyby does: the statistic on subset(design, by == level)),
## svychisq(statistic = "F"), svyttest, svyranktest (wilcoxon, vanderWaerden, median).
## Intervals of means, totals and ratios: estimate ± qt(0.975, degf(design)) · SE, as
## confint(..., df = degf(design)).
## Designs: apistrat (stratified, fpc), apiclus1 (one-stage cluster, fpc), apiclus2
## (clusters dnum, weights pw, no fpc: the ultimate-cluster design), apiclus1 with JK1
## replicate weights written to data/apiclus1_jk1.csv (read with --repweights), and a
## synthetic stratified cluster design with missing values (data/estimate_synth.csv).
## Output: estimate_reference.csv. Run from tests/reference: Rscript estimate_reference.R
source("_common.R")

api_dir <- "../data/survey"
apistrat <- read.csv(file.path(api_dir, "apistrat.csv"))
apiclus1 <- read.csv(file.path(api_dir, "apiclus1.csv"))
data(api, package = "survey")
write.csv(apiclus2, "data/apiclus2.csv", row.names = FALSE, na = "")

## JK1 replicate weights of the apiclus1 cluster design (shipped to surveytk as columns)
dc1_nofpc <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1)
jk <- as.svrepdesign(dc1_nofpc, type = "JK1", compress = FALSE)
rw <- unclass(as.matrix(weights(jk, "analysis"))); attributes(rw) <- list(dim = dim(rw))
colnames(rw) <- sprintf("rw_%02d", seq_len(ncol(rw)))
apiclus1_jk1 <- cbind(apiclus1[, c("dnum", "stype", "api00", "api99", "enroll",
                                   "sch.wide", "comp.imp", "pw")], rw)
write.csv(apiclus1_jk1, "data/apiclus1_jk1.csv", row.names = FALSE)

## Synthetic stratified two-level cluster sample with missing values; known DGP:
## y = 50 + 5·stratum + cluster effect + e, x = 10 + 0.5 y + u, group a ~ 3 levels.
set.seed(20261202)
H <- 4; m <- 6; k <- 9
synth <- expand.grid(unit = 1:k, psu = 1:m, stratum = 1:H)
synth$psu <- paste0(synth$stratum, "-", synth$psu)
ce <- rnorm(H * m, sd = 4)[as.integer(factor(synth$psu, levels = unique(synth$psu)))]
synth$y <- round(50 + 5 * synth$stratum + ce + rnorm(nrow(synth), sd = 10), 1)
synth$x <- round(10 + 0.5 * synth$y + rnorm(nrow(synth), sd = 3), 1)
synth$a <- c("low", "mid", "high")[1 + (synth$y > 55) + (synth$y > 68)]
synth$b <- ifelse(runif(nrow(synth)) < plogis((synth$y - 60) / 10), "yes", "no")
synth$g <- ifelse(synth$unit %% 2 == 0, "even", "odd")
synth$w <- round(runif(nrow(synth), 5, 40) * synth$stratum, 2)
synth$fpc <- c(20, 30, 25, 40)[synth$stratum]
synth$y[c(3, 17, 50, 101, 150)] <- NA
synth$a[c(8, 77, 140)] <- NA
synth$unit <- NULL
write.csv(synth, "data/estimate_synth.csv", row.names = FALSE, na = "")

q975 <- function(df) qt(0.975, df)

row <- function(statistic, variable, level, domain, est, se, lo, hi, deff = NA,
                p = NA, df = NA, ci = "") {
  data.frame(ci = ci, statistic = statistic, variable = variable, level = level,
             domain = domain, estimate = unname(est), std_error = unname(se),
             conf_low = unname(lo), conf_high = unname(hi), deff = unname(deff),
             p_value = unname(p), df = df, stringsAsFactors = FALSE)
}

wald_row <- function(statistic, variable, domain, est, df) {
  e <- coef(est); s <- SE(est)
  row(statistic, variable, "", domain, e, s, e - q975(df) * s, e + q975(df) * s,
      deff = deff(est), df = df)
}

one_domain <- function(des, domain, spec) {
  out <- list()
  df <- degf(des)
  for (v in spec$mean) {
    f <- as.formula(paste0("~", v))
    est <- svymean(f, des, na.rm = TRUE, deff = TRUE)
    dfv <- degf(subset(des, !is.na(des$variables[[v]])))
    out[[length(out) + 1]] <- wald_row("mean", v, domain, est, dfv)
  }
  for (v in spec$total) {
    est <- svytotal(as.formula(paste0("~", v)), des, na.rm = TRUE, deff = TRUE)
    dfv <- degf(subset(des, !is.na(des$variables[[v]])))
    out[[length(out) + 1]] <- wald_row("total", v, domain, est, dfv)
  }
  for (r in spec$ratio) {
    nd <- strsplit(r, "/")[[1]]
    keep <- !is.na(des$variables[[nd[1]]]) & !is.na(des$variables[[nd[2]]])
    dsub <- subset(des, keep)
    est <- svyratio(as.formula(paste0("~", nd[1])), as.formula(paste0("~", nd[2])),
                    dsub, deff = !inherits(des, "svyrep.design"))
    e <- coef(est); s <- SE(est); dfv <- degf(dsub)
    dd <- if (inherits(des, "svyrep.design")) NA else deff(est)
    out[[length(out) + 1]] <- row("ratio", r, "", domain, e, s, e - q975(dfv) * s,
                                  e + q975(dfv) * s, deff = dd, df = dfv)
  }
  for (v in spec$quantile) {
    dsub <- subset(des, !is.na(des$variables[[v]]))
    qs <- svyquantile(as.formula(paste0("~", v)), dsub, spec$probs, ci = TRUE)[[1]]
    for (i in seq_along(spec$probs)) {
      out[[length(out) + 1]] <- row("quantile", v, format(spec$probs[i]), domain,
                                    qs[i, 1], qs[i, 4], qs[i, 2], qs[i, 3], df = degf(dsub))
    }
  }
  for (v in spec$prop) {
    dsub <- subset(des, !is.na(des$variables[[v]]))
    lev <- sort(unique(dsub$variables[[v]][weights(dsub, "sampling") > 0]))
    mm <- svymean(as.formula(paste0("~factor(", v, ")")), dsub, deff = TRUE)
    for (j in seq_along(lev)) {
      for (method in c("wald", "logit", "beta")) {
        dsub$variables$.ind <- as.numeric(dsub$variables[[v]] == lev[j])
        cp <- svyciprop(~.ind, dsub, method = if (method == "wald") "mean" else method)
        ci <- attr(cp, "ci")
        out[[length(out) + 1]] <- row("prop", v, lev[j], domain, as.vector(cp),
                                      sqrt(attr(cp, "var")), ci[1], ci[2],
                                      deff = deff(mm)[j], df = degf(dsub), ci = method)
      }
    }
  }
  for (ab in spec$chisq) {
    v <- strsplit(ab, ",")[[1]]
    tst <- svychisq(as.formula(paste0("~", v[1], "+", v[2])), des, statistic = "F")
    out[[length(out) + 1]] <- row("chisq_rao_scott", ab, "", domain, tst$statistic,
                                  NA, NA, NA, p = tst$p.value, df = tst$parameter[2])
  }
  for (yg in spec$ttest) {
    v <- strsplit(yg, ",")[[1]]
    des$variables$.g <- factor(des$variables[[v[2]]])
    tst <- svyttest(as.formula(paste0(v[1], "~.g")), des)
    out[[length(out) + 1]] <- row("ttest", yg, "", domain, tst$estimate,
                                  tst$estimate / tst$statistic, tst$conf.int[1],
                                  tst$conf.int[2], p = tst$p.value, df = tst$parameter)
  }
  for (yg in spec$ranktest) {
    v <- strsplit(yg, ",")[[1]]
    des$variables$.g <- factor(des$variables[[v[2]]])
    for (score in c("wilcoxon", "vanderWaerden", "median")) {
      tst <- svyranktest(as.formula(paste0(v[1], "~.g")), des, test = score)
      out[[length(out) + 1]] <- row(paste0("ranktest_", tolower(score)), yg, "", domain,
                                    tst$estimate, tst$estimate / tst$statistic, NA, NA,
                                    p = tst$p.value, df = tst$parameter)
    }
  }
  do.call(rbind, out)
}

run <- function(dataset, des, spec, by = NULL) {
  if (is.null(by)) {
    res <- one_domain(des, "", spec)
  } else {
    x <- des$variables[[by]]
    lev <- sort(unique(x[!is.na(x)]))
    res <- do.call(rbind, lapply(lev, function(l) {
      keep <- !is.na(x) & x == l
      one_domain(subset(des, keep), as.character(l), spec)
    }))
  }
  cbind(dataset = dataset, by = if (is.null(by)) "" else by, res)
}

api_spec <- list(mean = c("api00", "enroll"), total = "enroll", ratio = "api00/api99",
                 quantile = "api00", probs = c(0.1, 0.25, 0.5, 0.9), prop = "sch.wide",
                 chisq = "sch.wide,comp.imp", ttest = "api00,sch.wide",
                 ranktest = "api00,sch.wide")
by_spec <- list(mean = "api00", total = "enroll", ratio = "api00/api99",
                quantile = "api00", probs = c(0.5), prop = "sch.wide",
                chisq = "sch.wide,comp.imp", ttest = "api00,comp.imp")

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus2 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus2)
djk1 <- svrepdesign(data = apiclus1_jk1, repweights = "^rw_", weights = ~pw,
                    type = "JK1", combined.weights = TRUE,
                    scale = (ncol(rw) - 1) / ncol(rw))
dsyn <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, fpc = ~fpc, data = synth)

syn_spec <- list(mean = c("y", "x"), total = "y", ratio = "y/x", quantile = "y",
                 probs = c(0.25, 0.5, 0.75), prop = c("a", "b"), chisq = "a,b",
                 ttest = "y,g", ranktest = "y,g")

res <- rbind(
  run("apistrat", dstrat, api_spec),
  run("apistrat", dstrat, by_spec, by = "stype"),
  run("apiclus1", dclus1, api_spec),
  run("apiclus1", dclus1, by_spec, by = "stype"),
  run("apiclus2", dclus2, api_spec),
  run("apiclus1_jk1", djk1, api_spec),
  run("apiclus1_jk1", djk1, by_spec, by = "stype"),
  run("synth", dsyn, syn_spec),
  run("synth", dsyn, modifyList(syn_spec[c("mean", "ratio", "quantile", "probs")],
                               list(prop = "a")), by = "b")
)
num <- c("estimate", "std_error", "conf_low", "conf_high", "deff", "p_value", "df")
for (c in num) res[[c]] <- fmt15(res[[c]])
write.csv(res, "estimate_reference.csv", row.names = FALSE, na = "NA")
cat("wrote estimate_reference.csv:", nrow(res), "rows\n")
