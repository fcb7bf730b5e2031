"""The evaluate stage. Its modules are imported by name; what sits here is only what the Python API
(tunelab/data_commands.py) must read without loading them at `import tunelab`."""

# Facts proposed per row, at most (`tunelab data facts --most`): on the demo's test rows 1 caught
# fewer wrong values than 2, and 3 scored as 2 did (benchmarks/README.md, derived facts).
MOST_FACTS = 2
