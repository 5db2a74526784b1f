"""surveytk.models"""
