"""The torch suite runs in the torch venv (fixtures/requirements-torch.txt); it shares the
`brine` fixture with Tests/conformance."""
import importlib.util
import os

_spec = importlib.util.spec_from_file_location(
    "brine_shared_conftest", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance", "conftest.py"))
_shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shared)
brine = _shared.brine
leaves_by_name = _shared.leaves_by_name
