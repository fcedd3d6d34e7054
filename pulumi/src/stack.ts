// The whole stack: the node pools first, then prewarm's objects on the
// cluster (they wait for the node pools, so the first warm pods have nodes).
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { clusterProvider } from "./cluster";
import { customize, renderOverlay } from "./manifests";
import { nodePool } from "./nodepools";
import { Settings } from "./settings";

export interface Stack {
    nodePools: gcp.container.NodePool[];
    workloads: k8s.yaml.ConfigGroup;
    secrets: k8s.core.v1.Secret[];
}

// The two Secrets the manifests name but never carry: prewarm-secrets
// (mounted by prewarmd: API tokens and the connect-token key) and
// prewarm-connect-key (the same key, for the warm pods). Their values stay
// secret in the stack's state.
function credentials(s: Settings, opts: pulumi.CustomResourceOptions): k8s.core.v1.Secret[] {
    return [
        new k8s.core.v1.Secret("prewarm-secrets", {
            metadata: { name: "prewarm-secrets", namespace: "prewarm-system" },
            stringData: { "connect-key": s.connectKey, tokens: s.apiTokens },
        }, opts),
        new k8s.core.v1.Secret("prewarm-connect-key", {
            metadata: { name: "prewarm-connect-key", namespace: "prewarm-sessions" },
            stringData: { "connect-key": s.connectKey },
        }, opts),
    ];
}

export function deployPrewarm(s: Settings): Stack {
    const nodePools = s.pools.map((p) => nodePool(s, p));
    const provider = clusterProvider(s);
    const objs = customize(renderOverlay(s.overlay), s);
    const workloads = new k8s.yaml.ConfigGroup("prewarm", { objs }, { provider, dependsOn: nodePools });
    const secrets = credentials(s, { provider, dependsOn: [workloads] });
    return { nodePools, workloads, secrets };
}
