## Panel linear-model references on the SOEP practice dataset (v36):
## plm within (person fixed effects) and random effects (Swamy-Arora), with
## cluster-robust (Arellano, clustered by person) SEs, HC0 and HC1.
## Run from tests/reference: Rscript panel_reference.R [testfiles_dir]
source("_common.R")
suppressPackageStartupMessages({ library(plm); library(haven); library(lmtest) })

path <- file.path(shared_dir(), "soep_practice", "practice_dataset_eng.dta")
raw <- as.data.frame(zap_labels(read_dta(path)))
n_raw <- nrow(raw)

## ---- analysis sample -------------------------------------------------------------
## SOEP negative codes (-1 ... -8) are missing. In this file the variables used
## hold no negative values (counted below), only Stata system missings.
vars <- c("id", "syear", "lebensz_org", "alter", "erwerb", "anz_kind")
neg_counts <- sapply(vars, function(v) sum(raw[[v]] < 0, na.rm = TRUE))
for (v in vars) raw[[v]][!is.na(raw[[v]]) & raw[[v]] < 0] <- NA
na_counts <- sapply(vars, function(v) sum(is.na(raw[[v]])))
d <- raw[complete.cases(raw[, vars]), vars]
## employed: erwerb 1 full-time, 2 part-time, 4 irregular/marginal -> 1;
## 3 training/apprenticeship, 5 not employed, 6 sheltered workshop -> 0
stopifnot(all(d$erwerb %in% 1:6))
d$employed <- as.integer(d$erwerb %in% c(1, 2, 4))
d$children <- as.integer(d$anz_kind > 0)       # any child in the household
d$life_sat <- d$lebensz_org
d$age <- d$alter
stopifnot(!anyDuplicated(d[, c("id", "syear")]))
pd <- pdata.frame(d, index = c("id", "syear"))
f_pan <- life_sat ~ age + employed + children

fits <- list(
  within = plm(f_pan, data = pd, model = "within", effect = "individual"),
  random = plm(f_pan, data = pd, model = "random", effect = "individual",
               random.method = "swar")
)

rows <- list(); vcs <- list(); corr <- list()
for (m in names(fits)) {
  fit <- fits[[m]]
  n <- nobs(fit); G <- pdim(fit)$nT$n; k <- length(coef(fit))
  V0 <- vcovHC(fit, method = "arellano", type = "HC0", cluster = "group")
  V1 <- vcovHC(fit, method = "arellano", type = "HC1", cluster = "group")
  ## plm's HC1 factor is n / (n - k), k = number of estimated coefficients in
  ## the (demeaned) model: slopes only for "within", slopes + intercept for "random"
  stopifnot(max(abs(V1 / V0 - n / (n - k))) < 1e-12)
  ## Stata/linearmodels-style cluster correction, for convenience:
  ## G/(G-1) * (n-1)/(n-k) times the HC0 matrix
  Vs <- V0 * (G / (G - 1)) * ((n - 1) / (n - k))
  variants <- list(cluster_HC0 = list(V0, 1), cluster_HC1 = list(V1, n / (n - k)),
                   cluster_stata = list(Vs, (G / (G - 1)) * ((n - 1) / (n - k))))
  for (vn in names(variants)) {
    V <- variants[[vn]][[1]]
    ct <- coeftest(fit, vcov. = V)                 # t on df.residual(fit)
    r <- tidy_rows("soep_practice", paste0("panel_", m), coef(fit), sqrt(diag(V)),
                   df = df.residual(fit), dist = "t",
                   variance = vn, cluster = "id", n_obs = n, n_groups = G,
                   n_coef = k, vcov_factor_vs_HC0 = variants[[vn]][[2]],
                   r_squared = unname(summary(fit)$r.squared["rsq"]))
    stopifnot(max(abs(r$p_value - ct[, 4])) < 1e-12)
    rows[[length(rows) + 1]] <- r
    v <- vcov_rows("soep_practice", paste0("panel_", m), V)
    v$variance <- vn
    vcs[[length(vcs) + 1]] <- v
  }
  ## conventional (non-robust) SEs too
  rows[[length(rows) + 1]] <- tidy_rows(
    "soep_practice", paste0("panel_", m), coef(fit), sqrt(diag(vcov(fit))),
    df = df.residual(fit), dist = "t", variance = "conventional", cluster = "",
    n_obs = n, n_groups = G, n_coef = k, vcov_factor_vs_HC0 = NA_real_,
    r_squared = unname(summary(fit)$r.squared["rsq"]))
}
re_theta <- fits$random$ercomp$theta
sig <- fits$random$ercomp$sigma2
write_tidy(bind_rows_fill(rows), "panel_reference.csv")
write_tidy(do.call(rbind, vcs), "panel_reference_vcov.csv")

## sample description (aggregates only) for the README / Python side
Ti <- table(d$id)
sample_info <- data.frame(
  item = c("rows_in_file", paste0("negative_codes_", vars), paste0("missing_after_recode_", vars),
           "rows_in_sample", "persons_in_sample", "singleton_persons", "years_min", "years_max",
           "re_theta_min", "re_theta_max", "re_sigma2_idios", "re_sigma2_id",
           "within_df_residual", "random_df_residual"),
  value = c(n_raw, neg_counts, na_counts, nrow(d), length(Ti), sum(Ti == 1),
            min(d$syear), max(d$syear), min(re_theta), max(re_theta),
            sig[["idios"]], sig[["id"]], df.residual(fits$within),
            df.residual(fits$random)))
write_tidy(sample_info, "panel_reference_sample.csv")
