"""Analysis specs (`analyses/*.yaml`) and the runner behind `surveytk run` / `surveytk demo`."""
