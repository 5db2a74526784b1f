"""surveytk.report"""
