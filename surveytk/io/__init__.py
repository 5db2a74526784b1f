"""surveytk.io"""
