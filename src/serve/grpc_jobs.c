/*
 * grpc_jobs.c - feast.core.JobService (placeholder until jobs land).
 */
#include "serve/grpc.h"

static void list_jobs(grpc_call *call) { (void)call; }

const grpc_method grpc_jobs_methods[] = {
    {"/feast.core.JobService/ListJobs", list_jobs, GRPC_ON_GRPC | GRPC_ON_JOBS},
};
const size_t grpc_jobs_num_methods = 0;
