## Reference numbers for the Python API (issue #20): FitResult.predict() and
## FitResult.margins(at=..., vce="svypredmeans") on R survey's apistrat.
##
## Design: svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc).
## Model:  svyglm(wide ~ ell + meals + stype, quasibinomial), wide = sch.wide == "Yes".
## 1. predict(m, newdata, type = "response") at chosen rows (with se.fit);
## 2. svypredmeans(svyglm(wide ~ ell + meals), ~stype): predictive margins by
##    school type, with their variance and its conditional part (attr "parts"[[1]]).
## Output: python_api_reference.csv (quantity, key, estimate, std_error).
source("_common.R")

api <- read.csv(file.path(shared_dir(), "survey", "apistrat.csv"), stringsAsFactors = FALSE)
api$wide <- as.numeric(api$sch.wide == "Yes")
api$stype <- factor(api$stype)  # svypredmeans sets the group to one level: needs a factor
des <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = api)

m <- svyglm(wide ~ ell + meals + stype, design = des, family = quasibinomial())
new <- data.frame(ell = c(0, 30, 60), meals = c(20, 50, 80), stype = c("E", "H", "M"))
p <- predict(m, newdata = new, type = "response")
rows <- data.frame(
  quantity = "predict",
  key = paste0("ell=", new$ell, ",meals=", new$meals, ",stype=", new$stype),
  estimate = as.numeric(coef(p)),
  std_error = as.numeric(SE(p))
)

m0 <- svyglm(wide ~ ell + meals, design = des, family = quasibinomial())
pm <- svypredmeans(m0, ~stype)
parts <- attr(attr(pm, "var"), "parts")
rows <- rbind(
  rows,
  data.frame(quantity = "svypredmeans", key = names(coef(pm)),
             estimate = as.numeric(coef(pm)), std_error = as.numeric(SE(pm))),
  data.frame(quantity = "predmeans_conditional", key = names(coef(pm)),
             estimate = as.numeric(coef(pm)), std_error = sqrt(diag(parts[[1]])))
)
rows <- rows[order(rows$quantity, rows$key), ]
write_tidy(rows, "python_api_reference.csv")
