/* Passwords and TURN credentials live in the Secret Service (libsecret),
 * never in GSettings or any plain file. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  FLOE_SECRET_SIP_ACCOUNT, /* key: the account id */
  FLOE_SECRET_TURN,        /* key: "user@server" */
} FloeSecretKind;

/* Stores (or replaces) the secret; label is what keyring managers show. */
void floe_secret_store_async (FloeSecretKind kind, const char *key, const char *label,
                              const char *secret, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
gboolean floe_secret_store_finish (GAsyncResult *result, GError **error);

/* Returns NULL without error when there is no such secret. Free with
 * floe_secret_free (it wipes the memory). */
void floe_secret_lookup_async (FloeSecretKind kind, const char *key, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
char *floe_secret_lookup_finish (GAsyncResult *result, GError **error);

void floe_secret_clear_async (FloeSecretKind kind, const char *key, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
gboolean floe_secret_clear_finish (GAsyncResult *result, GError **error);

void floe_secret_free (char *secret);

/* Blocking lookup, for tests. */
char *floe_secret_lookup_sync (FloeSecretKind kind, const char *key, GError **error);

G_END_DECLS
