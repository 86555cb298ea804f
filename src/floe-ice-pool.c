/* FloeIcePool: see floe-ice-pool.h. */
#define G_LOG_DOMAIN "floe-ice"
#include "config.h"

#include "floe-ice-pool.h"

/* NAT bindings without traffic may go after 30 s on common home routers
 * (RFC 4787 asks for 2 min, not all follow): a spare is replaced well
 * before that. */
#define SPARE_LIFETIME_S 20
/* Rtcp-mux is only known from the answer: gather both components. */
#define COMPONENTS 2

struct _FloeIcePool
{
  GObject parent_instance;

  GPtrArray *ice_servers;
  FloeIcePolicy policy;
  char *iface_filter;
  FloeIceTransport *spare;
  guint renew_id;
};

G_DEFINE_FINAL_TYPE (FloeIcePool, floe_ice_pool, G_TYPE_OBJECT)

static gboolean on_renew (gpointer data);

/* Drops the spare (closing it releases its TURN allocations) and gathers a
 * new one; without one for now, tries again after a lifetime. */
static void
renew (FloeIcePool *self)
{
  g_autoptr (GError) error = NULL;

  g_clear_object (&self->spare);
  g_clear_handle_id (&self->renew_id, g_source_remove);
  self->renew_id = g_timeout_add_seconds (SPARE_LIFETIME_S, on_renew, self);
  self->spare = floe_ice_transport_new (FALSE, COMPONENTS, self->ice_servers, self->policy,
                                        self->iface_filter, &error);
  if (self->spare != NULL && !floe_ice_transport_gather (self->spare, &error))
    g_clear_object (&self->spare);
  if (self->spare == NULL)
    g_debug ("no candidates gathered ahead: %s", error->message);
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

  self->ice_servers = g_ptr_array_ref (ice_servers);
  self->policy = policy;
  self->iface_filter = g_strdup (iface_filter);
  renew (self);
  return self;
}

FloeIceTransport *
floe_ice_pool_take (FloeIcePool *self, gboolean controlling)
{
  FloeIceTransport *t = g_steal_pointer (&self->spare);

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
