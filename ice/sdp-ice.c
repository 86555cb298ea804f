#include "sdp-ice.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKENS 64

typedef struct
{
  const char *p;
  size_t n;
} token;

static bool
tok_is (token t, const char *s)
{
  return t.n == strlen (s) && memcmp (t.p, s, t.n) == 0;
}

static bool
tok_is_ci (token t, const char *s)
{
  return t.n == strlen (s) && strncasecmp (t.p, s, t.n) == 0;
}

/* Builds the error sentence. quote_value is false for lines whose value is
 * a secret (ice-pwd). */
static int
fail (ice_sdp_error *err, const char *name, const char *line, size_t len,
      bool quote_value, const char *fmt, ...)
{
  char what[96], snippet[48];
  size_t i, n;
  va_list ap;

  if (err == NULL)
    return -EBADMSG;
  va_start (ap, fmt);
  vsnprintf (what, sizeof what, fmt, ap);
  va_end (ap);
  if (line == NULL)
    len = 0;
  n = len < sizeof snippet - 1 ? len : sizeof snippet - 1;
  for (i = 0; i < n; i++)
    snippet[i] = (line[i] >= 0x20 && line[i] < 0x7f && line[i] != '"') ? line[i] : '?';
  snippet[n] = '\0';
  if (quote_value)
    snprintf (err->msg, sizeof err->msg, "a=%s: %s in \"%s%s\"", name, what, snippet,
              len > n ? "..." : "");
  else
    snprintf (err->msg, sizeof err->msg, "a=%s: %s", name, what);
  return -EBADMSG;
}

/* Strips "a=" and the line end; the rest is "name[:value]". */
static void
strip_line (const char **line, size_t *len)
{
  if (*len >= 2 && (*line)[0] == 'a' && (*line)[1] == '=')
    {
      *line += 2;
      *len -= 2;
    }
  while (*len > 0 && ((*line)[*len - 1] == '\n' || (*line)[*len - 1] == '\r'))
    (*len)--;
}

/* Splits on single spaces; an empty token (double, leading or trailing
 * space) or too many tokens is an error (returns -1). */
static int
split (const char *s, size_t len, token *toks, size_t max)
{
  size_t n = 0, start = 0, i;

  if (len == 0)
    return 0;
  for (i = 0; i <= len; i++)
    if (i == len || s[i] == ' ')
      {
        if (i == start || n == max)
          return -1;
        toks[n].p = s + start;
        toks[n].n = i - start;
        n++;
        start = i + 1;
      }
  return (int) n;
}

bool
ice_sdp_is_ice_chars (const char *s, size_t len, size_t min, size_t max)
{
  size_t i;

  if (len < min || len > max)
    return false;
  for (i = 0; i < len; i++)
    {
      char c = s[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '+' || c == '/'))
        return false;
    }
  return true;
}

static bool
parse_uint (token t, size_t max_digits, uint64_t max, uint64_t *out)
{
  uint64_t v = 0;
  size_t i;

  if (t.n == 0 || t.n > max_digits)
    return false;
  for (i = 0; i < t.n; i++)
    {
      if (t.p[i] < '0' || t.p[i] > '9')
        return false;
      v = v * 10 + (uint64_t) (t.p[i] - '0');
    }
  if (v > max)
    return false;
  *out = v;
  return true;
}

/* RFC 1035 host name: labels of letters, digits and hyphens. */
static bool
is_fqdn (token t)
{
  size_t i, label = 0;

  if (t.n == 0 || t.n > 253)
    return false;
  for (i = 0; i < t.n; i++)
    {
      char c = t.p[i];
      if (c == '.')
        {
          if (label == 0)
            return false;
          label = 0;
          continue;
        }
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '-'))
        return false;
      if (++label > 63)
        return false;
    }
  return label > 0;
}

/* IP literal -> *a; FQDN -> *fqdn = true, *a cleared. Anything else fails. */
static bool
parse_conn_addr (token t, ice_addr *a, bool *fqdn)
{
  char buf[64];

  *fqdn = false;
  memset (a, 0, sizeof *a);
  if (t.n < sizeof buf)
    {
      memcpy (buf, t.p, t.n);
      buf[t.n] = '\0';
      if (ice_addr_set (a, buf, 0) == 0)
        return true;
    }
  if (is_fqdn (t))
    {
      *fqdn = true;
      return true;
    }
  return false;
}

int
ice_sdp_parse_candidate (const char *line, size_t len, ice_cand *c, ice_sdp_error *err)
{
  const char *orig = line;
  size_t orig_len = len;
  token t[MAX_TOKENS];
  uint64_t v;
  bool fqdn, rel_fqdn = false, have_raddr = false, have_rport = false;
  int n, i;

#define BAD(...) fail (err, "candidate", orig, orig_len, true, __VA_ARGS__)
  memset (c, 0, sizeof *c);
  if (line == NULL)
    return BAD ("no line");
  strip_line (&line, &len);
  if (len < 10 || memcmp (line, "candidate:", 10) != 0)
    return BAD ("not a candidate line");
  line += 10;
  len -= 10;
  n = split (line, len, t, MAX_TOKENS);
  if (n < 0)
    return BAD ("stray or repeated space, or too many fields");
  if (n < 8)
    return BAD ("%d fields, at least 8 needed", n);
  if (!ice_sdp_is_ice_chars (t[0].p, t[0].n, 1, ICE_FOUNDATION_MAX))
    return BAD ("bad foundation");
  memcpy (c->foundation, t[0].p, t[0].n);
  c->foundation[t[0].n] = '\0';
  if (!parse_uint (t[1], 3, 256, &v) || v < 1)
    return BAD ("component must be 1..256");
  c->component = (uint16_t) v;
  if (tok_is_ci (t[2], "UDP"))
    c->transport = ICE_TRANSPORT_UDP;
  else if (tok_is_ci (t[2], "TCP"))
    {
      c->transport = ICE_TRANSPORT_TCP;
      c->unsupported = true;
    }
  else if (t[2].n > 0 && t[2].n <= 32)
    c->unsupported = true; /* transport-extension token */
  else
    return BAD ("bad transport");
  if (!parse_uint (t[3], 10, 0x7fffffffu, &v) || v < 1)
    return BAD ("priority must be 1..2^31-1");
  c->priority = (uint32_t) v;
  if (!parse_conn_addr (t[4], &c->addr, &fqdn))
    return BAD ("bad connection address");
  if (fqdn)
    c->unsupported = true;
  if (!parse_uint (t[5], 5, 65535, &v))
    return BAD ("bad port");
  c->addr.port = (uint16_t) v;
  if (!tok_is (t[6], "typ"))
    return BAD ("\"typ\" expected");
  if (tok_is (t[7], "host"))
    c->type = ICE_CAND_HOST;
  else if (tok_is (t[7], "srflx"))
    c->type = ICE_CAND_SRFLX;
  else if (tok_is (t[7], "prflx"))
    c->type = ICE_CAND_PRFLX;
  else if (tok_is (t[7], "relay"))
    c->type = ICE_CAND_RELAY;
  else
    c->unsupported = true; /* token: a type from a future extension */
  /* Name/value pairs: raddr, rport, tcptype, then any extension. */
  for (i = 8; i < n; i += 2)
    {
      if (i + 1 >= n)
        return BAD ("\"%.*s\" has no value", (int) (t[i].n > 20 ? 20 : t[i].n), t[i].p);
      if (tok_is (t[i], "raddr"))
        {
          if (have_raddr || !parse_conn_addr (t[i + 1], &c->rel_addr, &rel_fqdn))
            return BAD ("bad raddr");
          have_raddr = true;
        }
      else if (tok_is (t[i], "rport"))
        {
          if (have_rport || !parse_uint (t[i + 1], 5, 65535, &v))
            return BAD ("bad rport");
          c->rel_addr.port = (uint16_t) v;
          have_rport = true;
        }
      else if (tok_is (t[i], "tcptype"))
        {
          if (tok_is (t[i + 1], "active"))
            c->tcp_type = ICE_TCP_ACTIVE;
          else if (tok_is (t[i + 1], "passive"))
            c->tcp_type = ICE_TCP_PASSIVE;
          else if (tok_is (t[i + 1], "so"))
            c->tcp_type = ICE_TCP_SO;
          else
            return BAD ("bad tcptype");
        }
      else
        {
          /* cand-extension: extension-att-name SP extension-att-value,
           * both byte-strings (no NUL, CR or LF). */
          size_t k;
          for (k = 0; k < t[i].n; k++)
            if (t[i].p[k] == '\0' || t[i].p[k] == '\r' || t[i].p[k] == '\n')
              return BAD ("bad extension name");
          for (k = 0; k < t[i + 1].n; k++)
            if (t[i + 1].p[k] == '\0' || t[i + 1].p[k] == '\r' || t[i + 1].p[k] == '\n')
              return BAD ("bad extension value");
        }
    }
  if (have_raddr != have_rport)
    return BAD ("raddr and rport must come together");
  if (rel_fqdn)
    memset (&c->rel_addr, 0, sizeof c->rel_addr);
  if (c->transport == ICE_TRANSPORT_TCP && c->tcp_type == ICE_TCP_NONE)
    return BAD ("TCP candidate without tcptype");
  return 0;
#undef BAD
}

int
ice_sdp_format_candidate (const ice_cand *c, char *buf, size_t size)
{
  char ip[ICE_ADDR_STRLEN], rip[ICE_ADDR_STRLEN];
  static const char *const tcptypes[] = { "", "active", "passive", "so" };
  int n;

  if (!ice_sdp_is_ice_chars (c->foundation, strlen (c->foundation), 1, ICE_FOUNDATION_MAX)
      || c->component < 1 || c->component > 256 || c->addr.family == 0
      || c->transport == ICE_TRANSPORT_TLS || c->tcp_type > ICE_TCP_SO)
    return -EINVAL;
  ice_addr_ip_string (&c->addr, ip);
  n = snprintf (buf, size, "candidate:%s %u %s %u %s %u typ %s", c->foundation, c->component,
                c->transport == ICE_TRANSPORT_TCP ? "TCP" : "UDP", c->priority, ip,
                c->addr.port, ice_cand_type_name (c->type));
  if (n < 0 || (size_t) n >= size)
    return -ENOBUFS;
  if (c->rel_addr.family != 0)
    {
      int m = snprintf (buf + n, size - (size_t) n, " raddr %s rport %u",
                        ice_addr_ip_string (&c->rel_addr, rip), c->rel_addr.port);
      if (m < 0 || (size_t) m >= size - (size_t) n)
        return -ENOBUFS;
      n += m;
    }
  if (c->transport == ICE_TRANSPORT_TCP)
    {
      int m = snprintf (buf + n, size - (size_t) n, " tcptype %s",
                        tcptypes[c->tcp_type == ICE_TCP_NONE ? ICE_TCP_PASSIVE : c->tcp_type]);
      if (m < 0 || (size_t) m >= size - (size_t) n)
        return -ENOBUFS;
      n += m;
    }
  return n;
}

static int
parse_remote_candidates (const char *orig, size_t orig_len, const char *v, size_t vlen,
                         ice_sdp_ice *ice, ice_sdp_error *err)
{
  token t[3 * ICE_SDP_MAX_REMOTE];
  uint64_t num;
  bool fqdn;
  int n, i;

#define BAD(...) fail (err, "remote-candidates", orig, orig_len, true, __VA_ARGS__)
  n = split (v, vlen, t, 3 * ICE_SDP_MAX_REMOTE);
  if (n <= 0 || n % 3 != 0)
    return BAD ("expected triples of component, address, port (at most %d)", ICE_SDP_MAX_REMOTE);
  ice->n_remote = 0;
  for (i = 0; i < n; i += 3)
    {
      ice_sdp_remote_cand *r = &ice->remote[ice->n_remote];
      if (!parse_uint (t[i], 3, 256, &num) || num < 1)
        return BAD ("component must be 1..256");
      r->component = (uint16_t) num;
      if (!parse_conn_addr (t[i + 1], &r->addr, &fqdn) || fqdn)
        return BAD ("bad address");
      if (!parse_uint (t[i + 2], 5, 65535, &num))
        return BAD ("bad port");
      r->addr.port = (uint16_t) num;
      ice->n_remote++;
    }
  return 1;
#undef BAD
}

int
ice_sdp_parse_line (const char *line, size_t len, ice_sdp_ice *ice, ice_sdp_error *err)
{
  const char *orig = line, *colon, *v;
  size_t orig_len = len, name_len, vlen;
  token name;

  if (line == NULL)
    return 0;
  strip_line (&line, &len);
  colon = len ? memchr (line, ':', len) : NULL;
  name_len = colon ? (size_t) (colon - line) : len;
  v = colon ? colon + 1 : NULL;
  vlen = colon ? len - name_len - 1 : 0;
  name.p = line;
  name.n = name_len;

  if (tok_is (name, "ice-ufrag") || tok_is (name, "ice-pwd"))
    {
      bool is_pwd = name.n == 7;
      const char *nm = is_pwd ? "ice-pwd" : "ice-ufrag";
      if (!colon)
        return fail (err, nm, orig, orig_len, !is_pwd, "value missing");
      if (!ice_sdp_is_ice_chars (v, vlen, is_pwd ? 22 : 4, 256))
        return fail (err, nm, orig, orig_len, !is_pwd, "must be %s..256 ice-chars",
                     is_pwd ? "22" : "4");
      memcpy (is_pwd ? ice->pwd : ice->ufrag, v, vlen);
      (is_pwd ? ice->pwd : ice->ufrag)[vlen] = '\0';
      return 1;
    }
  if (tok_is (name, "ice-options"))
    {
      token t[MAX_TOKENS];
      int n, i;
      if (!colon)
        return fail (err, "ice-options", orig, orig_len, true, "value missing");
      n = split (v, vlen, t, MAX_TOKENS);
      if (n <= 0)
        return fail (err, "ice-options", orig, orig_len, true, "no option, or stray space");
      for (i = 0; i < n; i++)
        {
          if (!ice_sdp_is_ice_chars (t[i].p, t[i].n, 1, 256))
            return fail (err, "ice-options", orig, orig_len, true, "bad option tag");
          if (tok_is (t[i], "trickle"))
            ice->options |= ICE_OPT_TRICKLE;
          else if (tok_is (t[i], "ice2"))
            ice->options |= ICE_OPT_ICE2;
          /* Unknown options are ignored (RFC 8839 §5.6). */
        }
      return 1;
    }
  if (tok_is (name, "ice-lite") || tok_is (name, "ice-mismatch")
      || tok_is (name, "end-of-candidates"))
    {
      char nm[24];
      snprintf (nm, sizeof nm, "%.*s", (int) name.n, name.p);
      if (colon)
        return fail (err, nm, orig, orig_len, true, "takes no value");
      if (name.n == 8)
        ice->lite = true;
      else if (name.n == 12)
        ice->mismatch = true;
      else
        ice->end_of_candidates = true;
      return 1;
    }
  if (tok_is (name, "remote-candidates"))
    {
      if (!colon)
        return fail (err, "remote-candidates", orig, orig_len, true, "value missing");
      return parse_remote_candidates (orig, orig_len, v, vlen, ice, err);
    }
  return 0;
}

/* Appends printf output; returns false when it does not fit. */
static bool
append (char *buf, size_t size, size_t *pos, const char *fmt, ...)
{
  va_list ap;
  int n;

  if (*pos >= size)
    return false;
  va_start (ap, fmt);
  n = vsnprintf (buf + *pos, size - *pos, fmt, ap);
  va_end (ap);
  if (n < 0 || (size_t) n >= size - *pos)
    return false;
  *pos += (size_t) n;
  return true;
}

int
ice_sdp_format_remote_candidates (const ice_sdp_remote_cand *r, size_t n, char *buf, size_t size)
{
  char ip[ICE_ADDR_STRLEN];
  size_t pos = 0, i;

  if (n == 0 || n > ICE_SDP_MAX_REMOTE)
    return -EINVAL;
  if (!append (buf, size, &pos, "remote-candidates:"))
    return -ENOBUFS;
  for (i = 0; i < n; i++)
    if (!append (buf, size, &pos, "%s%u %s %u", i ? " " : "", r[i].component,
                 ice_addr_ip_string (&r[i].addr, ip), r[i].addr.port))
      return -ENOBUFS;
  return (int) pos;
}

int
ice_sdp_format_lines (const ice_sdp_ice *ice, char *buf, size_t size)
{
  size_t pos = 0;

  if (size > 0)
    buf[0] = '\0';
  if (ice->lite && !append (buf, size, &pos, "a=ice-lite\r\n"))
    return -ENOBUFS;
  if (ice->options)
    {
      bool ok = append (buf, size, &pos, "a=ice-options:");
      ok = ok && (!(ice->options & ICE_OPT_TRICKLE) || append (buf, size, &pos, "trickle"));
      ok = ok && (!(ice->options & ICE_OPT_ICE2)
                  || append (buf, size, &pos, "%sice2",
                             (ice->options & ICE_OPT_TRICKLE) ? " " : ""));
      if (!ok || !append (buf, size, &pos, "\r\n"))
        return -ENOBUFS;
    }
  if (ice->ufrag[0] && !append (buf, size, &pos, "a=ice-ufrag:%s\r\n", ice->ufrag))
    return -ENOBUFS;
  if (ice->pwd[0] && !append (buf, size, &pos, "a=ice-pwd:%s\r\n", ice->pwd))
    return -ENOBUFS;
  if (ice->mismatch && !append (buf, size, &pos, "a=ice-mismatch\r\n"))
    return -ENOBUFS;
  if (ice->n_remote > 0)
    {
      int n;
      if (!append (buf, size, &pos, "a="))
        return -ENOBUFS;
      n = ice_sdp_format_remote_candidates (ice->remote, ice->n_remote, buf + pos, size - pos);
      if (n < 0)
        return n;
      pos += (size_t) n;
      if (!append (buf, size, &pos, "\r\n"))
        return -ENOBUFS;
    }
  if (ice->end_of_candidates && !append (buf, size, &pos, "a=end-of-candidates\r\n"))
    return -ENOBUFS;
  return (int) pos;
}
