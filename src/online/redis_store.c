/* placeholder replaced below */
#include "online/store.h"
feast_code feast_redis_store_open(const char *target, bool cluster, const feast_online_options *opts,
                                  feast_online_store **out, feast_error *err) {
  (void)target; (void)cluster; (void)opts; (void)out;
  return feast_fail(err, FEAST_E_UNSUPPORTED, "redis: not built yet");
}
