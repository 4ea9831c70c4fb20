"""gRPC client and server classes of feast's ServingService (as grpcio-tools would generate them)."""
from feast._grpc_stubs import add_servicer_function, servicer_class, stub_class
from feast.serving import ServingService_pb2 as _pb2

_service = _pb2.DESCRIPTOR.services_by_name["ServingService"]
ServingServiceStub = stub_class(_service)
ServingServiceServicer = servicer_class(_service)
add_ServingServiceServicer_to_server = add_servicer_function(_service)
