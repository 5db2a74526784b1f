"""Survey inference, the bottom layer: designs, replicate weights, calibration,
covariance kernels and descriptive estimators.

Models (``surveytk.models``), tabulation and reports build on this package; nothing in it
imports from them.
"""
