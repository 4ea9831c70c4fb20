"""gRPC stubs, servicer bases and registration functions made from a
service's descriptor (what grpcio-tools would generate into *_pb2_grpc.py;
made here so the package carries no generated code). grpcio is needed only
when a stub is built or a servicer registered."""
from google.protobuf import symbol_database


def _classes(method):
    db = symbol_database.Default()
    return db.GetSymbol(method.input_type.full_name), db.GetSymbol(method.output_type.full_name)


def stub_class(service):
    """A class whose instances, given a grpc.Channel, have one callable per
    method of `service` (a ServiceDescriptor)."""

    def __init__(self, channel):
        for m in service.methods:
            req, resp = _classes(m)
            setattr(self, m.name, channel.unary_unary(f"/{service.full_name}/{m.name}",
                                                      request_serializer=req.SerializeToString,
                                                      response_deserializer=resp.FromString))

    return type(service.name + "Stub", (object,), {"__init__": __init__, "__doc__": f"Client of {service.full_name}."})


def servicer_class(service):
    """A base class with one method per RPC that answers UNIMPLEMENTED."""

    def unimplemented(name):
        def method(self, request, context):
            import grpc
            context.set_code(grpc.StatusCode.UNIMPLEMENTED)
            context.set_details(f"{name} is not implemented")
            raise NotImplementedError(f"{name} is not implemented")
        method.__name__ = name
        return method

    body = {m.name: unimplemented(m.name) for m in service.methods}
    body["__doc__"] = f"Server side of {service.full_name}: override the methods."
    return type(service.name + "Servicer", (object,), body)


def add_servicer_function(service):
    def add(servicer, server):
        import grpc
        handlers = {}
        for m in service.methods:
            req, resp = _classes(m)
            handlers[m.name] = grpc.unary_unary_rpc_method_handler(getattr(servicer, m.name),
                                                                   request_deserializer=req.FromString,
                                                                   response_serializer=resp.SerializeToString)
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service.full_name, handlers),))

    add.__name__ = f"add_{service.name}Servicer_to_server"
    return add
