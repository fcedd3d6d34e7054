// Command etcd runs a single-member etcd server on loopback for the test
// control plane. It listens for clients on an ephemeral port (or the one it
// is given) and writes the client URL it bound to a file once the server is
// ready, so the caller never has to guess a free port.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	dataDir := flag.String("data-dir", "", "directory for etcd's data (required)")
	listen := flag.String("listen", "127.0.0.1:0", "host:port for clients (port 0 picks a free one)")
	urlFile := flag.String("url-file", "", "file that receives the client URL once etcd is ready")
	flag.Parse()
	if *dataDir == "" {
		log.Fatal("etcd: --data-dir is required")
	}

	cfg := embed.NewConfig()
	cfg.Name = "prewarm-test"
	cfg.Dir = *dataDir
	cfg.LogLevel = "warn"
	client := url.URL{Scheme: "http", Host: *listen}
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	// A single member never dials its peers: the peer listener takes a free
	// port, and the advertised peer URL only has to match the initial cluster.
	cfg.ListenPeerUrls = []url.URL{{Scheme: "http", Host: "127.0.0.1:0"}}
	peer := url.URL{Scheme: "http", Host: "127.0.0.1:1"}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	cfg.QuotaBackendBytes = 512 << 20
	cfg.UnsafeNoFsync = true // test data: a crash loses nothing worth keeping

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		log.Fatalf("etcd: start: %v", err)
	}
	defer e.Close()

	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		e.Server.Stop()
		log.Fatal("etcd: not ready after 60 s")
	}
	got := "http://" + e.Clients[0].Addr().String()
	if *urlFile != "" {
		tmp := *urlFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(got+"\n"), 0o644); err != nil {
			log.Fatalf("etcd: %v", err)
		}
		if err := os.Rename(tmp, *urlFile); err != nil {
			log.Fatalf("etcd: %v", err)
		}
	}
	fmt.Fprintf(os.Stderr, "etcd: ready at %s\n", got)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sig:
		fmt.Fprintf(os.Stderr, "etcd: %v, stopping\n", s)
	case err := <-e.Err():
		log.Fatalf("etcd: %v", err)
	}
}
