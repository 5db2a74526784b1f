## Ordered logit / probit references on data/design_binary.csv (outcome yord,
## levels 1 < 2 < 3 < 4). R survey::svyolr (linearised and bootstrap), with the
## linearised covariance recomputed exactly at the MLE (analytic scores, see
## README), and MASS::polr point estimates for cross-checking.
## Threshold convention (polr/svyolr): logit P(Y <= k) = zeta_k - x'beta.
## Run from tests/reference: Rscript ordinal_reference.R
source("_common.R")
suppressPackageStartupMessages({ library(MASS); library(jsonlite) })

d <- read.csv("data/design_binary.csv")
d$yord <- factor(d$yord, levels = 1:4, ordered = FALSE)
reps <- fromJSON("data/design_binary_replicates.json")
f_ord <- yord ~ age + female + employed + children + distance
X <- model.matrix(f_ord, d)[, -1]                  # no intercept (absorbed in zeta)
yk <- as.integer(d$yord)
K <- nlevels(d$yord)
pc <- ncol(X); q <- K - 1
OPTIM_CONTROL <- list(reltol = 1e-15, maxit = 10000)

des_lin <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = d)
des_bs <- svrepdesign(data = d, repweights = "^bs[0-9]+$", weights = ~w,
                      type = "bootstrap", combined.weights = TRUE,
                      scale = reps$bootstrap$scale, rscales = reps$bootstrap$rscales,
                      mse = reps$bootstrap$mse)

d_renamed <- d; names(d_renamed)[names(d_renamed) == "w"] <- "sampling_weight"
des_bs_renamed <- svrepdesign(data = d_renamed, repweights = "^bs[0-9]+$",
                              weights = ~sampling_weight, type = "bootstrap",
                              combined.weights = TRUE, scale = reps$bootstrap$scale,
                              rscales = reps$bootstrap$rscales, mse = reps$bootstrap$mse)

links <- list(logit = list(F = plogis, f = dlogis, method = "logistic"),
              probit = list(F = pnorm, f = dnorm, method = "probit"))

## Per-observation score of log P(Y_i = y_i), theta = (beta, zeta).
ord_scores <- function(theta, link) {
  lf <- links[[link]]
  beta <- theta[seq_len(pc)]; zeta <- theta[pc + seq_len(q)]
  eta <- drop(X %*% beta)
  zu <- c(zeta, Inf)[yk]; zl <- c(-Inf, zeta)[yk]
  fu <- ifelse(is.finite(zu), lf$f(zu - eta), 0)
  fl <- ifelse(is.finite(zl), lf$f(zl - eta), 0)
  p <- lf$F(zu - eta) - lf$F(zl - eta)
  U <- cbind(-X * ((fu - fl) / p),
             sapply(seq_len(q), function(j) (fu * (yk == j) - fl * (yk == j + 1)) / p))
  colnames(U) <- names(theta)
  U
}
## Observed information -d2 l / d theta2 of the weighted log-likelihood, by
## central differences of the analytic gradient with one Richardson step
## (error O(h^4); h = rel_h * max(1, |theta_k|)).
ord_info_cd <- function(theta, link, wt, rel_h) {
  sapply(seq_along(theta), function(k) {
    h <- rel_h * max(1, abs(theta[k])); tp <- theta; tm <- theta
    tp[k] <- tp[k] + h; tm[k] <- tm[k] - h
    -(colSums(wt * ord_scores(tp, link)) - colSums(wt * ord_scores(tm, link))) / (2 * h)
  })
}
ord_info <- function(theta, link, wt, rel_h = 1e-4) {
  (4 * ord_info_cd(theta, link, wt, rel_h / 2) - ord_info_cd(theta, link, wt, rel_h)) / 3
}
## Newton polish from a polr/svyolr start until the step is < 1e-12.
ord_polish <- function(theta, link, wt) {
  for (it in 1:50) {
    A <- ord_info(theta, link, wt)
    step <- solve(A, colSums(wt * ord_scores(theta, link)))
    theta <- theta + step
    if (max(abs(step)) < 1e-12) break
  }
  stopifnot(max(abs(step)) < 1e-10)
  theta
}
## Linearised sandwich V = A^-1 Var(sum_i w_i U_i) A^-1 (design variance of the
## score total from svytotal, as svyglm/svyolr linearise).
ord_sandwich <- function(theta, link, design) {
  wt <- weights(design)
  U <- ord_scores(theta, link)
  colnames(U) <- paste0("u", seq_len(ncol(U)))
  des_u <- update(design, .u = 0)
  des_u$variables <- cbind(des_u$variables, U)
  meat <- vcov(svytotal(as.formula(paste("~", paste(colnames(U), collapse = "+"))), des_u))
  A <- ord_info(theta, link, wt)
  ## the numerical information is stable to far below the 1e-6 test tolerance
  ## the numerical information is stable far below the 1e-6 test tolerance
  se_h <- function(h) sqrt(diag(solve(ord_info(theta, link, wt, rel_h = h))))
  stopifnot(max(abs(se_h(1e-5) / se_h(1e-4) - 1)) < 1e-9)
  Ainv <- solve(A)
  V <- Ainv %*% meat %*% Ainv
  dimnames(V) <- list(names(theta), names(theta))
  V
}
polr_theta <- function(fit) c(fit$coefficients, fit$zeta)

rows <- list(); vcs <- list(); notes <- list()
add_rows <- function(fixture, model, theta, se, df, extra) {
  eff <- c(rep("coefficient", pc), rep("threshold", q))
  r <- do.call(tidy_rows, c(list(fixture, model, theta, se, df = df, term = names(theta),
                                 effect = eff, dist = "t"), extra))
  rows[[length(rows) + 1]] <<- r
}

for (link in names(links)) {
  model <- paste0("ordered_", link)
  ## --- linearised: svyolr, then exact sandwich at the polished MLE ---------
  so <- svyolr(f_ord, des_lin, method = links[[link]]$method, control = OPTIM_CONTROL)
  th_r <- c(coef(so))                              # beta then "1|2","2|3","3|4"
  th <- ord_polish(th_r, link, weights(des_lin))
  V <- ord_sandwich(th, link, des_lin)
  stopifnot(max(abs(th - th_r)) < 1e-4)
  se_r <- sqrt(diag(vcov(so)))
  add_rows("design_binary_lin", model, th, sqrt(diag(V)), so$df.residual,
           list(variance = "linearized", n_obs = nrow(d), df_design = degf(des_lin),
                estimate_svyolr = th_r, std_error_svyolr = se_r))
  vcs[[length(vcs) + 1]] <- vcov_rows("design_binary_lin", model, V)
  notes[[model]] <- c(max_rel_diff_se_exact_vs_svyolr = max(abs(sqrt(diag(V)) / se_r - 1)),
                      max_abs_diff_est_polished_vs_svyolr = max(abs(th - th_r)))

  ## --- bootstrap replicates: tight polr per replicate, svrVar ----------------
  rw <- weights(des_bs, "analysis")
  reps_th <- t(apply(rw, 2, function(wr) {
    dr <- d; dr$.wr <- wr                          # polr evaluates weights in data
    fr <- suppressWarnings(polr(f_ord, data = dr, weights = .wr, start = th,
                                method = links[[link]]$method, control = OPTIM_CONTROL))
    ord_polish(polr_theta(fr), link, wr)
  }))
  Vb <- as.matrix(svrVar(reps_th, des_bs$scale, des_bs$rscales, mse = des_bs$mse, coef = th))
  dimnames(Vb) <- list(names(th), names(th))
  ## svyolr.svyrep.design refits polr(..., weights = w) on model.frame(design):
  ## a data column named `w` shadows its replicate weights (every replicate then
  ## equals the full-sample fit, SE 0), so R's own value is computed on a copy
  ## with the weight column renamed.
  sb <- suppressWarnings(svyolr(f_ord, des_bs_renamed, method = links[[link]]$method,
                                start = th))
  se_sb <- sqrt(diag(vcov(sb)))
  ## survey 4.1-1 svyolr.svyrep.design refits the replicates with polr's default
  ## method (logistic) whatever `method` says, so its probit SEs are not probit.
  if (link != "logit") se_sb[] <- NA_real_
  add_rows("design_binary_bootstrap", model, th, sqrt(diag(Vb)), sb$df.residual,
           list(variance = "replicate:bootstrap", n_obs = nrow(d),
                df_design = degf(des_bs), estimate_svyolr = c(coef(sb)),
                std_error_svyolr = se_sb))
  vcs[[length(vcs) + 1]] <- vcov_rows("design_binary_bootstrap", model, Vb)
  notes[[paste0(model, "_bootstrap")]] <- c(
    max_rel_diff_se_exact_vs_svyolr = max(abs(sqrt(diag(Vb)) / se_sb - 1)))

  ## --- MASS::polr point estimates (cross-check) -----------------------------
  pw <- suppressWarnings(polr(f_ord, data = d, weights = w, method = links[[link]]$method, start = th,
                              control = OPTIM_CONTROL, Hess = TRUE))
  add_rows("design_binary_polr_weighted", model, ord_polish(polr_theta(pw), link, d$w),
           rep(NA_real_, pc + q), NA_real_,
           list(variance = "none", n_obs = nrow(d), estimate_svyolr = polr_theta(pw)))
  pu <- polr(f_ord, data = d, method = links[[link]]$method,
             control = OPTIM_CONTROL, Hess = TRUE)
  th_u <- ord_polish(polr_theta(pu), link, rep(1, nrow(d)))
  add_rows("design_binary_polr_unweighted", model, th_u,
           sqrt(diag(solve(ord_info(th_u, link, rep(1, nrow(d)))))), NA_real_,
           list(variance = "model_based", n_obs = nrow(d), estimate_svyolr = polr_theta(pu),
                std_error_svyolr = sqrt(diag(vcov(pu)))))
}
out <- bind_rows_fill(rows)
names(out)[names(out) == "estimate_svyolr"] <- "estimate_r"
names(out)[names(out) == "std_error_svyolr"] <- "std_error_r"
write_tidy(out, "ordinal_reference.csv")
write_tidy(do.call(rbind, vcs), "ordinal_reference_vcov.csv")
print(notes)

## ---- AMEs per outcome level (issue 15): conditional and unconditional ------------
## P_k = F(zeta_k - eta) - F(zeta_{k-1} - eta). Derivative AME of x_v:
## mean_w of -beta_v (f(zeta_k - eta) - f(zeta_{k-1} - eta)); discrete change of a 0/1
## variable: mean_w P_k(x_v = 1) - P_k(x_v = 0). Gradient G by central differences
## (step 1e-6 max(1, |theta|)); conditional variance G V G'; unconditional (Stata
## margins, vce(unconditional)): design variance (svytotal) of
## z_i = a_i (d_i - AME) + G A^-1 w_i U_i, A the observed information.
ord_probs <- function(theta, link, Xm) {
  lf <- links[[link]]
  beta <- theta[seq_len(pc)]; zeta <- c(-Inf, theta[pc + seq_len(q)], Inf)
  eta <- drop(Xm %*% beta)
  sapply(seq_len(K), function(k) lf$F(zeta[k + 1] - eta) - lf$F(zeta[k] - eta))
}
ord_row_effects <- function(theta, link, v, kind) {
  if (kind == "discrete") {
    X1 <- X; X1[, v] <- 1; X0 <- X; X0[, v] <- 0
    return(ord_probs(theta, link, X1) - ord_probs(theta, link, X0))
  }
  lf <- links[[link]]
  beta <- theta[seq_len(pc)]; zeta <- c(-Inf, theta[pc + seq_len(q)], Inf)
  eta <- drop(X %*% beta)
  fz <- function(z) if (is.finite(z)) lf$f(z - eta) else 0 * eta
  sapply(seq_len(K), function(k) -beta[v] * (fz(zeta[k + 1]) - fz(zeta[k])))
}
ame_rows <- list()
for (link in names(links)) {
  so <- svyolr(f_ord, des_lin, method = links[[link]]$method, control = OPTIM_CONTROL)
  wt <- weights(des_lin)
  th <- ord_polish(c(coef(so)), link, wt)
  V <- ord_sandwich(th, link, des_lin)
  a <- wt / sum(wt)
  infl <- t(solve(ord_info(th, link, wt), t(wt * ord_scores(th, link))))  # n x (pc + q)
  for (v in c("age", "female", "distance")) for (kind in c("derivative", "discrete")) {
    if (kind == "discrete" && v != "female") next
    D <- ord_row_effects(th, link, v, kind)
    ame <- colSums(a * D)
    G <- sapply(seq_along(th), function(j) {
      h <- 1e-6 * max(1, abs(th[j])); tp <- th; tm <- th
      tp[j] <- tp[j] + h; tm[j] <- tm[j] - h
      (colSums(a * ord_row_effects(tp, link, v, kind)) -
         colSums(a * ord_row_effects(tm, link, v, kind))) / (2 * h)
    })
    se_c <- sqrt(diag(G %*% V %*% t(G)))
    Z <- a * sweep(D, 2, ame) + infl %*% t(G)
    colnames(Z) <- paste0(".z", seq_len(K))
    des_z <- des_lin
    des_z$variables <- cbind(des_z$variables, Z / wt)
    se_u <- SE(svytotal(as.formula(paste("~", paste(colnames(Z), collapse = "+"))), des_z))
    ame_rows[[length(ame_rows) + 1]] <- data.frame(
      fixture = "design_binary_lin", model = paste0("ordered_", link), effect = "ame",
      term = v, y_level = levels(d$yord), kind = kind, estimate = ame,
      std_error_conditional = se_c, std_error_unconditional = as.numeric(se_u),
      stringsAsFactors = FALSE)
  }
}
write_tidy(do.call(rbind, ame_rows), "ordinal_ame_reference.csv")

## ---- predictions at representative values (--predict "age=30|50, female") --------
## mean_w P_k(x with age, female set) per level; SE by the delta method (G by central
## differences); t interval on svyolr's df.residual.
pred_rows <- list()
for (link in names(links)) {
  so <- svyolr(f_ord, des_lin, method = links[[link]]$method, control = OPTIM_CONTROL)
  wt <- weights(des_lin); a <- wt / sum(wt)
  th <- ord_polish(c(coef(so)), link, wt)
  V <- ord_sandwich(th, link, des_lin)
  for (fem in c(0, 1)) for (age in c(30, 50)) {
    Xa <- X; Xa[, "age"] <- age; Xa[, "female"] <- fem
    m <- colSums(a * ord_probs(th, link, Xa))
    G <- sapply(seq_along(th), function(j) {
      h <- 1e-6 * max(1, abs(th[j])); tp <- th; tm <- th
      tp[j] <- tp[j] + h; tm[j] <- tm[j] - h
      (colSums(a * ord_probs(tp, link, Xa)) - colSums(a * ord_probs(tm, link, Xa))) / (2 * h)
    })
    se <- sqrt(diag(G %*% V %*% t(G))); qq <- qt(0.975, so$df.residual)
    pred_rows[[length(pred_rows) + 1]] <- data.frame(
      fixture = "design_binary_lin", model = paste0("ordered_", link), x_var = "age",
      x = age, group_var = "female", group = fem, y_level = levels(d$yord), estimate = m,
      std_error = se, conf_low = m - qq * se, conf_high = m + qq * se,
      stringsAsFactors = FALSE)
  }
}
write_tidy(do.call(rbind, pred_rows), "ordinal_predict_reference.csv")
