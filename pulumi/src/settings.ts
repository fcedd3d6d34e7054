// A stack's settings: read from Pulumi config (prewarm:*), checked once, with
// errors that name the setting. Node pools are sized per zone.
import * as pulumi from "@pulumi/pulumi";

export interface PoolSettings {
    name: string; // prewarm pool name, also the node pool's label and taint value
    machineType: string;
    minNodes: number; // per zone
    maxNodes: number; // per zone
    spot: boolean;
    diskSizeGb: number;
    minIdle: number;
    maxIdle: number;
    maxTotal: number;
    image?: string; // the warm pods' image; default: the overlay's template
    cpu?: string; // the warm pods' request and limit
    memory?: string;
}

export interface Settings {
    // Credentials, from the stack's secret config: the connect-token key (the
    // same in prewarmd and every warm pod) and prewarmd's API tokens file.
    connectKey: pulumi.Output<string>;
    apiTokens: pulumi.Output<string>;
    cluster: string;
    location: string;
    project?: string;
    overlay: string;
    image: string; // prewarmd's image
    pools: PoolSettings[];
}

// Lower-case, so one name serves as prewarm pool, node pool suffix and label.
const POOL_NAME = /^[a-z]([-a-z0-9]{0,28}[a-z0-9])?$/;

function whole(where: string, v: unknown, min: number): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min)
        throw new Error(`${where}: must be an integer >= ${min}`);
    return v;
}

function optionalString(where: string, v: unknown): string | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") throw new Error(`${where}: must be a non-empty string`);
    return v;
}

const POOL_KEYS = new Set(["name", "machineType", "minNodes", "maxNodes", "spot", "diskSizeGb", "minIdle",
    "maxIdle", "maxTotal", "image", "cpu", "memory"]);

export function checkPool(raw: unknown, i: number): PoolSettings {
    const where = `prewarm:pools[${i}]`;
    if (typeof raw !== "object" || raw === null) throw new Error(`${where}: must be an object`);
    const p = raw as Record<string, unknown>;
    for (const k of Object.keys(p)) if (!POOL_KEYS.has(k)) throw new Error(`${where}.${k}: unknown setting`);
    if (typeof p.name !== "string" || !POOL_NAME.test(p.name))
        throw new Error(`${where}.name: must match ${POOL_NAME.source}`);
    const pool: PoolSettings = {
        name: p.name,
        machineType: optionalString(`${where}.machineType`, p.machineType) ?? "e2-standard-4",
        minNodes: whole(`${where}.minNodes`, p.minNodes ?? 1, 0),
        maxNodes: whole(`${where}.maxNodes`, p.maxNodes ?? 3, 1),
        spot: p.spot === undefined ? false : (p.spot as boolean),
        diskSizeGb: whole(`${where}.diskSizeGb`, p.diskSizeGb ?? 50, 10),
        minIdle: whole(`${where}.minIdle`, p.minIdle ?? 2, 0),
        maxIdle: whole(`${where}.maxIdle`, p.maxIdle ?? 10, 0),
        maxTotal: whole(`${where}.maxTotal`, p.maxTotal ?? 100, 1),
        image: optionalString(`${where}.image`, p.image),
        cpu: optionalString(`${where}.cpu`, p.cpu),
        memory: optionalString(`${where}.memory`, p.memory),
    };
    if (typeof pool.spot !== "boolean") throw new Error(`${where}.spot: must be true or false`);
    if (pool.maxNodes < pool.minNodes) throw new Error(`${where}.maxNodes: must be >= minNodes (${pool.minNodes})`);
    if (pool.maxIdle < pool.minIdle) throw new Error(`${where}.maxIdle: must be >= minIdle (${pool.minIdle})`);
    if (pool.maxTotal < pool.maxIdle) throw new Error(`${where}.maxTotal: must be >= maxIdle (${pool.maxIdle})`);
    return pool;
}

export function checkPools(raw: unknown): PoolSettings[] {
    if (!Array.isArray(raw) || raw.length === 0) throw new Error("prewarm:pools: must be a non-empty list");
    const pools = raw.map(checkPool);
    const seen = new Set<string>();
    for (const p of pools) {
        if (seen.has(p.name)) throw new Error(`prewarm:pools: pool "${p.name}" is listed twice`);
        seen.add(p.name);
    }
    return pools;
}

export function readSettings(): Settings {
    const cfg = new pulumi.Config("prewarm");
    const gcp = new pulumi.Config("gcp");
    return {
        connectKey: cfg.requireSecret("connectKey"),
        apiTokens: cfg.requireSecret("apiTokens"),
        cluster: cfg.require("cluster"),
        location: cfg.require("location"),
        project: gcp.get("project"),
        overlay: cfg.get("overlay") ?? "gke",
        image: cfg.require("image"),
        pools: checkPools(cfg.requireObject<unknown>("pools")),
    };
}
