## Multinomial logit references on data/design_binary.csv (outcome ynom).
## nnet::multinom point estimates (weighted by w), polished by Newton steps on
## the analytic score/Hessian; linearised design SEs computed here from the
## per-observation scores (V = A^-1 Var(sum_i w_i U_i) A^-1, as svyglm
## linearises); bootstrap and JK1 replicate SEs via survey::withReplicates.
## svyVGAM is not packaged for Debian, so it is not used.
## Run from tests/reference: Rscript multinomial_reference.R
source("_common.R")
suppressPackageStartupMessages({ library(nnet); library(jsonlite) })

d <- read.csv("data/design_binary.csv")
reps <- fromJSON("data/design_binary_replicates.json")
## base level = the most frequent level (unweighted count; the weighted share
## gives the same level here)
counts <- table(d$ynom)
base <- names(counts)[which.max(counts)]
stopifnot(base == names(which.max(xtabs(w ~ ynom, d))))
other <- setdiff(c("return", "stay", "move_on", "undecided"), base)
d$ynom <- factor(d$ynom, levels = c(base, other))
f_nom <- ynom ~ age + female + employed + children + distance
X <- model.matrix(f_nom, d)
Y <- sapply(levels(d$ynom), function(l) as.numeric(d$ynom == l))
p <- ncol(X); J <- nlevels(d$ynom)
par_names <- paste(rep(other, each = p), rep(colnames(X), J - 1), sep = ":")

des_lin <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = d)
make_rep <- function(set, pattern) {
  svrepdesign(data = d, repweights = pattern, weights = ~w, type = reps[[set]]$type,
              combined.weights = TRUE, scale = reps[[set]]$scale,
              rscales = reps[[set]]$rscales, mse = reps[[set]]$mse)
}
des_bs <- make_rep("bootstrap", "^bs[0-9]+$")
des_jk <- make_rep("jk1", "^jk1_[0-9]+$")

## theta = as.vector(t(coef(multinom))): level-major, terms within level
probs <- function(theta) {
  B <- matrix(theta, p, J - 1)                    # column = non-base level
  E <- cbind(1, exp(X %*% B))
  E / rowSums(E)
}
scores <- function(theta) {                        # n x (J-1)p, unweighted
  P <- probs(theta)
  do.call(cbind, lapply(2:J, function(j) X * (Y[, j] - P[, j])))
}
info <- function(theta, wt) {                      # -Hessian of the weighted log-lik
  P <- probs(theta)
  A <- matrix(0, (J - 1) * p, (J - 1) * p)
  for (j in 2:J) for (k in 2:J) {
    c_jk <- P[, j] * ((j == k) - P[, k])
    A[(j - 2) * p + 1:p, (k - 2) * p + 1:p] <- crossprod(X, X * (wt * c_jk))
  }
  A
}
polish <- function(theta, wt) {
  for (it in 1:50) {
    step <- solve(info(theta, wt), colSums(wt * scores(theta)))
    theta <- theta + step
    if (max(abs(step)) < 1e-12) break
  }
  stopifnot(max(abs(step)) < 1e-10)
  setNames(theta, par_names)
}
fit_multinom <- function(wt, start = NULL) {
  dd <- d; dd$.wr <- wt                            # multinom evaluates weights in data
  args <- list(f_nom, data = dd, weights = quote(.wr), reltol = 1e-12, maxit = 1000,
               trace = FALSE)
  if (!is.null(start)) args$Wts <- start
  m <- do.call(multinom, args)
  stopifnot(m$convergence == 0)
  m
}

## ---- point estimates ----------------------------------------------------------
m0 <- fit_multinom(d$w)
stopifnot(identical(rownames(coef(m0)), other), identical(colnames(coef(m0)), colnames(X)))
theta_r <- as.vector(t(coef(m0)))
theta <- polish(theta_r, d$w)
message("max |polished - multinom| = ", max(abs(theta - theta_r)))

## ---- linearised -------------------------------------------------------------------
U <- scores(theta)
colnames(U) <- paste0("u", seq_len(ncol(U)))
des_u <- des_lin
des_u$variables <- cbind(des_u$variables, U)
meat <- vcov(svytotal(as.formula(paste("~", paste(colnames(U), collapse = "+"))), des_u))
Ainv <- solve(info(theta, d$w))
V_lin <- Ainv %*% meat %*% Ainv
dimnames(V_lin) <- list(par_names, par_names)

## ---- replicate weights -----------------------------------------------------------
rep_var <- function(des, polish_each) {
  est <- withReplicates(des, function(w, data) {
    m <- fit_multinom(w, start = m0$wts)
    th <- as.vector(t(coef(m)))
    if (polish_each) polish(th, w) else th
  })
  stopifnot(max(abs(coef(est) - if (polish_each) theta else theta_r)) < 1e-12)
  V <- as.matrix(vcov(est))
  dimnames(V) <- list(par_names, par_names)
  V
}

rows <- list(); vcs <- list()
k <- length(theta)
add <- function(fixture, variance, V, df, design, se_r = NA_real_) {
  rows[[length(rows) + 1]] <<- tidy_rows(
    fixture, "multinomial_logit", theta, sqrt(diag(V)), df = df,
    term = rep(colnames(X), J - 1), y_level = rep(other, each = p), dist = "t",
    variance = variance, base_level = base, n_obs = nrow(d),
    sum_weights = sum(d$w), df_design = degf(design), estimate_r = theta_r,
    std_error_r = se_r)
  vcs[[length(vcs) + 1]] <<- vcov_rows(fixture, "multinomial_logit", V,
                                       row_level = rep(other, each = p),
                                       col_level = rep(other, each = p))
}
add("design_binary_lin", "linearized", V_lin, degf(des_lin) + 1 - k, des_lin)
for (set in c("bootstrap", "jk1")) {
  des <- if (set == "bootstrap") des_bs else des_jk
  V <- rep_var(des, TRUE)
  V_plain <- rep_var(des, FALSE)                    # multinom only, reltol 1e-12
  message(set, ": max rel diff SE polished vs plain multinom = ",
          max(abs(sqrt(diag(V)) / sqrt(diag(V_plain)) - 1)))
  add(paste0("design_binary_", if (set == "bootstrap") "bootstrap" else "jk1"),
      paste0("replicate:", set), V, degf(des) + 1 - k, des, sqrt(diag(V_plain)))
}
## vcov_rows wants the plain term names in row_term/col_term
vcs <- lapply(vcs, function(v) { v$row_term <- sub("^[^:]*:", "", v$row_term)
                                 v$col_term <- sub("^[^:]*:", "", v$col_term); v })
write_tidy(bind_rows_fill(rows), "multinomial_reference.csv")
write_tidy(do.call(rbind, vcs), "multinomial_reference_vcov.csv")

## ---- AMEs per outcome level (issue 15): conditional and unconditional ------------
## Derivative AME of x_v on P_j: mean_w P_j (b_jv - sum_l P_l b_lv) (b_base = 0);
## discrete change of a 0/1 variable: mean_w P_j(x_v = 1) - P_j(x_v = 0). Gradient by
## central differences (step 1e-6 max(1, |theta|)); conditional variance G V G';
## unconditional (Stata margins, vce(unconditional)): design variance (svytotal) of
## z_i = a_i (d_i - AME) + G A^-1 w_i U_i.
probs_at <- function(theta, Xm) {
  E <- cbind(1, exp(Xm %*% matrix(theta, p, J - 1)))
  E / rowSums(E)
}
mn_row_effects <- function(theta, v, kind) {
  if (kind == "discrete") {
    X1 <- X; X1[, v] <- 1; X0 <- X; X0[, v] <- 0
    return(probs_at(theta, X1) - probs_at(theta, X0))
  }
  P <- probs_at(theta, X)
  bv <- c(0, matrix(theta, p, J - 1)[which(colnames(X) == v), ])
  P * outer(rep(1, nrow(X)), bv) - P * drop(P %*% bv)
}
wt <- d$w; a <- wt / sum(wt)
infl <- t(solve(info(theta, wt), t(wt * scores(theta))))
mn_ame <- list()
for (v in c("age", "female", "distance")) for (kind in c("derivative", "discrete")) {
  if (kind == "discrete" && v != "female") next
  D <- mn_row_effects(theta, v, kind)
  ame <- colSums(a * D)
  G <- sapply(seq_along(theta), function(j) {
    h <- 1e-6 * max(1, abs(theta[j])); tp <- theta; tm <- theta
    tp[j] <- tp[j] + h; tm[j] <- tm[j] - h
    (colSums(a * mn_row_effects(tp, v, kind)) - colSums(a * mn_row_effects(tm, v, kind))) /
      (2 * h)
  })
  se_c <- sqrt(diag(G %*% V_lin %*% t(G)))
  Z <- a * sweep(D, 2, ame) + infl %*% t(G)
  colnames(Z) <- paste0(".z", seq_len(J))
  des_z <- des_lin
  des_z$variables <- cbind(des_z$variables, Z / wt)
  se_u <- SE(svytotal(as.formula(paste("~", paste(colnames(Z), collapse = "+"))), des_z))
  mn_ame[[length(mn_ame) + 1]] <- data.frame(
    fixture = "design_binary_lin", model = "multinomial_logit", effect = "ame", term = v,
    y_level = levels(d$ynom), kind = kind, estimate = ame, std_error_conditional = se_c,
    std_error_unconditional = as.numeric(se_u), stringsAsFactors = FALSE)
}
write_tidy(do.call(rbind, mn_ame), "multinomial_ame_reference.csv")

## ---- predictions at representative values (--predict "age=30|50, female") --------
pred_rows <- list()
for (fem in c(0, 1)) for (age in c(30, 50)) {
  Xa <- X; Xa[, "age"] <- age; Xa[, "female"] <- fem
  m <- colSums(a * probs_at(theta, Xa))
  G <- sapply(seq_along(theta), function(j) {
    h <- 1e-6 * max(1, abs(theta[j])); tp <- theta; tm <- theta
    tp[j] <- tp[j] + h; tm[j] <- tm[j] - h
    (colSums(a * probs_at(tp, Xa)) - colSums(a * probs_at(tm, Xa))) / (2 * h)
  })
  se <- sqrt(diag(G %*% V_lin %*% t(G))); qq <- qt(0.975, degf(des_lin) + 1 - k)
  pred_rows[[length(pred_rows) + 1]] <- data.frame(
    fixture = "design_binary_lin", model = "multinomial_logit", x_var = "age", x = age,
    group_var = "female", group = fem, y_level = levels(d$ynom), estimate = m,
    std_error = se, conf_low = m - qq * se, conf_high = m + qq * se,
    stringsAsFactors = FALSE)
}
write_tidy(do.call(rbind, pred_rows), "multinomial_predict_reference.csv")
