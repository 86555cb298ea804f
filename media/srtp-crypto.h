/* libsrtp2's AES-CM-128 and HMAC-SHA1 transforms computed by OpenSSL's
 * libcrypto rather than by the crypto libsrtp2 was built with (NSS on
 * Debian). Private to media/: srtp.c installs them. */
#pragma once

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

extern const srtp_cipher_type_t media_srtp_aes_icm_128;
extern const srtp_auth_type_t media_srtp_hmac_sha1;

/* Call after srtp_init(): sessions created afterwards use these two.
 * Returns 0, -ENOTSUP (libcrypto offers no AES-128-CTR or HMAC) or -EIO
 * (a known-answer test failed); on failure libsrtp2 keeps its own. */
int media_srtp_crypto_install (void);
