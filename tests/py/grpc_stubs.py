"""grpcio stubs for Feast 0.9's services, compiled by grpcio-tools from the
repository's protos/ into a temporary folder, for the `feast serve` tests.

The generated package is renamed `feastpb` and its descriptors go into a
private pool: the Python SDK under test (sdk/python, package `feast`) loads
the same .proto files into the default pool in the same pytest process, and
two `feast` packages cannot be imported at once.
"""
import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))

_INIT = '''from google.protobuf import descriptor_pool as _dp
from google.protobuf import duration_pb2 as _d, timestamp_pb2 as _t
_POOL = _dp.DescriptorPool()
_POOL.AddSerializedFile(_t.DESCRIPTOR.serialized_pb)
_POOL.AddSerializedFile(_d.DESCRIPTOR.serialized_pb)
'''


def compile_stubs(out_dir):
    """Compile protos/ into out_dir/feastpb and return the imported modules
    as a namespace: S (ServingService_pb2), SG (its stubs), C, CG, J, JG,
    plus the message modules (Entity, FeatureTable, DataSource, DataFormat,
    Feature, Value)."""
    out_dir = Path(out_dir)
    gen = out_dir / "gen"
    gen.mkdir(parents=True, exist_ok=True)
    protos = sorted(str(p.relative_to(ROOT / "protos")) for p in (ROOT / "protos").rglob("*.proto"))
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{ROOT / 'protos'}", f"--python_out={gen}",
                    f"--grpc_python_out={gen}", *protos], check=True, capture_output=True)
    dst = out_dir / "feastpb"
    if dst.exists():
        shutil.rmtree(dst)
    shutil.move(str(gen / "feast"), str(dst))
    (dst / "__init__.py").write_text(_INIT)
    for d in dst.rglob("*"):
        if d.is_dir():
            (d / "__init__.py").touch()
    for f in dst.rglob("*_pb2*.py"):
        src = f.read_text()
        src = re.sub(r"\bfrom feast\.", "from feastpb.", src)
        src = src.replace("_descriptor_pool.Default()", "__import__('feastpb')._POOL")
        f.write_text(src)
    sys.path.insert(0, str(out_dir))
    importlib.invalidate_caches()

    class M:
        pass
    m = M()
    imp = importlib.import_module
    m.S = imp("feastpb.serving.ServingService_pb2")
    m.SG = imp("feastpb.serving.ServingService_pb2_grpc")
    m.C = imp("feastpb.core.CoreService_pb2")
    m.CG = imp("feastpb.core.CoreService_pb2_grpc")
    m.J = imp("feastpb.core.JobService_pb2")
    m.JG = imp("feastpb.core.JobService_pb2_grpc")
    m.Entity = imp("feastpb.core.Entity_pb2")
    m.FeatureTable = imp("feastpb.core.FeatureTable_pb2")
    m.Feature = imp("feastpb.core.Feature_pb2")
    m.DataSource = imp("feastpb.core.DataSource_pb2")
    m.DataFormat = imp("feastpb.core.DataFormat_pb2")
    m.Value = imp("feastpb.types.Value_pb2")
    return m
