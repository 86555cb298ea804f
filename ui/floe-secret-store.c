/* The Secret Service schema Floe stores its secrets under. */
#define G_LOG_DOMAIN "floe-ui"
#include "config.h"

#include <libsecret/secret.h>

#include "floe-secret-store.h"

static const SecretSchema *
floe_secret_schema (void)
{
  static const SecretSchema schema = {
    "org.floe.Floe.Secret", SECRET_SCHEMA_NONE,
    {
      { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "key", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };
  return &schema;
}

static const char *
kind_name (FloeSecretKind kind)
{
  return kind == FLOE_SECRET_TURN ? "turn" : "sip-account";
}

void
floe_secret_store_async (FloeSecretKind kind, const char *key, const char *label,
                         const char *secret, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  secret_password_store (floe_secret_schema (), SECRET_COLLECTION_DEFAULT, label, secret,
                         cancellable, callback, user_data,
                         "kind", kind_name (kind), "key", key, NULL);
}

gboolean
floe_secret_store_finish (GAsyncResult *result, GError **error)
{
  return secret_password_store_finish (result, error);
}

void
floe_secret_lookup_async (FloeSecretKind kind, const char *key, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  secret_password_lookup (floe_secret_schema (), cancellable, callback, user_data,
                          "kind", kind_name (kind), "key", key, NULL);
}

char *
floe_secret_lookup_finish (GAsyncResult *result, GError **error)
{
  return secret_password_lookup_finish (result, error);
}

void
floe_secret_clear_async (FloeSecretKind kind, const char *key, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  secret_password_clear (floe_secret_schema (), cancellable, callback, user_data,
                         "kind", kind_name (kind), "key", key, NULL);
}

gboolean
floe_secret_clear_finish (GAsyncResult *result, GError **error)
{
  return secret_password_clear_finish (result, error);
}

void
floe_secret_free (char *secret)
{
  secret_password_free (secret);
}

char *
floe_secret_lookup_sync (FloeSecretKind kind, const char *key, GError **error)
{
  return secret_password_lookup_sync (floe_secret_schema (), NULL, error,
                                      "kind", kind_name (kind), "key", key, NULL);
}
