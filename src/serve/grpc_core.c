/*
 * grpc_core.c - feast.core.CoreService (placeholder until the registry
 * calls land).
 */
#include "serve/grpc.h"

static void core_version(grpc_call *call) { (void)call; }

const grpc_method grpc_core_methods[] = {
    {"/feast.core.CoreService/GetFeastCoreVersion", core_version, GRPC_ON_GRPC | GRPC_ON_CORE},
};
const size_t grpc_core_num_methods = 0;
