## Shared helpers for the reference-fixture scripts (sourced by every *.R here).
## Output layout: long, tidy, one row per estimate; numbers printed with 15
## significant digits ("%.15g"); missing numbers written as NA; empty strings
## (e.g. y_level for binary models) written as "".

suppressPackageStartupMessages({
  library(survey)
})

## Directory holding the third-party test files (apiclus1.csv, soep_practice/ ...).
## First command-line argument wins; default is the copies in tests/data
## (see tests/data/README.md), relative to tests/reference.
shared_dir <- function() {
  args <- commandArgs(trailingOnly = TRUE)
  if (length(args) >= 1 && nzchar(args[1])) return(args[1])
  "../data"
}

fmt15 <- function(x) ifelse(is.na(x), NA_character_, sprintf("%.15g", x))

TIDY_COLS <- c("fixture", "model", "effect", "term", "y_level", "estimate",
               "std_error", "statistic", "p_value", "df")

## Build tidy rows. est/se named vectors (names = terms) unless term given.
tidy_rows <- function(fixture, model, est, se, df = NA_real_, term = names(est),
                      effect = "coefficient", y_level = "", dist = c("t", "z"),
                      ...) {
  dist <- match.arg(dist)
  stat <- est / se
  p <- if (dist == "t") 2 * pt(-abs(stat), df) else 2 * pnorm(-abs(stat))
  out <- data.frame(fixture = fixture, model = model, effect = effect,
                    term = term, y_level = y_level,
                    estimate = unname(est), std_error = unname(se),
                    statistic = unname(stat), p_value = unname(p),
                    df = df, stringsAsFactors = FALSE)
  extra <- list(...)
  for (nm in names(extra)) out[[nm]] <- extra[[nm]]
  out
}

## rbind data frames whose extra columns differ (missing ones filled with NA).
bind_rows_fill <- function(lst) {
  cols <- unique(unlist(lapply(lst, names)))
  lst <- lapply(lst, function(d) {
    for (c in setdiff(cols, names(d))) d[[c]] <- NA
    d[, cols, drop = FALSE]
  })
  do.call(rbind, lst)
}

write_tidy <- function(df, path) {
  for (nm in names(df)) if (is.numeric(df[[nm]])) df[[nm]] <- fmt15(df[[nm]])
  write.csv(df, path, row.names = FALSE, na = "NA")
  message("wrote ", path, " (", nrow(df), " rows)")
}

## Long covariance layout: fixture, model, row_term, col_term (+ y_levels).
vcov_rows <- function(fixture, model, V, row_level = "", col_level = "",
                      effect = "coefficient") {
  terms <- rownames(V)
  g <- expand.grid(i = seq_along(terms), j = seq_along(terms))
  data.frame(fixture = fixture, model = model, effect = effect,
             row_term = terms[g$i], row_y_level = rep_len(row_level, length(terms))[g$i],
             col_term = terms[g$j], col_y_level = rep_len(col_level, length(terms))[g$j],
             value = V[cbind(g$i, g$j)], stringsAsFactors = FALSE)
}

## Tidy rows straight from a svyglm fit: t reference on fit$df.residual
## (= degf(design) + 1 - k, as summary.svyglm uses).
svyglm_rows <- function(fixture, model, fit, ...) {
  est <- coef(fit)
  se <- sqrt(diag(vcov(fit)))
  df <- fit$df.residual
  tidy_rows(fixture, model, est, se, df = df, dist = "t", ...)
}

GLM_CONTROL <- glm.control(epsilon = 1e-12, maxit = 100)
