"""surveytk.codebook"""
