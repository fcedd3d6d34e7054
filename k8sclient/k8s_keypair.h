/*
 * k8s_keypair: checks that a client certificate and its private key (PEM)
 * belong together before any connection uses them.
 *
 * client-go builds its transport with tls.X509KeyPair, so a kubeconfig whose
 * client-key does not match its client-certificate fails when the client is
 * configured ("tls: private key does not match public key"), not at the
 * first request. k8s_config does the same with this check, so such a
 * kubeconfig is a configuration error that names the user entry instead of
 * a TLS failure deep in the transport.
 *
 * The certificate input may hold a chain: the first certificate is the
 * client's. The key may be PKCS#8, PKCS#1 (RSA) or SEC1 (EC); an encrypted
 * key is refused (kubeconfig keys are never encrypted, and nothing may
 * prompt for a passphrase). OpenSSL's error queue is left empty.
 *
 * No allocation survives the call; no global state. Callers: k8s_config.
 */
#ifndef K8S_KEYPAIR_H
#define K8S_KEYPAIR_H

#include <stddef.h>

#include "k8s_error.h"

/*
 * K8S_OK when key_pem's private key is the one of cert_pem's first
 * certificate. K8S_ECONFIG with a sentence in err->message when either input
 * holds no PEM block of its kind, cannot be parsed, or the two do not match;
 * K8S_ENOMEM when OpenSSL cannot allocate.
 */
enum k8s_status k8s_keypair_check(const char *cert_pem, size_t cert_len, const char *key_pem,
                                  size_t key_len, struct k8s_error *err);

#endif
