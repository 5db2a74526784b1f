# How R's haven reads the third-party Stata and SAS test files, cell by cell, and a
# transport file written by haven::write_xpt.
#
# Writes
#   haven_reading.csv              file, variable, row, value, na_tag for every cell
#   ../data/sas/apistrat_haven.xpt R survey's apistrat (some columns), written by haven
#
# Usage: Rscript haven_reading.R   (run from tests/reference; reads ../data/)
suppressPackageStartupMessages(library(haven))

data_dir <- "../data"
files <- list(
  c("stata/stata5_117.dta", "dta"),
  c("stata/missing_test.dta", "dta"),
  c("sas/missing_test.sas7bdat", "sas"),
  c("sas/sample.sas7bdat", "sas"),
  c("sas/sample.xpt", "xpt")
)

cell_text <- function(x) {
  if (inherits(x, "Date")) return(format(x, "%Y-%m-%d"))
  if (inherits(x, "POSIXct")) return(format(x, "%Y-%m-%d %H:%M:%S", tz = "UTC"))
  if (inherits(x, "hms")) return(format(x))
  if (is.numeric(x)) return(sprintf("%.15g", as.numeric(x)))
  as.character(x)
}

rows <- list()
for (f in files) {
  path <- file.path(data_dir, f[1])
  d <- switch(f[2],
    dta = read_dta(path),
    sas = read_sas(path, catalog_file = if (grepl("missing_test", path))
      file.path(data_dir, "sas/missing_test.sas7bcat") else NULL),
    xpt = read_xpt(path)
  )
  for (v in names(d)) {
    x <- d[[v]]
    tag <- if (is.double(x)) na_tag(x) else rep(NA_character_, length(x))
    value <- cell_text(zap_labels(x))
    value[is.na(x)] <- NA
    rows[[length(rows) + 1]] <- data.frame(
      file = f[1], variable = v, row = seq_along(x) - 1L,
      value = value, na_tag = tag, stringsAsFactors = FALSE
    )
  }
}
out <- do.call(rbind, rows)
write.csv(out, "haven_reading.csv", row.names = FALSE, na = "NA")

api <- read.csv(file.path(data_dir, "survey/apistrat.csv"), stringsAsFactors = FALSE)
api <- api[, c("cds", "stype", "dnum", "api00", "api99", "enroll", "pw", "fpc")]
attr(api$api00, "label") <- "API in 2000"
attr(api$api99, "label") <- "API in 1999"
attr(api$pw, "label") <- "Sampling weight"
if (!file.exists(file.path(data_dir, "sas/apistrat_haven.xpt"))) write_xpt(api, file.path(data_dir, "sas/apistrat_haven.xpt"), version = 8, name = "APISTRAT")
