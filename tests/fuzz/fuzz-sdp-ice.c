/* libFuzzer target for the RFC 8839 ICE lines: every parser on the same
 * bytes, and for what parses, format-then-parse must give it back. */
#include "ice/sdp-ice.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  ice_cand c, d;
  ice_sdp_ice ice, back;
  ice_sdp_error err;
  char buf[2048];
  int n;

  memset (&ice, 0, sizeof ice);
  if (ice_sdp_parse_candidate ((const char *) data, len, &c, &err) == 0
      && c.addr.family != 0 && (c.transport == ICE_TRANSPORT_UDP || c.transport == ICE_TRANSPORT_TCP))
    {
      n = ice_sdp_format_candidate (&c, buf, sizeof buf);
      if (n > 0)
        {
          if (ice_sdp_parse_candidate (buf, (size_t) n, &d, &err) != 0 || d.priority != c.priority
              || d.component != c.component || !ice_addr_equal (&d.addr, &c.addr)
              || strcmp (d.foundation, c.foundation) != 0)
            abort ();
        }
    }
  if (ice_sdp_parse_line ((const char *) data, len, &ice, &err) == 1)
    {
      n = ice_sdp_format_lines (&ice, buf, sizeof buf);
      if (n > 0)
        {
          memset (&back, 0, sizeof back);
          for (char *p = buf; *p;)
            {
              char *eol = strstr (p, "\r\n");
              if (eol == NULL || ice_sdp_parse_line (p, (size_t) (eol + 2 - p), &back, &err) != 1)
                abort ();
              p = eol + 2;
            }
          if (strcmp (back.ufrag, ice.ufrag) != 0 || strcmp (back.pwd, ice.pwd) != 0
              || back.n_remote != ice.n_remote || back.lite != ice.lite)
            abort ();
        }
    }
  return 0;
}
