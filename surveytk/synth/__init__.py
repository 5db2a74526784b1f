"""surveytk.synth"""
