/* FloeIcePool: see floe-ice-pool.h. */
#define G_LOG_DOMAIN "floe-ice"
#include "config.h"

#include "floe-ice-pool.h"

/* The spare's agent keeps its NAT bindings alive while it waits (ice/
 * standby.c) and its TURN allocations refresh themselves; it is still made
 * anew when the owner says the network changed (floe_ice_pool_renew), and
 * now and then in any case, should a change go unnoticed. */
#define SPARE_LIFETIME_S 300
/* Rtcp-mux is only known from the answer: gather both components. */
#define COMPONENTS 2

struct _FloeIcePool
{
  GObject parent_instance;

  GPtrArray *ice_servers; /* our copies: the names are resolved here */
  FloeIcePolicy policy;
  char *iface_filter;
  FloeIceTransport *spare;
  gboolean spare_failed; /* a failure was signalled before any call listened */
  guint renew_id;
  /* The renewal's name lookups: the spare is made when none is left. */
  GCancellable *lookups;
  guint pending;
  gboolean lookup_failed;
};

G_DEFINE_FINAL_TYPE (FloeIcePool, floe_ice_pool, G_TYPE_OBJECT)

static gboolean on_renew (gpointer data);

static void
on_spare_failed (FloeIceTransport *t, gint reason, const char *sentence, gpointer data)
{
  ((FloeIcePool *) data)->spare_failed = TRUE;
}

/* Replaces the spare (closing the old one releases its TURN allocations)
 * with one that starts gathering now. */
static void
make_spare (FloeIcePool *self)
{
  g_autoptr (GError) error = NULL;

  g_clear_object (&self->spare);
  self->spare_failed = FALSE;
  if (self->lookup_failed)
    return;
  self->spare = floe_ice_transport_new (FALSE, COMPONENTS, self->ice_servers, self->policy,
                                        self->iface_filter, &error);
  if (self->spare != NULL)
    g_signal_connect (self->spare, "failed", G_CALLBACK (on_spare_failed), self);
  if (self->spare != NULL && !floe_ice_transport_gather (self->spare, &error))
    g_clear_object (&self->spare);
  if (self->spare == NULL)
    g_debug ("no candidates gathered ahead: %s", error->message);
}

typedef struct
{
  FloeIcePool *pool; /* not a reference: a finalised pool cancels its lookups first */
  FloeIceServer *server;
} Lookup;

static void
on_resolved (GObject *source, GAsyncResult *result, gpointer data)
{
  Lookup *l = data;
  g_autoptr (GError) error = NULL;
  GList *addrs = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      FloeIcePool *self = l->pool;

      g_strfreev (l->server->addresses);
      l->server->addresses = addrs != NULL ? floe_ice_server_pick_addresses (addrs) : NULL;
      if (addrs == NULL)
        {
          self->lookup_failed = TRUE;
          g_debug ("no candidates gathered ahead: %s", error->message);
        }
      if (--self->pending == 0)
        make_spare (self);
    }
  g_resolver_free_addresses (addrs);
  g_free (l);
}

/* A new spare, its servers' names looked up first without blocking the
 * main loop (a slow resolver would freeze the desktop at every renewal);
 * the old spare serves until then. */
static void
renew (FloeIcePool *self)
{
  g_autoptr (GResolver) resolver = g_resolver_get_default ();

  g_clear_handle_id (&self->renew_id, g_source_remove);
  self->renew_id = g_timeout_add_seconds (SPARE_LIFETIME_S, on_renew, self);
  if (self->lookups != NULL)
    g_cancellable_cancel (self->lookups);
  g_clear_object (&self->lookups);
  self->lookups = g_cancellable_new ();
  self->pending = 1; /* this function's own hold, released below */
  self->lookup_failed = FALSE;
  for (guint i = 0; i < self->ice_servers->len; i++)
    {
      FloeIceServer *server = self->ice_servers->pdata[i];
      Lookup *l;

      if (g_hostname_is_ip_address (server->host))
        continue;
      l = g_new0 (Lookup, 1);
      l->pool = self;
      l->server = server;
      self->pending++;
      g_resolver_lookup_by_name_async (resolver, server->host, self->lookups, on_resolved, l);
    }
  if (--self->pending == 0)
    make_spare (self);
}

static gboolean
on_renew (gpointer data)
{
  FloeIcePool *self = data;

  self->renew_id = 0;
  renew (self);
  return G_SOURCE_REMOVE;
}

FloeIcePool *
floe_ice_pool_new (GPtrArray *ice_servers, FloeIcePolicy policy, const char *iface_filter)
{
  FloeIcePool *self = g_object_new (FLOE_TYPE_ICE_POOL, NULL);

  self->ice_servers = g_ptr_array_new_with_free_func ((GDestroyNotify) floe_ice_server_free);
  for (guint i = 0; i < ice_servers->len; i++)
    g_ptr_array_add (self->ice_servers, floe_ice_server_copy (ice_servers->pdata[i]));
  self->policy = policy;
  self->iface_filter = g_strdup (iface_filter);
  renew (self);
  return self;
}

void
floe_ice_pool_renew (FloeIcePool *self)
{
  renew (self);
}

FloeIceTransport *
floe_ice_pool_take (FloeIcePool *self, gboolean controlling)
{
  FloeIceTransport *t = g_steal_pointer (&self->spare);

  /* A spare that failed (no usable address, say) is no use: the call
   * gathers its own and hears why. */
  if (t != NULL)
    g_signal_handlers_disconnect_by_data (t, self);
  if (self->spare_failed)
    g_clear_object (&t);
  /* The next spare once the call's own work is done: its offer or answer
   * goes out first. */
  g_clear_handle_id (&self->renew_id, g_source_remove);
  self->renew_id = g_idle_add_full (G_PRIORITY_LOW, on_renew, self, NULL);
  if (t != NULL && !floe_ice_transport_set_controlling (t, controlling))
    g_clear_object (&t);
  return t;
}

static void
floe_ice_pool_finalize (GObject *object)
{
  FloeIcePool *self = FLOE_ICE_POOL (object);

  g_clear_handle_id (&self->renew_id, g_source_remove);
  if (self->lookups != NULL)
    g_cancellable_cancel (self->lookups);
  g_clear_object (&self->lookups);
  g_clear_object (&self->spare);
  g_ptr_array_unref (self->ice_servers);
  g_free (self->iface_filter);
  G_OBJECT_CLASS (floe_ice_pool_parent_class)->finalize (object);
}

static void
floe_ice_pool_class_init (FloeIcePoolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = floe_ice_pool_finalize;
}

static void
floe_ice_pool_init (FloeIcePool *self)
{
}
