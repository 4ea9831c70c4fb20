/*
 * serve_auth.c - bearer tokens (docs/serve.md "Authentication"): each token
 * of serve.auth is scoped to projects (or every project) and to read or
 * write (write includes read). With no tokens configured every request is
 * allowed: serve_config_check only lets that happen on a loopback address
 * unless allow_unauthenticated says otherwise.
 *
 * Secrets are compared in constant time over every configured token, so
 * neither the time nor the answer tells how much of a guess was right.
 */
#include <string.h>

#include "serve/serve_internal.h"

static bool same_secret(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  unsigned char diff = (unsigned char)(la != lb);
  for (size_t i = 0; i < la; i++) diff |= (unsigned char)(a[i] ^ b[lb ? i % lb : 0]);
  return diff == 0 && lb != 0;
}

serve_auth_result serve_authorize(const serve_ctx *ctx, const char *bearer, const char *project,
                                  serve_access need) {
  const serve_config *cfg = serve_ctx_config(ctx);
  if (!cfg->n_tokens) return SERVE_AUTH_OK;
  if (!bearer || !*bearer) return SERVE_AUTH_UNAUTHENTICATED;
  const serve_token *found = NULL;
  for (size_t i = 0; i < cfg->n_tokens; i++)
    if (same_secret(bearer, cfg->tokens[i].token) && !found) found = &cfg->tokens[i];
  if (!found) return SERVE_AUTH_UNAUTHENTICATED;
  if ((found->access & (unsigned)need) != (unsigned)need) return SERVE_AUTH_DENIED;
  if (!found->projects || !project) return SERVE_AUTH_OK; /* NULL: a call about no one project */
  for (char **p = found->projects; *p; p++)
    if (strcmp(*p, project) == 0) return SERVE_AUTH_OK;
  return SERVE_AUTH_DENIED;
}
