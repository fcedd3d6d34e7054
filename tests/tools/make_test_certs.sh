#!/bin/sh
# Writes throwaway TLS material for the TLS tests into DIR (made at test time,
# never committed): a CA (ca.crt), two server certificates for 127.0.0.1 and
# localhost signed by it with distinct serials (server1.* serial 1001,
# server2.* serial 1002; server.crt/.key are copies of server1, which tests
# overwrite to see a reload), a key matching neither (wrong.key), and a
# client CA with one client certificate (client-ca.crt, client.crt/.key).
# Keys are P-256; certificates are valid for 2 days.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
req() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "$@" 2>/dev/null; }
sign() { # name ca serial [extfile]
    openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -set_serial "$3" -days 2 \
        ${4:+-extfile "$4"} -out "$1.crt" 2>/dev/null
    rm -f "$1.csr"
}
for ca in ca client-ca; do
    req -x509 -keyout "$ca.key" -out "$ca.crt" -subj "/CN=prewarm test $ca" -days 2
done
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
printf 'extendedKeyUsage=clientAuth\n' >client.ext
for n in 1 2; do
    req -keyout "server$n.key" -out "server$n.csr" -subj /CN=localhost
    sign "server$n" ca "0x100$n" server.ext
done
req -keyout client.key -out client.csr -subj /CN=test-client
sign client client-ca 0x2001 client.ext
req -keyout wrong.key -out wrong.csr -subj /CN=wrong
rm -f wrong.csr
cp server1.crt server.crt
cp server1.key server.key
# The chain file some clients want: leaf then CA.
cat server1.crt ca.crt >chain.crt
