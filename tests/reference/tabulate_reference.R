## Shares of factor levels with linearised design-based SEs, for `surveytk tabulate`:
## R survey svymean(~factor(x), design) (one by-variable) and
## svyby(~factor(x2), ~x1, design, svymean) (domains: full design for the variance).
## Missing values: as their own level "(missing)" (surveytk's default) or dropped with
## svymean(na.rm = TRUE) (surveytk's --dropna: a domain, the full design kept).
## 95% intervals: t with the domain's design df, confint(est, df = degf(domain design)).
## Output: tabulate_reference.csv, one row per (fixture, by1 level, level).
## Run from tests/reference: Rscript tabulate_reference.R [testfiles_dir]
source("_common.R")

sd <- shared_dir()
apistrat <- read.csv(file.path(sd, "survey", "apistrat.csv"))
apiclus1 <- read.csv(file.path(sd, "survey", "apiclus1.csv"))
bin <- read.csv("data/design_binary.csv")

## Missing values made on purpose (deterministic, by school number).
apistrat$awards_na <- ifelse(apistrat$snum %% 7 == 0, NA, apistrat$awards)
apistrat$awards_miss <- ifelse(is.na(apistrat$awards_na), "(missing)", apistrat$awards_na)

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dbin <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, fpc = ~fpc, data = bin)

strip <- function(nm, var) sub(paste0("^factor\\(", var, "\\)"), "", nm)

## One by-variable: svymean(~factor(var)) on `design` (a domain design for na.rm).
one_way <- function(fixture, design, var, na_rm = FALSE) {
  f <- as.formula(paste0("~factor(", var, ")"))
  est <- svymean(f, design, na.rm = na_rm)
  used <- if (na_rm) subset(design, !is.na(design$variables[[var]])) else design
  df <- degf(used)
  ci <- confint(est, df = df)
  x <- used$variables[[var]][weights(used, "sampling") > 0]
  lev <- strip(names(coef(est)), var)
  n <- as.vector(table(factor(x, levels = lev)))
  data.frame(fixture = fixture, by1 = "", level = lev,
             estimate = unname(coef(est)), std_error = unname(SE(est)),
             df = df, conf_low = unname(ci[, 1]), conf_high = unname(ci[, 2]),
             n = n, stringsAsFactors = FALSE)
}

## Two by-variables: svyby(~factor(var), ~by, design, svymean).
two_way <- function(fixture, design, by, var) {
  f <- as.formula(paste0("~factor(", var, ")"))
  b <- svyby(f, as.formula(paste0("~", by)), design, svymean, covmat = FALSE)
  est <- coef(b)
  se <- as.matrix(SE(b))            # domains x levels, in the order of coef(b)'s levels
  se <- setNames(as.vector(se), names(est))
  out <- list()
  for (d in as.character(b[[by]])) {
    keep <- startsWith(names(est), paste0(d, ":"))
    lev <- strip(sub("^[^:]*:", "", names(est)[keep]), var)
    dom <- subset(design, design$variables[[by]] == d)
    df <- degf(dom)
    q <- qt(0.975, df)
    x <- dom$variables[[var]][weights(dom, "sampling") > 0]
    n <- as.vector(table(factor(x, levels = lev)))
    out[[d]] <- data.frame(fixture = fixture, by1 = d, level = lev,
                           estimate = unname(est[keep]), std_error = unname(se[keep]),
                           df = df, conf_low = unname(est[keep] - q * se[keep]),
                           conf_high = unname(est[keep] + q * se[keep]),
                           n = n, stringsAsFactors = FALSE)
  }
  do.call(rbind, out)
}

res <- rbind(
  one_way("apistrat_awards", dstrat, "awards"),
  one_way("apistrat_awards_missing", dstrat, "awards_miss"),
  one_way("apistrat_awards_dropna", dstrat, "awards_na", na_rm = TRUE),
  two_way("apistrat_stype_awards", dstrat, "stype", "awards"),
  one_way("apiclus1_stype", dclus1, "stype"),
  two_way("apiclus1_stype_schwide", dclus1, "stype", "sch.wide"),
  one_way("binary_area", dbin, "area"),
  two_way("binary_area_ynom", dbin, "area", "ynom")
)
row.names(res) <- NULL
write_tidy(res, "tabulate_reference.csv")
