## Synthetic design data with a known data-generating process, for the
## estimator references. Writes data/design_binary.csv and
## data/design_binary_replicates.json (+ .csv). Run from tests/reference:
##   Rscript design_data.R
## Everything downstream (binary/ordinal/multinomial_reference.R) reads the
## CSV back, so R and Python see byte-identical inputs.
source("_common.R")
suppressPackageStartupMessages(library(jsonlite))

set.seed(20240611)

## ---- design: 10 strata, 4-8 PSUs each, 20-45 respondents per PSU ----------
n_strata <- 10
psu_per_stratum <- sample(4:8, n_strata, replace = TRUE)
stratum_of_psu <- rep(seq_len(n_strata), psu_per_stratum)
n_psu <- length(stratum_of_psu)
psu_id <- 100 * stratum_of_psu + sequence(psu_per_stratum)   # globally unique
psu_size <- sample(20:45, n_psu, replace = TRUE)
## population PSU count per stratum (for the fpc variant): 3-12 times n_h
pop_psu <- psu_per_stratum * sample(3:12, n_strata, replace = TRUE)
## stratum-level distance to Ukraine (km / 1000) and PSU random effect
stratum_distance <- round(runif(n_strata, 0.4, 3.0), 3)
psu_effect <- rnorm(n_psu, 0, 0.5)
psu_weight_factor <- exp(rnorm(n_psu, 0, 0.3))

row_psu <- rep(seq_len(n_psu), psu_size)
n <- length(row_psu)
d <- data.frame(
  id = seq_len(n),
  stratum = stratum_of_psu[row_psu],
  psu = psu_id[row_psu]
)
d$fpc <- pop_psu[d$stratum]
## unequal-probability weights: stratum base x PSU factor x person factor
base_w <- (pop_psu / psu_per_stratum) * 40
d$w <- round(base_w[d$stratum] * psu_weight_factor[row_psu] *
               exp(rnorm(n, 0, 0.35)), 4)

## ---- covariates -----------------------------------------------------------
d$age <- sample(18:80, n, replace = TRUE)
d$female <- rbinom(n, 1, 0.58)
d$employed <- rbinom(n, 1, plogis(0.8 - 0.04 * (d$age - 40) - 0.4 * d$female))
d$children <- rbinom(n, 1, plogis(0.5 - 0.06 * (d$age - 35)))
d$distance <- round(stratum_distance[d$stratum] + rnorm(n, 0, 0.15), 3)
d$distance <- pmax(d$distance, 0.1)
d$area <- sample(c("a", "b", "c"), n, replace = TRUE, prob = c(0.45, 0.35, 0.20))
u <- psu_effect[row_psu]

## ---- outcomes -------------------------------------------------------------
## binary logit DGP
beta_y <- c(intercept = -0.3, age = 0.015, female = 0.25, employed = -0.6,
            children = -0.35, distance = -0.45, areab = 0.4, areac = 0.8)
X <- cbind(1, d$age, d$female, d$employed, d$children, d$distance,
           d$area == "b", d$area == "c")
eta_y <- drop(X %*% beta_y) + u
d$y <- rbinom(n, 1, plogis(eta_y))

## ordered logit DGP: latent = x'b + u + logistic, cut at zeta
beta_o <- c(age = 0.02, female = 0.3, employed = -0.5, children = -0.4, distance = -0.6)
zeta <- c(-0.2, 0.9, 2.0)
latent <- drop(X[, 2:6] %*% beta_o) + u + rlogis(n)
d$yord <- as.integer(cut(latent, c(-Inf, zeta, Inf)))

## multinomial logit DGP with base level "stay" (the most frequent level by
## design, so it is also the estimation base level "most frequent")
nom_levels <- c("return", "stay", "move_on", "undecided")
B_nom <- rbind(                       # rows: return, move_on, undecided (vs stay)
  c(-0.4, 0.012, -0.25, -0.45, 0.35, -0.5),
  c(-1.9, -0.015, 0.15, -0.3, -0.3, 0.35),
  c(-1.0, -0.006, 0.25, -0.6, 0.15, -0.2)
)
eta_nom <- cbind(0, X[, 1:6] %*% t(B_nom))[, c(2, 1, 3, 4)]  # columns in nom_levels order
eta_nom[, 1] <- eta_nom[, 1] + 0.5 * u
p_nom <- exp(eta_nom) / rowSums(exp(eta_nom))
d$ynom <- nom_levels[apply(p_nom, 1, function(p) sample.int(4, 1, prob = p))]

## ---- replicate weights made by R -------------------------------------------
des <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = d)
set.seed(777)
rep_bs <- as.svrepdesign(des, type = "bootstrap", replicates = 50, compress = FALSE)
bs <- as.matrix(unclass(weights(rep_bs, "analysis")))
colnames(bs) <- paste0("bs", seq_len(ncol(bs)))

des1 <- svydesign(id = ~psu, weights = ~w, data = d)     # one-stage, no strata
rep_jk <- as.svrepdesign(des1, type = "JK1", compress = FALSE)
jk <- as.matrix(unclass(weights(rep_jk, "analysis")))
colnames(jk) <- paste0("jk1_", seq_len(ncol(jk)))

out <- cbind(d, bs, jk)
write_tidy(out, "data/design_binary.csv")

## ---- replicate metadata ------------------------------------------------------
meta <- list(
  bootstrap = list(
    columns = colnames(bs), type = rep_bs$type, replicates = ncol(bs),
    scale = rep_bs$scale, rscales = unname(rep_bs$rscales), mse = rep_bs$mse,
    made_by = paste("set.seed(777); as.svrepdesign(svydesign(id=~psu, strata=~stratum,",
                    "weights=~w, data=d), type='bootstrap', replicates=50, compress=FALSE)"),
    weights_are = "analysis weights: sampling weight w times the replicate factor",
    combined_weights = TRUE),
  jk1 = list(
    columns = colnames(jk), type = rep_jk$type, replicates = ncol(jk),
    scale = rep_jk$scale, rscales = unname(rep_jk$rscales), mse = rep_jk$mse,
    made_by = paste("as.svrepdesign(svydesign(id=~psu, weights=~w, data=d),",
                    "type='JK1', compress=FALSE)  # one-stage cluster design, strata ignored"),
    weights_are = "analysis weights: sampling weight w times the replicate factor",
    combined_weights = TRUE),
  dgp = list(seed = 20240611, n = n, n_strata = n_strata, n_psu = n_psu,
             psu_per_stratum = psu_per_stratum,
             beta_y = as.list(beta_y), beta_yord = as.list(beta_o), zeta_yord = zeta,
             nom_levels = nom_levels,
             beta_ynom_vs_stay = list(return = B_nom[1, ], move_on = B_nom[2, ], undecided = B_nom[3, ]),
             psu_effect_sd = 0.5,
             note = "PSU random effect u ~ N(0, 0.5^2) added to every linear predictor (0.5*u for ynom=return), so the fitted coefficients are not the DGP coefficients exactly")
)
writeLines(toJSON(meta, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "data/design_binary_replicates.json")
rep_csv <- data.frame(
  replicate_set = c("bootstrap", "jk1"), type = c(rep_bs$type, rep_jk$type),
  first_column = c("bs1", "jk1_1"), n_replicates = c(ncol(bs), ncol(jk)),
  scale = c(rep_bs$scale, rep_jk$scale),
  rscales = c(unique(rep_bs$rscales), unique(rep_jk$rscales)),
  mse = c(rep_bs$mse, rep_jk$mse))
stopifnot(length(unique(rep_bs$rscales)) == 1, length(unique(rep_jk$rscales)) == 1)
write_tidy(rep_csv, "data/design_binary_replicates.csv")
message("n = ", n, "; PSUs = ", n_psu, "; table(ynom):")
print(table(d$ynom)); print(round(prop.table(xtabs(w ~ ynom, d)), 3)); print(table(d$yord)); print(mean(d$y)); print(table(psu_per_stratum))
