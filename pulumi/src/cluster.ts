// A Kubernetes provider for the stack's existing GKE cluster, authenticated
// with gke-gcloud-auth-plugin (as `gcloud container clusters get-credentials`
// sets up).
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Settings } from "./settings";

export function kubeconfig(name: string, endpoint: string, caCertificate: string): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster: { server: `https://${endpoint}`, "certificate-authority-data": caCertificate } }],
        contexts: [{ name, context: { cluster: name, user: name } }],
        "current-context": name,
        users: [{
            name,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "gke-gcloud-auth-plugin",
                    provideClusterInfo: true,
                    interactiveMode: "Never",
                },
            },
        }],
    });
}

export function clusterProvider(s: Settings): k8s.Provider {
    const cluster = gcp.container.getClusterOutput({ name: s.cluster, location: s.location, project: s.project });
    const config = pulumi.all([cluster.endpoint, cluster.masterAuths]).apply(([endpoint, auths]) =>
        kubeconfig(`gke_${s.cluster}`, endpoint, auths[0].clusterCaCertificate));
    return new k8s.Provider("gke", { kubeconfig: config, enableServerSideApply: true });
}
