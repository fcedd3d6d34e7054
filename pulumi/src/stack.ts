// The whole stack: the node pools first, then prewarm's objects on the
// cluster (they wait for the node pools, so the first warm pods have nodes).
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import { clusterProvider } from "./cluster";
import { customize, renderOverlay } from "./manifests";
import { nodePool } from "./nodepools";
import { Settings } from "./settings";

export interface Stack {
    nodePools: gcp.container.NodePool[];
    workloads: k8s.yaml.ConfigGroup;
}

export function deployPrewarm(s: Settings): Stack {
    const nodePools = s.pools.map((p) => nodePool(s, p));
    const provider = clusterProvider(s);
    const objs = customize(renderOverlay(s.overlay), s);
    const workloads = new k8s.yaml.ConfigGroup("prewarm", { objs }, { provider, dependsOn: nodePools });
    return { nodePools, workloads };
}
