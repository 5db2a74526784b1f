"""surveytk.harmonise"""
