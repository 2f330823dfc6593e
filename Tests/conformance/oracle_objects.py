"""Classes the differential oracle (oracle.py) pickles: importable by the test process, by
the process that runs `brine decompile --full` output and by the restricted unpickler.
Their names are reused as dict keys, values and attribute names on purpose (the string
`Thing` can be a key, a value, an attribute name and the name of this global)."""


class Thing:
    """A plain instance: pickled as copyreg._reconstructor/NEWOBJ + BUILD with its __dict__."""
