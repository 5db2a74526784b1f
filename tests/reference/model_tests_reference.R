## Tests, models by group and margins (issue 15, items 2-4):
## - regTermTest(method = "Wald", default df = df.residual) and svycontrast on
##   svyglm fits (apistrat, apiclus1, apiclus2);
## - models by group: svyglm on subset(design, VAR == level) for each level (svyby);
## - AMEs with conditional (delta method) and unconditional variance (Stata's
##   margins, vce(unconditional)): the linearised influence
##   z_i = a_i (d_i - AME) + G (X'WX)^-1 x_i w_i r_i, its design variance by svytotal;
##   0/1 regressors both as derivative and as discrete change 0 -> 1.
## Run from tests/reference: Rscript model_tests_reference.R
source("_common.R")

apistrat <- read.csv("../data/survey/apistrat.csv")
apiclus1 <- read.csv("../data/survey/apiclus1.csv")
apiclus2 <- read.csv("data/apiclus2.csv")
for (nm in c("apistrat", "apiclus1", "apiclus2")) {
  d <- get(nm)
  d$sch_wide <- as.numeric(d$sch.wide == "Yes")
  d$yr_rnd <- as.numeric(d$yr.rnd == "Yes")
  d$elem <- as.numeric(d$stype == "E")
  assign(nm, d)
}
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus2 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus2)
CTL <- glm.control(epsilon = 1e-14, maxit = 200)
sg <- function(f, des, fam) suppressWarnings(svyglm(f, design = des, family = fam, control = CTL))

## ---- Wald tests and contrasts ----------------------------------------------------
tests <- list()
wald <- function(fixture, model, fit, terms, label) {
  r <- regTermTest(fit, terms, method = "Wald")
  tests[[length(tests) + 1]] <<- data.frame(
    fixture = fixture, model = model, effect = "wald", term = label, estimate = NA,
    std_error = NA, statistic = as.numeric(r$Ftest), p_value = as.numeric(r$p),
    df_num = r$df, df_den = r$ddf, stringsAsFactors = FALSE)
}
contr <- function(fixture, model, fit, weights, label) {
  r <- svycontrast(fit, weights)
  est <- as.numeric(coef(r)); se <- as.numeric(SE(r)); df <- fit$df.residual
  tests[[length(tests) + 1]] <<- data.frame(
    fixture = fixture, model = model, effect = "contrast", term = label, estimate = est,
    std_error = se, statistic = est / se, p_value = 2 * pt(-abs(est / se), df),
    df_num = 1, df_den = df, stringsAsFactors = FALSE)
}
f1 <- sg(sch_wide ~ ell + meals + mobility + stype, dstrat, quasibinomial())
wald("apistrat", "logit", f1, ~ell + meals, "ell + meals")
wald("apistrat", "logit", f1, ~stype, "stype")
contr("apistrat", "logit", f1, c(ell = 1, meals = -1), "ell - meals")
contr("apistrat", "logit", f1, c(stypeH = 2, stypeM = -0.5), "2*stype[H] - 0.5*stype[M]")
f2 <- sg(api.stu ~ meals + ell + mobility + offset(log(enroll)), dclus1, quasipoisson())
wald("apiclus1", "poisson", f2, ~meals + ell, "meals + ell")
contr("apiclus1", "poisson", f2, c(meals = 1, ell = 1), "meals + ell")
f3 <- sg(api00 ~ ell + meals + stype, dclus2, gaussian())
wald("apiclus2", "linear", f3, ~stype, "C(stype)")
wald("apiclus2", "linear", f3, ~ell + stype, "ell + stype")
contr("apiclus2", "linear", f3, c(stypeH = 1, stypeM = -1), "stype[H] - stype[M]")
write_tidy(do.call(rbind, tests), "model_tests_reference.csv")

## ---- models by group -------------------------------------------------------------
by_rows <- list()
for (lev in c("No", "Yes")) {
  fit <- sg(api00 ~ ell + meals, subset(dclus1, awards == lev), gaussian())
  by_rows[[length(by_rows) + 1]] <- svyglm_rows("apiclus1_by_awards", "linear", fit,
                                                domain = lev)
  fit <- sg(sch_wide ~ ell + meals, subset(dstrat, yr.rnd == lev), quasibinomial())
  by_rows[[length(by_rows) + 1]] <- svyglm_rows("apistrat_by_yr_rnd", "logit", fit,
                                                domain = lev)
}
for (lev in c("E", "H", "M")) {
  fit <- sg(api.stu ~ meals + offset(log(enroll)), subset(dclus2, stype == lev), quasipoisson())
  by_rows[[length(by_rows) + 1]] <- svyglm_rows("apiclus2_by_stype", "poisson", fit,
                                                domain = lev)
}
write_tidy(bind_rows_fill(by_rows), "by_reference.csv")

## ---- AMEs: conditional and unconditional variance -------------------------------
ame_rows <- list()
## d: per-row effect; dG: per-row gradient rows (n x k); fit: svyglm; des: its design
ame_add <- function(fixture, model, term, kind, fit, des, d, dG) {
  w <- 1 / des$prob  # sampling weights of the rows the fit uses
  stopifnot(length(w) == nrow(model.matrix(fit)))
  a <- w / sum(w)
  ame <- sum(a * d)
  G <- colSums(a * dG)
  V <- vcov(fit)
  se_c <- sqrt(drop(t(G) %*% V %*% G))
  X <- model.matrix(fit)
  infl <- (X * resid(fit, "working") * fit$weights) %*% fit$naive.cov
  z <- a * (d - ame) + drop(infl %*% G)
  des$variables$.z <- z / w
  se_u <- as.numeric(SE(svytotal(~.z, des)))
  for (v in c("conditional", "unconditional"))
    ame_rows[[length(ame_rows) + 1]] <<- data.frame(
      fixture = fixture, model = model, effect = "ame", term = term, kind = kind,
      vce = v, estimate = ame, std_error = if (v == "conditional") se_c else se_u,
      stringsAsFactors = FALSE)
}
logit_ames <- function(fixture, fit, des, vars, binary) {
  X <- model.matrix(fit); b <- coef(fit)
  p <- drop(plogis(X %*% b)); f <- p * (1 - p)
  for (v in vars) {
    d <- b[v] * f
    dG <- (b[v] * f * (1 - 2 * p)) * X
    dG[, v] <- dG[, v] + f
    ame_add(fixture, "logit", v, "derivative", fit, des, d, dG)
  }
  for (v in binary) {
    X1 <- X; X1[, v] <- 1; X0 <- X; X0[, v] <- 0
    p1 <- drop(plogis(X1 %*% b)); p0 <- drop(plogis(X0 %*% b))
    ame_add(fixture, "logit", v, "discrete", fit, des, p1 - p0,
            p1 * (1 - p1) * X1 - p0 * (1 - p0) * X0)
  }
}
d_ame1 <- dstrat
fa <- sg(sch_wide ~ ell + meals + mobility + yr_rnd, d_ame1, quasibinomial())
logit_ames("apistrat", fa, d_ame1, c("ell", "meals", "mobility", "yr_rnd"), "yr_rnd")
fb <- sg(sch_wide ~ ell + meals + elem, dclus1, quasibinomial())
logit_ames("apiclus1", fb, dclus1, c("ell", "meals", "elem"), "elem")
## a domain: subset() drops the rows outside it but keeps each stratum's PSU count
## (fpc$sampsize), so PSUs without domain rows still count in the variance
d_dom <- subset(dclus1, stype != "H")
fc <- sg(sch_wide ~ ell + meals + elem, d_dom, quasibinomial())
logit_ames("apiclus1_subpop", fc, d_dom, c("ell", "meals", "elem"), "elem")
## poisson with exposure: mu = enroll * exp(x'b), AME of meals = b_meals * mu
fp <- sg(api.stu ~ meals + ell + offset(log(enroll)), dclus1, quasipoisson())
X <- model.matrix(fp); mu <- fitted(fp)
for (v in c("meals", "ell")) {
  dG <- (coef(fp)[v] * mu) * X; dG[, v] <- dG[, v] + mu
  ame_add("apiclus1", "poisson", v, "derivative", fp, dclus1, coef(fp)[v] * mu, dG)
}
write_tidy(do.call(rbind, ame_rows), "ame_reference.csv")

## ---- predictions at representative values (--predict) ----------------------------
## average prediction m = sum_i a_i mu(x_i with the chosen values); SE from
## G = sum_i a_i dmu_i/db (delta method); interval m +- qt(0.975, df.residual) SE.
pred_rows <- list()
pred_add <- function(fixture, model, fit, des, at, inv, dinv, offset = 0) {
  X <- model.matrix(fit); b <- coef(fit); V <- vcov(fit)
  w <- 1 / des$prob; stopifnot(length(w) == nrow(X)); a <- w / sum(w)
  grid <- expand.grid(at, KEEP.OUT.ATTRS = FALSE, stringsAsFactors = FALSE)
  for (r in seq_len(nrow(grid))) {
    Xa <- X
    for (v in names(at)) Xa[, v] <- grid[r, v]
    eta <- drop(Xa %*% b) + offset
    m <- sum(a * inv(eta)); G <- colSums(a * dinv(eta) * Xa)
    se <- sqrt(drop(t(G) %*% V %*% G)); q <- qt(0.975, fit$df.residual)
    pred_rows[[length(pred_rows) + 1]] <<- data.frame(
      fixture = fixture, model = model, x_var = names(at)[1], x = grid[r, 1],
      group_var = if (length(at) > 1) names(at)[2] else "",
      group = if (length(at) > 1) format(grid[r, 2]) else "",
      estimate = m, std_error = se, conf_low = m - q * se, conf_high = m + q * se,
      stringsAsFactors = FALSE)
  }
}
pred_add("apistrat", "logit", fa, dstrat, list(ell = c(10, 40, 70), yr_rnd = c(0, 1)),
         plogis, dlogis)
pred_add("apiclus1", "poisson", fp, dclus1, list(meals = seq(20, 80, by = 30)),
         exp, exp, offset = log(apiclus1$enroll))
write_tidy(do.call(rbind, pred_rows), "predict_reference.csv")
