"""The data pipeline (read → load → templates → tokenize → pack → split), and the Python API of
the `tunelab data` commands by their names (tunelab.data.inspect, check, split, generate, augment,
facts): those are defined in tunelab/data_commands.py and set here by tunelab/__init__.py, since
they reach stages this package must not import."""
