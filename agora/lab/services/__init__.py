"""Writes of the lab, one module per noun: `datasets`, `runs`, `publishing` (models and stars),
`generations` and `sharing` (to the forum and the gallery). What a worker executes lives in
`agora/lab/execution.py`; reads in `agora/lab/selectors.py`."""
