/* STUN messages (RFC 8489, compatible with RFC 5389): a writer that builds
 * into a caller-owned buffer and a parser that validates a received message
 * and indexes its attributes without copying.  Also the credential helpers
 * (short-term and long-term keys, USERHASH) and the TURN/ICE attribute
 * types.  No I/O, no allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define ICE_STUN_MAGIC_COOKIE 0x2112A442u
#define ICE_STUN_HEADER_LEN 20
#define ICE_STUN_ATTR_HEADER_LEN 4
#define ICE_STUN_TXID_LEN 12
/* Largest message we read or write: the 16-bit length field plus header. */
#define ICE_STUN_MAX_MSG_LEN (ICE_STUN_HEADER_LEN + 0xFFFF)
/* The parser indexes at most this many attributes; a message with more is
 * rejected as malformed (no legitimate STUN/TURN message comes close). */
#define ICE_STUN_MAX_ATTRS 64

/* Methods (12 bits). */
enum
{
  ICE_STUN_METHOD_BINDING = 0x001,
  ICE_STUN_METHOD_ALLOCATE = 0x003,          /* RFC 8656 */
  ICE_STUN_METHOD_REFRESH = 0x004,
  ICE_STUN_METHOD_SEND = 0x006,
  ICE_STUN_METHOD_DATA = 0x007,
  ICE_STUN_METHOD_CREATE_PERMISSION = 0x008,
  ICE_STUN_METHOD_CHANNEL_BIND = 0x009,
};

/* Classes (2 bits, C1C0). */
enum
{
  ICE_STUN_CLASS_REQUEST = 0,
  ICE_STUN_CLASS_INDICATION = 1,
  ICE_STUN_CLASS_SUCCESS = 2,
  ICE_STUN_CLASS_ERROR = 3,
};

/* Attribute types.  0x0000-0x7FFF are comprehension-required. */
enum
{
  ICE_STUN_ATTR_MAPPED_ADDRESS = 0x0001,
  ICE_STUN_ATTR_USERNAME = 0x0006,
  ICE_STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
  ICE_STUN_ATTR_ERROR_CODE = 0x0009,
  ICE_STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
  ICE_STUN_ATTR_CHANNEL_NUMBER = 0x000C,      /* RFC 8656 */
  ICE_STUN_ATTR_LIFETIME = 0x000D,
  ICE_STUN_ATTR_XOR_PEER_ADDRESS = 0x0012,
  ICE_STUN_ATTR_DATA = 0x0013,
  ICE_STUN_ATTR_REALM = 0x0014,
  ICE_STUN_ATTR_NONCE = 0x0015,
  ICE_STUN_ATTR_XOR_RELAYED_ADDRESS = 0x0016,
  ICE_STUN_ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017, /* RFC 6156 / 8656 */
  ICE_STUN_ATTR_EVEN_PORT = 0x0018,
  ICE_STUN_ATTR_REQUESTED_TRANSPORT = 0x0019,
  ICE_STUN_ATTR_DONT_FRAGMENT = 0x001A,
  ICE_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
  ICE_STUN_ATTR_PASSWORD_ALGORITHM = 0x001D,
  ICE_STUN_ATTR_USERHASH = 0x001E,
  ICE_STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
  ICE_STUN_ATTR_RESERVATION_TOKEN = 0x0022,
  ICE_STUN_ATTR_PRIORITY = 0x0024,            /* RFC 8445 */
  ICE_STUN_ATTR_USE_CANDIDATE = 0x0025,
  /* comprehension-optional */
  ICE_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY = 0x8000, /* RFC 8656 */
  ICE_STUN_ATTR_ADDRESS_ERROR_CODE = 0x8001,
  ICE_STUN_ATTR_PASSWORD_ALGORITHMS = 0x8002,
  ICE_STUN_ATTR_ALTERNATE_DOMAIN = 0x8003,
  ICE_STUN_ATTR_ICMP = 0x8004,
  ICE_STUN_ATTR_SOFTWARE = 0x8022,
  ICE_STUN_ATTR_ALTERNATE_SERVER = 0x8023,
  ICE_STUN_ATTR_FINGERPRINT = 0x8028,
  ICE_STUN_ATTR_ICE_CONTROLLED = 0x8029,
  ICE_STUN_ATTR_ICE_CONTROLLING = 0x802A,
  ICE_STUN_ATTR_RESPONSE_ORIGIN = 0x802B,     /* RFC 5780 */
  ICE_STUN_ATTR_OTHER_ADDRESS = 0x802C,
};

/* PASSWORD-ALGORITHM(S) values (RFC 8489 section 18.5). */
enum
{
  ICE_STUN_PASSWORD_ALG_MD5 = 0x0001,
  ICE_STUN_PASSWORD_ALG_SHA256 = 0x0002,
};

/* Error codes the ICE/TURN code reacts to. */
enum
{
  ICE_STUN_ERR_TRY_ALTERNATE = 300,
  ICE_STUN_ERR_BAD_REQUEST = 400,
  ICE_STUN_ERR_UNAUTHENTICATED = 401,
  ICE_STUN_ERR_FORBIDDEN = 403,
  ICE_STUN_ERR_MOBILITY_FORBIDDEN = 405,
  ICE_STUN_ERR_UNKNOWN_ATTRIBUTE = 420,
  ICE_STUN_ERR_ALLOCATION_MISMATCH = 437,
  ICE_STUN_ERR_STALE_NONCE = 438,
  ICE_STUN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED = 440,
  ICE_STUN_ERR_WRONG_CREDENTIALS = 441,
  ICE_STUN_ERR_UNSUPPORTED_TRANSPORT = 442,
  ICE_STUN_ERR_PEER_ADDRESS_FAMILY_MISMATCH = 443,
  ICE_STUN_ERR_ALLOCATION_QUOTA = 486,
  ICE_STUN_ERR_ROLE_CONFLICT = 487,
  ICE_STUN_ERR_SERVER_ERROR = 500,
  ICE_STUN_ERR_INSUFFICIENT_CAPACITY = 508,
};

/* TURN REQUESTED-TRANSPORT protocol numbers and address families
 * (REQUESTED-ADDRESS-FAMILY / ADDITIONAL-ADDRESS-FAMILY values). */
#define ICE_STUN_TRANSPORT_UDP 17
#define ICE_STUN_TRANSPORT_TCP 6
#define ICE_STUN_FAMILY_IPV4 0x01
#define ICE_STUN_FAMILY_IPV6 0x02

typedef struct
{
  uint8_t b[ICE_STUN_TXID_LEN];
} ice_stun_txid;

/* A fresh transaction ID from OpenSSL's RAND_bytes.  Returns 0 or -EIO. */
int ice_stun_txid_new (ice_stun_txid *txid);
bool ice_stun_txid_equal (const ice_stun_txid *a, const ice_stun_txid *b);

/* The 16-bit message type from method and class, and back. */
uint16_t ice_stun_msg_type (uint16_t method, uint8_t cls);
uint16_t ice_stun_type_method (uint16_t type);
uint8_t ice_stun_type_class (uint16_t type);

/* Debug names; never NULL ("unknown" for types we do not know). */
const char *ice_stun_method_name (uint16_t method);
const char *ice_stun_class_name (uint8_t cls);
const char *ice_stun_attr_name (uint16_t type);
/* The RFC reason phrase for an error code ("Unauthenticated"...), or
 * "Error" for codes without one. */
const char *ice_stun_error_reason (int code);

/* True if the attribute type is one this codec knows (used for the 420
 * check: unknown types in 0x0000-0x7FFF are comprehension-required). */
bool ice_stun_attr_is_known (uint16_t type);

/* ----------------------------------------------------------- demultiplexing */

/* Quick test for demultiplexing a datagram (RFC 7983 first byte 0..3, the
 * magic cookie, a length multiple of 4 that matches len exactly).  Does not
 * validate the attributes: ice_stun_msg_parse does. */
bool ice_stun_is_message (const uint8_t *data, size_t len);

/* Framing on stream transports: given at least the first 4 bytes of a STUN
 * message, the total length of the message (header included).  Returns
 * -EAGAIN if fewer than 4 bytes are available, -EBADMSG if the bytes cannot
 * start a STUN message (top two bits set, length not a multiple of 4, or a
 * wrong magic cookie once 8 bytes are there). */
int ice_stun_frame_length (const uint8_t *data, size_t len);

/* ----------------------------------------------------------------- writing */

typedef struct
{
  uint8_t *buf;
  size_t cap;
  size_t len;      /* bytes written so far, header included */
  int err;         /* first error, sticky; 0 while fine */
  bool has_integrity;        /* MESSAGE-INTEGRITY written */
  bool has_integrity_sha256; /* MESSAGE-INTEGRITY-SHA256 written */
  bool has_fingerprint;      /* FINGERPRINT written: nothing may follow */
} ice_stun_writer;

/* Starts a message in buf (cap bytes).  txid may be NULL for a fresh random
 * one (read it back with ice_stun_writer_txid).  An error (cap < 20,
 * RAND_bytes failure, method > 0xFFF or class > 3) is kept in w->err and
 * returned by every later call. */
void ice_stun_writer_init (ice_stun_writer *w, uint8_t *buf, size_t cap,
                           uint16_t method, uint8_t cls,
                           const ice_stun_txid *txid);
/* Starts a response (SUCCESS or ERROR class) to a parsed request: same
 * method, same transaction ID. */
struct ice_stun_msg;
void ice_stun_writer_init_response (ice_stun_writer *w, uint8_t *buf,
                                    size_t cap,
                                    const struct ice_stun_msg *request,
                                    uint8_t cls);
void ice_stun_writer_txid (const ice_stun_writer *w, ice_stun_txid *out);

/* Each add returns 0 or a negative error (-ENOBUFS when the buffer is full,
 * -EINVAL for a bad argument or an attribute after FINGERPRINT); the first
 * error also sticks in w->err.  Values are padded to 4 bytes with zeros. */
int ice_stun_add_bytes (ice_stun_writer *w, uint16_t type, const void *value,
                        size_t len);
int ice_stun_add_string (ice_stun_writer *w, uint16_t type, const char *s);
int ice_stun_add_empty (ice_stun_writer *w, uint16_t type);
int ice_stun_add_u32 (ice_stun_writer *w, uint16_t type, uint32_t v);
int ice_stun_add_u64 (ice_stun_writer *w, uint16_t type, uint64_t v);
/* MAPPED-ADDRESS style (also ALTERNATE-SERVER, RESPONSE-ORIGIN...). */
int ice_stun_add_addr (ice_stun_writer *w, uint16_t type, const ice_addr *a);
/* XOR-MAPPED-ADDRESS style (also XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS). */
int ice_stun_add_xor_addr (ice_stun_writer *w, uint16_t type,
                           const ice_addr *a);
/* ERROR-CODE: code 300..699; reason NULL means ice_stun_error_reason(code). */
int ice_stun_add_error (ice_stun_writer *w, int code, const char *reason);
int ice_stun_add_unknown_attrs (ice_stun_writer *w, const uint16_t *types,
                                size_t n);
/* PASSWORD-ALGORITHM (one) and PASSWORD-ALGORITHMS (list), no parameters. */
int ice_stun_add_password_algorithm (ice_stun_writer *w, uint16_t alg);
int ice_stun_add_password_algorithms (ice_stun_writer *w,
                                      const uint16_t *algs, size_t n);
/* TURN conveniences. */
int ice_stun_add_channel_number (ice_stun_writer *w, uint16_t channel);
int ice_stun_add_requested_transport (ice_stun_writer *w, uint8_t proto);
/* family is AF_INET or AF_INET6; type is REQUESTED- or
 * ADDITIONAL-ADDRESS-FAMILY. */
int ice_stun_add_address_family (ice_stun_writer *w, uint16_t type,
                                 int family);
int ice_stun_add_even_port (ice_stun_writer *w, bool reserve_next);

/* MESSAGE-INTEGRITY (HMAC-SHA1) and MESSAGE-INTEGRITY-SHA256 (full 32
 * bytes) over the message so far, with the header length covering the
 * attribute being added.  key is the short-term password or a long-term
 * key from ice_stun_key_long_term_*. */
int ice_stun_add_integrity (ice_stun_writer *w, const void *key,
                            size_t keylen);
int ice_stun_add_integrity_sha256 (ice_stun_writer *w, const void *key,
                                   size_t keylen);
int ice_stun_add_fingerprint (ice_stun_writer *w);

/* Returns the message length (header included), or the sticky error. */
int ice_stun_writer_finish (ice_stun_writer *w);

/* ----------------------------------------------------------------- reading */

typedef struct
{
  uint16_t type;
  uint16_t len;         /* value length, without padding */
  const uint8_t *value; /* points into the parsed buffer */
  uint32_t offset;      /* of the attribute header from the message start */
} ice_stun_attr;

typedef struct ice_stun_msg
{
  const uint8_t *data; /* the buffer given to parse; not copied */
  size_t len;
  uint16_t type;
  uint16_t method;
  uint8_t cls;
  ice_stun_txid txid;
  /* Attributes in order.  Attributes after MESSAGE-INTEGRITY other than
   * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT (and after
   * MESSAGE-INTEGRITY-SHA256 other than FINGERPRINT) are not indexed:
   * RFC 8489 says to ignore them. */
  size_t n_attrs;
  ice_stun_attr attrs[ICE_STUN_MAX_ATTRS];
  int integrity_idx;        /* index in attrs, or -1 */
  int integrity_sha256_idx; /* index in attrs, or -1 */
  int fingerprint_idx;      /* index in attrs, or -1; verified by parse */
} ice_stun_msg;

/* Parses and validates len bytes: header (top bits zero, magic cookie,
 * length a multiple of 4 and equal to len - 20), every attribute length
 * and its padding, MESSAGE-INTEGRITY(-SHA256) value sizes, FINGERPRINT
 * last and its CRC correct.  msg points into data, which must outlive it.
 * Returns 0 or -EBADMSG.  Integrity needs the key: see
 * ice_stun_msg_check_integrity. */
int ice_stun_msg_parse (const uint8_t *data, size_t len, ice_stun_msg *msg);

/* The first indexed attribute of that type, or NULL. */
const ice_stun_attr *ice_stun_msg_find (const ice_stun_msg *msg,
                                        uint16_t type);
bool ice_stun_msg_has (const ice_stun_msg *msg, uint16_t type);

/* Typed getters: 0 on success, -ENOENT if absent, -EBADMSG if the value is
 * malformed for that type. */
int ice_stun_msg_get_addr (const ice_stun_msg *msg, uint16_t type,
                           ice_addr *out);
int ice_stun_msg_get_xor_addr (const ice_stun_msg *msg, uint16_t type,
                               ice_addr *out);
int ice_stun_msg_get_u32 (const ice_stun_msg *msg, uint16_t type,
                          uint32_t *out);
int ice_stun_msg_get_u64 (const ice_stun_msg *msg, uint16_t type,
                          uint64_t *out);
int ice_stun_msg_get_bytes (const ice_stun_msg *msg, uint16_t type,
                            const uint8_t **value, size_t *len);
/* Copies a text attribute (USERNAME, REALM, NONCE, SOFTWARE...) and NUL
 * terminates it.  Returns its length, -ENOENT, or -ENOBUFS if cap is too
 * small (cap must leave room for the NUL). */
int ice_stun_msg_get_string (const ice_stun_msg *msg, uint16_t type,
                             char *buf, size_t cap);
/* ERROR-CODE: *code is 300..699; reason (may be NULL) receives the reason
 * phrase, truncated to fit and NUL-terminated. */
int ice_stun_msg_get_error (const ice_stun_msg *msg, int *code,
                            char *reason, size_t reason_cap);
/* UNKNOWN-ATTRIBUTES / PASSWORD-ALGORITHMS: number of entries found (up to
 * max stored), or -ENOENT/-EBADMSG. */
int ice_stun_msg_get_unknown_attrs (const ice_stun_msg *msg, uint16_t *types,
                                    size_t max);
int ice_stun_msg_get_password_algorithms (const ice_stun_msg *msg,
                                          uint16_t *algs, size_t max);
int ice_stun_msg_get_password_algorithm (const ice_stun_msg *msg,
                                         uint16_t *alg);
/* TURN conveniences. */
int ice_stun_msg_get_channel_number (const ice_stun_msg *msg,
                                     uint16_t *channel);
/* *family receives AF_INET or AF_INET6. */
int ice_stun_msg_get_address_family (const ice_stun_msg *msg, uint16_t type,
                                     int *family);

/* Comprehension-required attribute types (0x0000-0x7FFF) in msg that this
 * codec does not know, for a 420 response.  Returns how many there are
 * (stores up to max in out, which may be NULL when max is 0). */
int ice_stun_msg_unknown_required (const ice_stun_msg *msg, uint16_t *out,
                                   size_t max);

/* ---------------------------------------------------------- authentication */

/* Verify MESSAGE-INTEGRITY (HMAC-SHA1) or MESSAGE-INTEGRITY-SHA256 with key.
 * Return 0 if it matches, -ENOENT if the message has no such attribute,
 * -EACCES if it does not match. */
int ice_stun_msg_check_integrity (const ice_stun_msg *msg, const void *key,
                                  size_t keylen);
int ice_stun_msg_check_integrity_sha256 (const ice_stun_msg *msg,
                                         const void *key, size_t keylen);
/* Either one: MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY. */
int ice_stun_msg_check_auth (const ice_stun_msg *msg, const void *key,
                             size_t keylen);

/* The FINGERPRINT value for the first len bytes of a message whose header
 * length already covers the FINGERPRINT attribute: CRC-32 ^ 0x5354554e. */
uint32_t ice_stun_fingerprint (const uint8_t *data, size_t len);

#define ICE_STUN_KEY_MD5_LEN 16
#define ICE_STUN_KEY_SHA256_LEN 32
#define ICE_STUN_USERHASH_LEN 32

/* Long-term keys: MD5 / SHA-256 of "username:realm:password".  The strings
 * are used as given (the caller applies OpaqueString preparation if it
 * needs it; ASCII credentials need none).  Return 0 or -EIO. */
int ice_stun_key_long_term_md5 (const char *username, const char *realm,
                                const char *password,
                                uint8_t out[ICE_STUN_KEY_MD5_LEN]);
int ice_stun_key_long_term_sha256 (const char *username, const char *realm,
                                   const char *password,
                                   uint8_t out[ICE_STUN_KEY_SHA256_LEN]);
/* USERHASH = SHA-256("username:realm").  Returns 0 or -EIO. */
int ice_stun_userhash (const char *username, const char *realm,
                       uint8_t out[ICE_STUN_USERHASH_LEN]);
