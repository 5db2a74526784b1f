"""Survey inference, the bottom layer: the design (:mod:`~surveytk.survey.design`), its
option vocabulary (:mod:`~surveytk.survey.options`), replicate weights, calibration,
covariance kernels, the design summary results carry (:mod:`~surveytk.survey.summary`)
and descriptive estimators.

Models (``surveytk.models``), tabulation and reports build on this package; nothing in it
imports from them.
"""
