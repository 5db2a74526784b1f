## Student's t and normal tails and quantiles from R (pt, qt, pnorm, qnorm; R's pt/qt
## evaluate pbeta by TOMS 708), for surveytk/survey/distributions.py.
## df up to 5,000 (beyond it surveytk hands over to scipy.special); quantiles down to
## 1e-100 and df of 1 or more (further out, and below 1 df, R's qt is itself less
## accurate than 1e-12: qt(0.9999, 0.5) is 1.6e-12 off the root of pt).
## Run from tests/reference: Rscript t_distribution_reference.R
dfs <- c(0.5, 1, 2, 3, 7.5, 12, 30, 194, 1000, 1950, 5000, Inf)
ts <- c(0, 1e-8, 1e-5, 0.3, 0.7, 1.5, 1.96, 2.1, 3.3, 5, 9, 15, 30, 100, 1e3, 1e6, 1e10)
ps <- c(1e-100, 1e-20, 1e-8, 1e-4, 0.001, 0.005, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.975,
        0.995, 0.9999)
two_sided <- function(t, df) 2 * pt(t, df, lower.tail = FALSE)
p_rows <- expand.grid(kind = "two_sided_p", df = dfs, x = ts, stringsAsFactors = FALSE)
p_rows$value <- mapply(two_sided, p_rows$x, p_rows$df)
q_rows <- expand.grid(kind = "quantile", df = dfs[dfs >= 1], x = ps, stringsAsFactors = FALSE)
q_rows$value <- mapply(qt, q_rows$x, q_rows$df)
out <- rbind(p_rows, q_rows)
out$df[is.infinite(out$df)] <- NA                           # the normal: df None
write.csv(out[out$kind == "two_sided_p" | is.finite(out$value), ],
          "t_distribution_reference.csv", row.names = FALSE)
