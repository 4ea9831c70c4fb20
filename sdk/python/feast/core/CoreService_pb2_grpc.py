"""gRPC client and server classes of feast's CoreService (as grpcio-tools would generate them)."""
from feast._grpc_stubs import add_servicer_function, servicer_class, stub_class
from feast.core import CoreService_pb2 as _pb2

_service = _pb2.DESCRIPTOR.services_by_name["CoreService"]
CoreServiceStub = stub_class(_service)
CoreServiceServicer = servicer_class(_service)
add_CoreServiceServicer_to_server = add_servicer_function(_service)
