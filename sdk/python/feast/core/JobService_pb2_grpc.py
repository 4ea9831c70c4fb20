"""gRPC client and server classes of feast's JobService (as grpcio-tools would generate them)."""
from feast._grpc_stubs import add_servicer_function, servicer_class, stub_class
from feast.core import JobService_pb2 as _pb2

_service = _pb2.DESCRIPTOR.services_by_name["JobService"]
JobServiceStub = stub_class(_service)
JobServiceServicer = servicer_class(_service)
add_JobServiceServicer_to_server = add_servicer_function(_service)
