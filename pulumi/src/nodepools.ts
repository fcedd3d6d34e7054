// One dedicated GKE node pool per warm pool: labelled and tainted for that
// pool alone, autoscaled between the stack's bounds, optionally on Spot VMs.
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { nodeLabels, nodeTaint } from "./dedication";
import { PoolSettings, Settings } from "./settings";

export function nodePool(s: Settings, pool: PoolSettings, opts?: pulumi.CustomResourceOptions): gcp.container.NodePool {
    return new gcp.container.NodePool(`prewarm-${pool.name}`, {
        name: `prewarm-${pool.name}`,
        cluster: s.cluster,
        location: s.location,
        project: s.project,
        autoscaling: {
            minNodeCount: pool.minNodes,
            maxNodeCount: pool.maxNodes,
            locationPolicy: pool.spot ? "ANY" : "BALANCED",
        },
        management: { autoRepair: true, autoUpgrade: true },
        // Surge upgrades: a new node joins before an old one drains, so the
        // pool never loses warm capacity to an upgrade.
        upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
        nodeConfig: {
            machineType: pool.machineType,
            diskSizeGb: pool.diskSizeGb,
            spot: pool.spot,
            labels: nodeLabels(pool.name),
            taints: [nodeTaint(pool.name)],
            oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
            // Backends get no node credentials: GKE's metadata server only.
            workloadMetadataConfig: { mode: "GKE_METADATA" },
            shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
            metadata: { "disable-legacy-endpoints": "true" },
        },
    }, opts);
}
