## Survey designs at R survey parity (issue 14): multistage designs, calibration,
## replicate weights made from a design, lonely PSUs in domains.
## Run from tests/reference: Rscript design_survey_reference.R
## Writes design_survey_reference.csv (long: fixture, quantity, term, estimate,
## std_error), design_survey_brr.csv (made BRR / Fay / JKn replicate weights) and the
## data and totals files under data/.
source("_common.R")

api <- "../data/survey"
apiclus1 <- read.csv(file.path(api, "apiclus1.csv"))
apistrat <- read.csv(file.path(api, "apistrat.csv"))
data(api, package = "survey")  # apiclus2 (not in tests/data): written below
apiclus2$sch_wide <- as.numeric(apiclus2$sch.wide == "Yes")
write.csv(apiclus2[, c("cds", "dnum", "snum", "fpc1", "fpc2", "pw", "stype", "api00",
                       "api99", "ell", "meals", "mobility", "enroll", "sch_wide")],
          "data/design_apiclus2.csv", row.names = FALSE)
apiclus1$sch_wide <- as.numeric(apiclus1$sch.wide == "Yes")
apistrat$sch_wide <- as.numeric(apistrat$sch.wide == "Yes")

rows <- list()
add <- function(fixture, quantity, est, v) {
  se <- sqrt(diag(as.matrix(v)))
  rows[[length(rows) + 1]] <<- data.frame(
    fixture = fixture, quantity = quantity, term = names(est),
    estimate = fmt15(unname(est)), std_error = fmt15(unname(se)),
    stringsAsFactors = FALSE)
}
add_stat <- function(fixture, quantity, s) add(fixture, quantity, coef(s), vcov(s))
add_glm <- function(fixture, m) add(fixture, "glm", coef(m), vcov(m))

## ---- 1. two-stage designs ------------------------------------------------------
d2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
add_stat("apiclus2_2stage", "mean", svymean(~api00 + api99, d2))
add_stat("apiclus2_2stage", "total", svytotal(~api00 + api99, d2))
add_glm("apiclus2_2stage", svyglm(sch_wide ~ ell + meals, d2, family = quasibinomial(), control = GLM_CONTROL))
m <- svyglm(sch_wide ~ ell + meals, d2, control = GLM_CONTROL)
add("apiclus2_2stage", "lpm", coef(m), vcov(m))
add_stat("apiclus2_2stage", "domain_mean", svymean(~api00, subset(d2, stype == "E")))
## fpc at the first stage only: the second stage is sampled with replacement (N2 = Inf;
## survey 4.1's as.fpc fails on fewer fpc columns than stages, later versions use Inf)
apiclus2$inf2 <- Inf
d2f1 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + inf2, weights = ~pw, data = apiclus2)
options(survey.lonely.psu = "adjust")  # districts with one sampled school
add_stat("apiclus2_fpc1_adjust", "mean", svymean(~api00 + api99, d2f1))
options(survey.lonely.psu = "fail")
## ultimate cluster (no fpc): later stages do not count
d2u <- svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)
add_stat("apiclus2_nofpc", "mean", svymean(~api00 + api99, d2u))

## synthetic stratified three-stage design with an fpc at every stage
set.seed(20240614)
strata <- rep(1:3, times = c(4, 5, 3))
units <- do.call(rbind, lapply(seq_along(strata), function(p) {
  nssu <- sample(2:4, 1)
  do.call(rbind, lapply(seq_len(nssu), function(s) {
    nh <- sample(1:3, 1)  # households per SSU (1: a lonely unit at stage 3)
    data.frame(stratum = strata[p], psu = p, ssu = s, hh = seq_len(nh),
               N1 = c(10, 12, 7)[strata[p]], N2 = 6 + p %% 3, N3 = 5, ssu_stratum = s %% 2)
  }))
}))
n <- nrow(units)
units$x <- rnorm(n)
units$y <- 2 + 0.5 * units$x + rnorm(n) + units$stratum
units$b <- as.numeric(runif(n) < plogis(-0.3 + units$x))
units$w <- with(units, N1 * N2 * N3 / 6)
units$dom <- as.numeric(units$x > -0.4)
write.csv(units, "data/design_multistage.csv", row.names = FALSE)
options(survey.lonely.psu = "adjust")
d3 <- svydesign(id = ~psu + ssu + hh, strata = ~stratum, fpc = ~N1 + N2 + N3,
                weights = ~w, data = units)
add_stat("synthetic_3stage", "mean", svymean(~y + x, d3))
add_stat("synthetic_3stage", "total", svytotal(~y, d3))
add_glm("synthetic_3stage", svyglm(b ~ x, d3, family = quasibinomial(), control = GLM_CONTROL))
add_stat("synthetic_3stage", "domain_mean", svymean(~y, subset(d3, dom == 1)))
## second-stage strata within PSUs
d3s <- svydesign(id = ~psu + ssu, strata = ~stratum + ssu_stratum, fpc = ~N1 + N2,
                 weights = ~w, data = units)
add_stat("synthetic_2stage_strata", "mean", svymean(~y + x, d3s))
options(survey.lonely.psu = "average")
add_stat("synthetic_3stage_average", "mean", svymean(~y + x, d3))
options(survey.lonely.psu = "fail")

## ---- 2. calibration ----------------------------------------------------------
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
pop_types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
write.csv(data.frame(variable = "stype", level = pop_types$stype, total = pop_types$Freq),
          "data/totals_stype.csv", row.names = FALSE)
write.csv(data.frame(variable = c(rep("stype", 3), rep("sch.wide", 2)),
                     level = c(pop_types$stype, pop_schwide$sch.wide),
                     total = c(pop_types$Freq, pop_schwide$Freq)),
          "data/totals_rake.csv", row.names = FALSE)
write.csv(data.frame(variable = c("stype", "stype", "stype", "api99"),
                     level = c("E", "H", "M", ""),
                     total = c(4421, 755, 1018, 3914069)),
          "data/totals_linear.csv", row.names = FALSE, na = "")
calib <- function(fixture, des) {
  add_stat(fixture, "mean", svymean(~api00 + enroll, des))
  add_stat(fixture, "total", svytotal(~api00, des))
  add_glm(fixture, svyglm(sch_wide ~ ell + meals, des, family = quasibinomial(), control = GLM_CONTROL))
  add_stat(fixture, "domain_mean", svymean(~api00, subset(des, sch.wide == "Yes")))
  w <- weights(des)
  add(fixture, "weights", setNames(w[1:5], paste0("w", 1:5)), diag(0, 5))
}
dps <- postStratify(dclus1, ~stype, pop_types)
calib("apiclus1_poststratify", dps)
drk <- rake(dclus1, list(~stype, ~sch.wide), list(pop_types, pop_schwide),
            control = list(maxit = 200, epsilon = 1e-12))
calib("apiclus1_rake", drk)
pop_lin <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)
dlin <- calibrate(dclus1, ~stype + api99, pop_lin)
calib("apiclus1_linear", dlin)
dbnd <- calibrate(dclus1, ~stype + api99, pop_lin, bounds = c(0.5, 2))
calib("apiclus1_linear_bounds", dbnd)
## replicate design: every replicate recalibrated
rclus1 <- as.svrepdesign(dclus1, type = "JK1")
rps <- postStratify(rclus1, ~stype, pop_types)
add_stat("apiclus1_jk1_poststratify", "mean", svymean(~api00 + enroll, rps))
rlin <- calibrate(rclus1, ~stype + api99, pop_lin)
add_stat("apiclus1_jk1_linear", "mean", svymean(~api00 + enroll, rlin))
add_glm("apiclus1_jk1_linear", svyglm(sch_wide ~ ell + meals, rlin, family = quasibinomial(), control = GLM_CONTROL))
## trimming after calibration (R trimWeights: variance unchanged)
dtrim <- trimWeights(dlin, lower = 25, upper = 40)
add_stat("apiclus1_linear_trim", "mean", svymean(~api00 + enroll, dtrim))

## ---- 3. lonely PSUs in a domain ---------------------------------------------------
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
## the domain has a single school of type H: a stratum with one PSU in the domain
apistrat$dom <- as.numeric(apistrat$stype != "H" | apistrat$snum == apistrat$snum[apistrat$stype == "H"][1])
write.csv(apistrat[, c("snum", "stype", "pw", "fpc", "api00", "dom")],
          "data/apistrat_domain.csv", row.names = FALSE)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
for (rule in c("adjust", "average", "certainty")) {
  for (dl in c(FALSE, TRUE)) {
    options(survey.lonely.psu = rule, survey.adjust.domain.lonely = dl)
    s <- suppressWarnings(svymean(~api00, subset(dstrat, dom == 1)))
    add_stat(paste0("apistrat_domain_", rule, if (dl) "_adjustdomain" else ""), "mean", s)
  }
}
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)

## ---- 4. replicate weights made from a design --------------------------------------
sylvester <- function(size) {
  h <- matrix(1)
  while (nrow(h) < size) h <- rbind(cbind(h, h), cbind(h, 1 - h))
  h
}
set.seed(7)
pairs <- data.frame(stratum = rep(sprintf("s%02d", c(3, 1, 10, 2, 5, 4, 6)), each = 2))
pairs$psu <- seq_len(nrow(pairs))
pairs <- pairs[rep(seq_len(nrow(pairs)), times = sample(2:4, nrow(pairs), replace = TRUE)), ]
pairs$w <- round(runif(nrow(pairs), 5, 15), 2)
pairs$y <- rnorm(nrow(pairs), 10)
pairs$b <- as.numeric(runif(nrow(pairs)) < 0.4)
pairs$x <- rnorm(nrow(pairs))
write.csv(pairs, "data/design_pairs.csv", row.names = FALSE)
dp <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = pairs)
H <- sylvester(length(unique(pairs$stratum)) + 1)
brr <- as.svrepdesign(dp, type = "BRR", hadamard.matrix = H, compress = FALSE)
fay <- as.svrepdesign(dp, type = "Fay", fay.rho = 0.3, hadamard.matrix = H, compress = FALSE)
jkn <- as.svrepdesign(dclus1 <- svydesign(id = ~dnum, strata = ~stype, weights = ~pw,
                                          data = apistrat, nest = TRUE), type = "JKn",
                      compress = FALSE)
reps <- rbind(
  data.frame(kind = "brr", row = seq_len(nrow(pairs)), unclass(as.matrix(brr$repweights))),
  data.frame(kind = "fay", row = seq_len(nrow(pairs)), unclass(as.matrix(fay$repweights))))
names(reps) <- c("kind", "row", paste0("r", seq_len(ncol(reps) - 2)))
write.csv(reps, "design_survey_brr.csv", row.names = FALSE)
add_stat("pairs_brr", "mean", svymean(~y, brr))
add_stat("pairs_fay", "mean", svymean(~y, fay))
add_glm("pairs_brr", svyglm(b ~ x, brr, family = quasibinomial(), control = GLM_CONTROL))
add("pairs_brr", "scale", c(scale = brr$scale), matrix(0))
add("pairs_fay", "scale", c(scale = fay$scale), matrix(0))
add_stat("apistrat_jkn", "mean", svymean(~api00, jkn))


## ---- 5. panel model with replicate weights (refit on every replicate) ----------------
suppressPackageStartupMessages(library(plm))
set.seed(99)
ent <- data.frame(id = 1:60, psu = rep(1:30, each = 2), stratum = rep(1:10, each = 6),
                  alpha = rnorm(60), w = round(runif(60, 1, 3), 3))
pan <- merge(ent, data.frame(wave = 1:4))
pan <- pan[order(pan$id, pan$wave), ]
pan$x <- rnorm(nrow(pan)) + pan$alpha
pan$y <- 1 + 0.5 * pan$x + pan$alpha + rnorm(nrow(pan))
write.csv(pan[, c("id", "wave", "psu", "stratum", "w", "x", "y")], "data/design_panel.csv",
          row.names = FALSE)
rpan <- as.svrepdesign(svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = pan),
                       type = "JKn")
within_coef <- function(w, data) {
  keep <- w > 0
  d <- data[keep, ]
  d$.w <- w[keep]
  coef(plm(y ~ x, data = d, index = c("id", "wave"), model = "within", weights = .w))
}
fe <- withReplicates(rpan, within_coef)
add("panel_fe_jkn", "glm", c(x = unname(coef(fe))), vcov(fe))

out <- do.call(rbind, rows)
write.csv(out, "design_survey_reference.csv", row.names = FALSE, na = "NA")
