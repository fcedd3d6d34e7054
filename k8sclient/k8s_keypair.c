/* k8s_keypair: does a client key belong to its certificate (see k8s_keypair.h). */
#include "k8s_keypair.h"

#include <limits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* Never asks for a passphrase: an encrypted key fails to load. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static BIO *pem_bio(const char *pem, size_t len)
{
    return len <= INT_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
}

enum k8s_status k8s_keypair_check(const char *cert_pem, size_t cert_len, const char *key_pem,
                                  size_t key_len, struct k8s_error *err)
{
    enum k8s_status st = K8S_ENOMEM;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    BIO *cb = pem_bio(cert_pem, cert_len);
    BIO *kb = pem_bio(key_pem, key_len);
    if (!cb || !kb) {
        k8s_error_set(err, st, "out of memory checking the client certificate");
        goto done;
    }
    st = K8S_ECONFIG;
    cert = PEM_read_bio_X509(cb, NULL, no_passphrase, NULL);
    if (!cert) {
        k8s_error_set(err, st, "client-certificate holds no readable PEM certificate");
        goto done;
    }
    key = PEM_read_bio_PrivateKey(kb, NULL, no_passphrase, NULL);
    if (!key) {
        k8s_error_set(err, st,
                      "client-key holds no readable PEM private key (encrypted keys are refused)");
        goto done;
    }
    if (X509_check_private_key(cert, key) != 1) {
        k8s_error_set(err, st, "client-key does not match the public key of client-certificate");
        goto done;
    }
    st = K8S_OK;
done:
    EVP_PKEY_free(key);
    X509_free(cert);
    BIO_free(kb);
    BIO_free(cb);
    ERR_clear_error();
    return st;
}
