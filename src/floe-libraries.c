/* Process-wide choices for libraries, made before their first use. */
#include "config.h"

#include "floe-libraries.h"

#include <glib.h>
#include <openssl/crypto.h>

void
floe_libraries_init (void)
{
  static gsize once;

  if (!g_once_init_enter (&once))
    return;
  /* OpenSSL loads its error strings on first use (ICE's random numbers
   * and STUN integrity), touching about 450 kB of libcrypto. Floe prints
   * none of them; their one reader, Sofia's TLS log, is silent unless
   * SU_DEBUG or TPORT_DEBUG asks for it, and then they load as usual. The
   * choice only holds if made before OpenSSL's first use. */
  if (g_getenv ("SU_DEBUG") == NULL && g_getenv ("TPORT_DEBUG") == NULL)
    OPENSSL_init_crypto (OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL);
  g_once_init_leave (&once, 1);
}
